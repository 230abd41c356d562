/**
 * The channels open on one connection and the groups the pool put them in. A pool may address a job, a prev hash
 * or a target to a group id instead of a channel id: it then reaches every member. Group ids share the channel id
 * namespace of the connection (spec 5.2.3), so an id names either a channel or a group, never both.
 */
import type { ChannelState } from './channel-state.js';

export class ChannelRegistry {
  private readonly channels = new Map<number, ChannelState>();
  /** Group id → member channel ids (from the open Success messages and SetGroupChannel). */
  private readonly groups = new Map<number, Set<number>>();

  get size(): number {
    return this.channels.size;
  }

  get(channelId: number): ChannelState | undefined {
    return this.channels.get(channelId);
  }

  values(): IterableIterator<ChannelState> {
    return this.channels.values();
  }

  add(channel: ChannelState): void {
    this.channels.set(channel.channelId, channel);
    if (channel.groupChannelId !== 0 && channel.groupChannelId !== channel.channelId) {
      this.join(channel.groupChannelId, channel.channelId);
    }
  }

  /** Removes a channel, or every member of a group when `id` is a group (spec: closing a group closes its members). */
  remove(id: number): ChannelState[] {
    const closed: ChannelState[] = [];
    const one = this.channels.get(id);
    if (one !== undefined) {
      this.channels.delete(id);
      this.groups.get(one.groupChannelId)?.delete(id);
      closed.push(one);
    }
    const members = this.groups.get(id);
    if (members !== undefined) {
      for (const m of members) {
        const c = this.channels.get(m);
        if (c !== undefined) {
          this.channels.delete(m);
          closed.push(c);
        }
      }
      this.groups.delete(id);
    }
    return closed;
  }

  clear(): void {
    this.channels.clear();
    this.groups.clear();
  }

  /**
   * SetGroupChannel: these channels now belong to `groupId` (moved out of any group they were in). Returns the ids
   * that are not open channels here (a pool naming them is worth a warning).
   */
  setGroup(groupId: number, channelIds: readonly number[]): number[] {
    const unknown: number[] = [];
    for (const id of channelIds) {
      const c = this.channels.get(id);
      if (c === undefined) {
        unknown.push(id);
        continue;
      }
      this.groups.get(c.groupChannelId)?.delete(id);
      c.groupChannelId = groupId;
      this.join(groupId, id);
    }
    return unknown;
  }

  /** The channels a message addressed to `id` reaches: the channel itself, or every member of the group. */
  addressed(id: number): ChannelState[] {
    const c = this.channels.get(id);
    if (c !== undefined) return [c];
    const members = this.groups.get(id);
    if (members === undefined) return [];
    const out: ChannelState[] = [];
    for (const m of members) {
      const mc = this.channels.get(m);
      if (mc !== undefined) out.push(mc);
    }
    return out;
  }

  isGroup(id: number): boolean {
    return !this.channels.has(id) && this.groups.has(id);
  }

  private join(groupId: number, channelId: number): void {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      g = new Set();
      this.groups.set(groupId, g);
    }
    g.add(channelId);
  }
}

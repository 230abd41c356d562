/**
 * What the client does with the messages that address channels: jobs (standard and extended), prev hashes and
 * targets — to a channel or to a group, reaching every member — SetExtranoncePrefix, SetGroupChannel and
 * CloseChannel. Each updates the channels' state (channel-state.ts, channel-registry.ts) and becomes one client
 * event per channel reached; anything addressed to nobody here is a warning, never an error.
 */
import { targetToLimbs } from '../../bitcoin/index.js';
import type { Clock } from '../clock.js';
import type {
  CloseChannel,
  NewExtendedMiningJob,
  NewMiningJob,
  SetExtranoncePrefix,
  SetGroupChannel,
  SetNewPrevHash,
  SetTarget,
} from '../messages/mining.js';
import type { ChannelRegistry } from './channel-registry.js';
import type { ChannelState, JobOutcome } from './channel-state.js';
import { MAX_EXTRANONCE_LEN } from './extended-job.js';
import type { LivenessWatch } from './liveness-watch.js';
import type { MiningClientEvents } from './mining-client-types.js';
import type { MiningClientHandlers } from './mining-dispatcher.js';

export interface ChannelMessageContext {
  channels: ChannelRegistry;
  clock: Clock;
  liveness: LivenessWatch;
  /** The easiest target the device takes (a pool's easier SetTarget is clamped to it). */
  maxTarget: bigint;
  emit<K extends keyof MiningClientEvents>(event: K, payload: MiningClientEvents[K]): void;
  warn(message: string): void;
}

export type ChannelMessageHandlers = Pick<
  MiningClientHandlers,
  | 'newMiningJob'
  | 'newExtendedMiningJob'
  | 'setNewPrevHash'
  | 'setTarget'
  | 'setExtranoncePrefix'
  | 'setGroupChannel'
  | 'closeChannel'
>;

export function channelMessageHandlers(ctx: ChannelMessageContext): ChannelMessageHandlers {
  function onJob(
    addressedTo: number,
    jobId: number,
    future: boolean,
    version: number,
    merkleRoot: Uint8Array | null,
    what: string,
    apply: (channel: ChannelState) => JobOutcome,
  ): void {
    for (const channel of addressed(addressedTo, what)) {
      const outcome = apply(channel);
      if (outcome.kind === 'ignored') {
        ctx.warn(`channel ${channel.channelId} job ${jobId} ignored: ${outcome.reason}`);
        continue;
      }
      ctx.emit('job', {
        channelId: channel.channelId,
        addressedTo,
        jobId,
        future,
        version,
        merkleRoot,
        active: outcome.kind === 'active' ? outcome.job : null,
      });
    }
  }

  /** The channels a message to `id` reaches (itself, or a group's members); warns when none. */
  function addressed(id: number, what: string): ChannelState[] {
    const channels = ctx.channels.addressed(id);
    if (channels.length === 0) ctx.warn(`${what} for channel ${id}, which is not open here; ignored`);
    else ctx.liveness.touch();
    return channels;
  }

  return {
    newMiningJob: (msg: NewMiningJob) =>
      onJob(msg.channelId, msg.jobId, msg.minNtime === null, msg.version, msg.merkleRoot, 'NewMiningJob', (c) =>
        c.onNewMiningJob(msg, ctx.clock.nowMs()),
      ),
    newExtendedMiningJob: (msg: NewExtendedMiningJob) =>
      onJob(msg.channelId, msg.jobId, msg.minNtime === null, msg.version, null, 'NewExtendedMiningJob', (c) =>
        c.onNewExtendedMiningJob(msg, ctx.clock.nowMs()),
      ),
    setNewPrevHash: (msg: SetNewPrevHash) => {
      const now = ctx.clock.nowMs();
      for (const channel of addressed(msg.channelId, 'SetNewPrevHash')) {
        const outcome = channel.onSetNewPrevHash(msg, now);
        if (outcome.reason) {
          ctx.warn(`channel ${channel.channelId}: ${outcome.reason}; old work is stale, waiting for a job`);
        }
        ctx.emit('prevHash', { channelId: channel.channelId, tip: outcome.tip, job: outcome.job });
      }
    },
    setTarget: (msg: SetTarget) => {
      for (const channel of addressed(msg.channelId, 'SetTarget')) {
        let target = channel.onSetTarget(msg);
        const max = ctx.maxTarget;
        if (target > max) {
          ctx.warn(`pool set a target easier than our max_target on channel ${channel.channelId}; using max_target`);
          channel.setTarget(max);
          target = max;
        }
        ctx.emit('target', {
          channelId: channel.channelId,
          target,
          targetLimbs: targetToLimbs(target),
          difficulty: channel.difficulty,
        });
      }
    },
    setExtranoncePrefix: (msg: SetExtranoncePrefix) => {
      const channel = ctx.channels.get(msg.channelId);
      if (channel === undefined) {
        // The spec: only for explicitly opened channels, never a group.
        ctx.warn(`SetExtranoncePrefix for ${msg.channelId}, which is not an open channel here; ignored`);
        return;
      }
      if (!channel.setExtranoncePrefix(msg.extranoncePrefix, MAX_EXTRANONCE_LEN)) {
        ctx.warn(
          `SetExtranoncePrefix of ${msg.extranoncePrefix.length} bytes on channel ${msg.channelId} leaves no room ` +
            `for our ${channel.extranonceSize} extranonce bytes within ${MAX_EXTRANONCE_LEN}; ignored`,
        );
        return;
      }
      ctx.liveness.touch();
      ctx.emit('extranoncePrefix', { channelId: msg.channelId, extranoncePrefix: channel.extranoncePrefix.slice() });
    },
    setGroupChannel: (msg: SetGroupChannel) => {
      const unknown = ctx.channels.setGroup(msg.groupChannelId, msg.channelIds);
      if (unknown.length > 0) {
        ctx.warn(`SetGroupChannel ${msg.groupChannelId} names channels not open here: ${unknown.join(', ')}`);
      }
      ctx.emit('group', {
        groupChannelId: msg.groupChannelId,
        channelIds: msg.channelIds.filter((id) => !unknown.includes(id)),
      });
    },
    closeChannel: (msg: CloseChannel) => {
      for (const c of ctx.channels.remove(msg.channelId)) {
        ctx.emit('channelClosed', { channelId: c.channelId, reason: msg.reasonCode });
      }
    },
  };
}

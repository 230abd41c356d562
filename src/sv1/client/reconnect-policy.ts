/**
 * What to do with a pool's client.reconnect `[host, port, wait]` (nulls: the same). Pure, with its own clock
 * readings, so the rules are tested alone:
 * - another host is followed only when the user allows it (a pool could otherwise send the hash rate anywhere);
 *   then the client comes back to the same host and port instead, and says why;
 * - a new port on the same host is followed (MiningRigRentals moves miners that way);
 * - the pool's wait is honoured up to `maxWaitSec`; a longer one means "gone for now" and is treated as a drop,
 *   so the daemon mines on the next pool meanwhile (and probes this one back);
 * - more than 3 requests in a minute are ignored (a reconnect storm).
 */
import type { Reconnect } from '../messages.js';

export type ReconnectDecision =
  | { kind: 'follow'; host: string; port: number; waitMs: number; warning: string | null }
  | { kind: 'leave'; reason: string }
  | { kind: 'ignore'; warning: string };

export class ReconnectPolicy {
  private readonly times: number[] = [];

  constructor(
    private readonly allowOtherHosts: boolean,
    private readonly maxWaitSec: number,
  ) {}

  decide(request: Reconnect, current: { host: string; port: number }, nowMs: number): ReconnectDecision {
    let host = request.host ?? current.host;
    let port = request.port ?? current.port;
    let warning: string | null = null;
    if (host !== current.host && !this.allowOtherHosts) {
      warning =
        `pool asked us to move to ${host}:${port}; moving to another host is off (reconnectToOtherHosts), ` +
        `reconnecting to ${current.host}:${current.port}`;
      host = current.host;
      port = current.port;
    }
    while (this.times.length > 0 && nowMs - this.times[0] > 60_000) this.times.shift();
    if (this.times.length >= 3) {
      return {
        kind: 'ignore',
        warning: 'pool asked to reconnect more than 3 times in a minute; ignoring to avoid a reconnect storm',
      };
    }
    this.times.push(nowMs);
    const waitSec = request.wait ?? 0;
    if (waitSec > this.maxWaitSec) {
      return {
        kind: 'leave',
        reason: `pool asked us to come back in ${Math.round(waitSec)} s (more than ${this.maxWaitSec} s): leaving it for now`,
      };
    }
    return { kind: 'follow', host, port, waitMs: waitSec * 1000, warning };
  }
}

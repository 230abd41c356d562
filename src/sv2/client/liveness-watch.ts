/**
 * The connection supervisor's clock: runs the protocol-neutral liveness rule (src/mining/pool-liveness.ts) once
 * every `checkIntervalMs` on a live connection, gives up on shares left unanswered past `shareTimeoutMs`, and
 * does what the rule asks — send the SV2 liveness probe, or report the pool dead (the client closes the
 * connection, so the daemon fails over).
 *
 * The SV2 probe: the Mining Protocol has no ping, and what a pool must answer mostly changes something (a channel
 * opened, a target reset). One request is answered and changes nothing: UpdateChannel naming a channel id that is
 * not ours. The spec sends UpdateChannel.Error only for an invalid request, and `invalid-channel-id` is one of its
 * codes; SRI's pool answers it at once (pool-apps message_handler.rs `handle_update_channel`), as ours does. The id
 * is taken from the top of the range (0xffffffff down), skipping any the pool gave us, and changes per probe so a
 * late answer to an earlier probe is not taken for the current one.
 */
import {
  type LivenessAction,
  type LivenessSnapshot,
  type LivenessTuning,
  type LivenessVerdict,
  PoolLiveness,
} from '../../mining/pool-liveness.js';
import type { Clock } from '../clock.js';
import type { PendingShares, ResolvedShare } from './pending-shares.js';

export const PROBE_NAME = 'UpdateChannel for a channel that is not ours';
/** Probe channel ids: 0xffffffff, 0xfffffffe, … (this many, in turn). */
export const PROBE_CHANNEL_IDS = 8;

export interface LivenessOptions extends LivenessTuning {
  clock: Clock;
  stallTimeoutMs: number;
  workTimeoutMs: number;
  shareTimeoutMs: number;
  unansweredSharesTimeoutMs: number;
  checkIntervalMs: number;
}

export interface LivenessEvents {
  /** Shares given up as unanswered. */
  expired(shares: ResolvedShare[]): void;
  /** Is there a live connection to judge? */
  connected(): boolean;
  /** Send the probe naming `channelId`; false when it cannot go out (no channel open yet, or the id is ours). */
  probe(channelId: number): boolean;
  stalled(verdict: LivenessVerdict): void;
}

export class LivenessWatch {
  private readonly rule: PoolLiveness;
  private timer: NodeJS.Timeout | null = null;
  private probes = 0;
  /** The channel id of the probe waiting for its answer (null when none). */
  private probeChannelId: number | null = null;

  constructor(
    private readonly options: LivenessOptions,
    private readonly pending: PendingShares,
    private readonly events: LivenessEvents,
  ) {
    this.rule = new PoolLiveness({
      checkIntervalMs: options.checkIntervalMs,
      stallTimeoutMs: options.stallTimeoutMs,
      workTimeoutMs: options.workTimeoutMs,
      unansweredSharesTimeoutMs: options.unansweredSharesTimeoutMs,
      ...(options.frozenWithinMs !== undefined ? { frozenWithinMs: options.frozenWithinMs } : {}),
      ...(options.minAnswerAllowanceMs !== undefined ? { minAnswerAllowanceMs: options.minAnswerAllowanceMs } : {}),
      ...(options.maxAnswerAllowanceMs !== undefined ? { maxAnswerAllowanceMs: options.maxAnswerAllowanceMs } : {}),
      probeName: PROBE_NAME,
    });
  }

  /** Any frame from the pool. */
  heard(): void {
    this.rule.heard(this.options.clock.nowMs());
  }

  /** The pool gave work (a job, a prev hash, a target, a channel). */
  touch(): void {
    this.rule.work(this.options.clock.nowMs());
  }

  shareSubmitted(nowMs: number): void {
    this.rule.shareSubmitted(nowMs);
  }

  /**
   * A SubmitShares.Success (with its count) or a SubmitShares.Error (0); `answerMs`: how long the share it names
   * (last_sequence_number, or the refused one) took, when that share was still pending.
   */
  shareAnswered(acknowledged: number, answerMs: number | null): void {
    this.rule.shareAnswered(this.options.clock.nowMs(), acknowledged, answerMs);
  }

  /** True for an id this watch probes with (an UpdateChannel.Error for it is a probe answer, not news). */
  isProbeChannel(channelId: number): boolean {
    return channelId >>> 0 > 0xffffffff - PROBE_CHANNEL_IDS;
  }

  /** An UpdateChannel.Error for probe channel `channelId`. */
  probeAnswered(channelId: number): void {
    const now = this.options.clock.nowMs();
    if (channelId === this.probeChannelId) {
      this.probeChannelId = null;
      this.rule.probeAnswered(now);
    } else {
      this.rule.heard(now);
    }
  }

  snapshot(): LivenessSnapshot {
    return this.rule.snapshot();
  }

  /** A new connection: its clock starts now, nothing is outstanding on it. */
  restart(): void {
    this.rule.connected(this.options.clock.nowMs());
    this.probeChannelId = null;
    this.stop();
    this.timer = setInterval(() => this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round of checks (the timer's; tests with a manual clock call it). */
  check(): LivenessAction {
    const now = this.options.clock.nowMs();
    const expired = this.pending.expire(now, this.options.shareTimeoutMs);
    if (expired.length > 0) this.events.expired(expired);
    if (!this.events.connected()) return { kind: 'none' };
    const action = this.rule.check(now);
    if (action.kind === 'dead') {
      this.events.stalled(action.verdict);
    } else if (action.kind === 'probe') {
      // A refused id (no channel open yet, or one of ours) is skipped: the next round tries the next.
      const channelId = 0xffffffff - (this.probes++ % PROBE_CHANNEL_IDS);
      if (this.events.probe(channelId)) {
        this.probeChannelId = channelId;
        this.rule.probeSent(now);
      }
    }
    return action;
  }
}

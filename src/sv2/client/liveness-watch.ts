/**
 * The connection supervisor's clock: notices a pool that is connected but dead. Two ways to be dead: silent (no
 * job, prev hash, target or share answer for `stallTimeoutMs`), or still sending work while answering none of the
 * shares (see share-answer-watch.ts). It also gives up on shares left unanswered past `shareTimeoutMs`. One timer,
 * checked every `checkIntervalMs`; the client decides what a stall does (it closes the connection).
 */
import type { Clock } from '../clock.js';
import type { PendingShares, ResolvedShare } from './pending-shares.js';
import { ShareAnswerWatch } from './share-answer-watch.js';

export interface LivenessOptions {
  clock: Clock;
  stallTimeoutMs: number;
  shareTimeoutMs: number;
  unansweredSharesTimeoutMs: number;
  checkIntervalMs: number;
}

export interface StallVerdict {
  /** `silent`: nothing at all from the pool; `unanswered-shares`: work still comes, share answers do not. */
  reason: 'silent' | 'unanswered-shares';
  silentForMs: number;
  lastActivityAtMs: number;
  /** Shares submitted since the pool last answered one (0 for `silent`). */
  unansweredShares: number;
  /** For the connection's close reason. */
  message: string;
}

export interface LivenessEvents {
  /** Shares given up as unanswered. */
  expired(shares: ResolvedShare[]): void;
  /** Is there a live connection to judge? */
  connected(): boolean;
  stalled(verdict: StallVerdict): void;
}

export class LivenessWatch {
  private readonly answers: ShareAnswerWatch;
  private lastActivityMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly options: LivenessOptions,
    private readonly pending: PendingShares,
    private readonly events: LivenessEvents,
  ) {
    this.answers = new ShareAnswerWatch(options.unansweredSharesTimeoutMs);
  }

  /** The pool said something that shows it is alive (work, a target, a share answer, a channel). */
  touch(): void {
    this.lastActivityMs = this.options.clock.nowMs();
  }

  shareSubmitted(nowMs: number): void {
    this.answers.submitted(nowMs);
  }

  /** A SubmitShares.Success (with its count) or a SubmitShares.Error (0). */
  shareAnswered(acknowledged: number): void {
    this.answers.answered(acknowledged);
  }

  /** A new connection: its clock starts now, nothing is outstanding on it. */
  restart(): void {
    this.answers.reset();
    this.touch();
    this.stop();
    this.timer = setInterval(() => this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** One round of checks (the timer's; tests may call it). */
  check(): void {
    const now = this.options.clock.nowMs();
    const expired = this.pending.expire(now, this.options.shareTimeoutMs);
    if (expired.length > 0) this.events.expired(expired);
    if (!this.events.connected()) return;
    const silentForMs = now - this.lastActivityMs;
    const stall = this.options.stallTimeoutMs;
    if (stall > 0 && silentForMs >= stall) {
      this.events.stalled({
        reason: 'silent',
        silentForMs,
        lastActivityAtMs: this.lastActivityMs,
        unansweredShares: 0,
        message: `pool sent no job, prev hash, target or share answer for ${Math.round(silentForMs / 1000)} s`,
      });
      return;
    }
    const unanswered = this.answers.check(now);
    if (unanswered > 0) {
      this.events.stalled({
        reason: 'unanswered-shares',
        silentForMs,
        lastActivityAtMs: this.lastActivityMs,
        unansweredShares: unanswered,
        message: `pool answered none of the last ${unanswered} shares, though it still sends work`,
      });
    }
  }
}

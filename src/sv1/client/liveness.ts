/**
 * When a connected V1 pool is as good as gone, so the daemon can fail over. The same two rules the SV2 client
 * applies (src/sv2/client/mining-client.ts `check`), kept in their own unit so they can be tuned for V1 alone:
 *
 * - silent: nothing that carries work or answers — a job, a difficulty, an extranonce or mask change, a share
 *   answer — for `stallTimeoutMs`. Pings and messages of the day do not count: a pool whose job feed froze can
 *   still answer those.
 * - work without answers: the pool keeps sending jobs but has answered none of the shares submitted over
 *   `unansweredSharesTimeoutMs` (ShareAnswerWatch; V1 pools answer every submit, so the batch it learns is 1 and
 *   MIN_UNANSWERED_SHARES applies once one share was answered).
 */
import { ShareAnswerWatch } from '../../sv2/client/share-answer-watch.js';

export interface LivenessRules {
  /** 0 = never. */
  stallTimeoutMs: number;
  /** 0 = never. */
  unansweredSharesTimeoutMs: number;
}

export type LivenessVerdict =
  | { reason: 'silent'; silentForMs: number; lastActivityAtMs: number; unansweredShares: 0 }
  | { reason: 'unanswered-shares'; silentForMs: number; lastActivityAtMs: number; unansweredShares: number };

export class Sv1Liveness {
  private lastActivityMs = 0;
  private readonly answers: ShareAnswerWatch;

  constructor(private readonly rules: LivenessRules) {
    this.answers = new ShareAnswerWatch(rules.unansweredSharesTimeoutMs);
  }

  /** A new connection: the silence clock starts now, no share is outstanding. */
  reset(nowMs: number): void {
    this.lastActivityMs = nowMs;
    this.answers.reset();
  }

  /** Work or an answer arrived. */
  activity(nowMs: number): void {
    this.lastActivityMs = nowMs;
  }

  submitted(nowMs: number): void {
    this.answers.submitted(nowMs);
  }

  /** The pool answered a share (accepted or rejected). */
  answered(nowMs: number): void {
    this.answers.answered(1);
    this.lastActivityMs = nowMs;
  }

  get lastActivityAtMs(): number {
    return this.lastActivityMs;
  }

  /** null while the pool is within its rights. */
  check(nowMs: number): LivenessVerdict | null {
    const silentForMs = nowMs - this.lastActivityMs;
    if (this.rules.stallTimeoutMs > 0 && silentForMs >= this.rules.stallTimeoutMs) {
      return { reason: 'silent', silentForMs, lastActivityAtMs: this.lastActivityMs, unansweredShares: 0 };
    }
    const unanswered = this.answers.check(nowMs);
    if (unanswered > 0) {
      return {
        reason: 'unanswered-shares',
        silentForMs,
        lastActivityAtMs: this.lastActivityMs,
        unansweredShares: unanswered,
      };
    }
    return null;
  }
}

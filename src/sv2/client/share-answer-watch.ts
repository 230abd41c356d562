/**
 * Notices a pool that keeps sending work but has stopped answering shares (a broken share backend behind a live
 * job feed): the device would hash for nothing while the connection looks healthy, and the silence check never
 * fires because jobs keep arriving.
 *
 * A pool may batch its acknowledgements (SRI: one SubmitShares.Success every `share_batch_size` shares, 10 in its
 * example), so a few unanswered shares mean nothing. The watch trips only when both hold: at least
 * max(MIN_UNANSWERED_SHARES, 2 × the largest batch this pool has acknowledged) shares were submitted since the
 * pool last answered any share, and the oldest of them went out at least `timeoutMs` ago. Until the pool has
 * acknowledged a batch its size is unknown, so UNANSWERED_BEFORE_FIRST_BATCH shares are needed instead.
 */
export const MIN_UNANSWERED_SHARES = 20;
export const UNANSWERED_BEFORE_FIRST_BATCH = 100;

export class ShareAnswerWatch {
  private unanswered = 0;
  private oldestUnansweredAtMs = 0;
  private largestBatch = 0;

  constructor(private readonly timeoutMs: number) {}

  submitted(nowMs: number): void {
    if (this.unanswered++ === 0) this.oldestUnansweredAtMs = nowMs;
  }

  /** A SubmitShares.Success (with how many shares it acknowledged) or a SubmitShares.Error (0). */
  answered(acknowledged: number): void {
    this.unanswered = 0;
    if (acknowledged > this.largestBatch) this.largestBatch = acknowledged;
  }

  /** A new connection: nothing is outstanding there yet (what the pool batches is remembered). */
  reset(): void {
    this.unanswered = 0;
  }

  /** Shares outstanding when the watch trips, or 0 while the pool is still within its rights. */
  check(nowMs: number): number {
    if (this.timeoutMs <= 0) return 0;
    const needed =
      this.largestBatch === 0 ? UNANSWERED_BEFORE_FIRST_BATCH : Math.max(MIN_UNANSWERED_SHARES, 2 * this.largestBatch);
    if (this.unanswered < needed || nowMs - this.oldestUnansweredAtMs < this.timeoutMs) return 0;
    return this.unanswered;
  }
}

/**
 * What a pool owes us in share answers, judged by its own habits: how many shares it acknowledges at once (its
 * batch: SRI's pool sends one SubmitShares.Success every `share_batch_size` accepted shares, 10 in its example; a
 * Stratum V1 pool answers every submit, a batch of 1), counted since it last answered any share.
 *
 * Two uses (pool-liveness.ts):
 * - `owedSinceMs`: the share that closes the pool's batch went out at this time. Its answer is due one pool answer
 *   time later, so once that has passed the pool is asked to prove it is alive (never judged dead on this alone: a
 *   pool may batch more than it did so far).
 * - `check`: a pool that keeps sending work but has stopped answering shares (a broken share backend behind a live
 *   job feed): the device would hash for nothing while the connection looks healthy. It trips only when both hold:
 *   at least max(MIN_UNANSWERED_SHARES, 2 × the largest batch this pool has acknowledged) shares were submitted
 *   since the pool last answered any share, and the oldest of them went out at least `timeoutMs` ago. Until the
 *   pool has acknowledged a batch its size is unknown, so UNANSWERED_BEFORE_FIRST_BATCH shares are needed instead.
 */
export const MIN_UNANSWERED_SHARES = 20;
export const UNANSWERED_BEFORE_FIRST_BATCH = 100;
/** Submit times kept per answer window: enough for any batch a pool may use (the count goes on past it). */
export const MAX_TRACKED_SUBMITS = 1024;

export class ShareAnswerWatch {
  private unanswered = 0;
  /** Submit times of the shares since the last answer, oldest first (the first MAX_TRACKED_SUBMITS). */
  private readonly submitTimes: number[] = [];
  private largestBatch = 0;

  constructor(private readonly timeoutMs: number) {}

  submitted(nowMs: number): void {
    this.unanswered++;
    if (this.submitTimes.length < MAX_TRACKED_SUBMITS) this.submitTimes.push(nowMs);
  }

  /** A SubmitShares.Success (with how many shares it acknowledged), a SubmitShares.Error (0), a V1 answer (1). */
  answered(acknowledged: number): void {
    this.unanswered = 0;
    this.submitTimes.length = 0;
    if (acknowledged > this.largestBatch) this.largestBatch = acknowledged;
  }

  /** A new connection: nothing is outstanding there yet (what the pool batches is remembered). */
  reset(): void {
    this.unanswered = 0;
    this.submitTimes.length = 0;
  }

  /** The largest number of shares the pool acknowledged at once (0 while unknown). */
  get batchSize(): number {
    return this.largestBatch;
  }

  get unansweredShares(): number {
    return this.unanswered;
  }

  /**
   * When the share that closes the pool's batch was submitted (the batch-th since its last answer), or null while
   * the batch is still open or its size unknown.
   */
  owedSinceMs(): number | null {
    const b = this.largestBatch;
    if (b === 0 || b > this.submitTimes.length) return null;
    return this.submitTimes[b - 1];
  }

  /** Shares outstanding when the watch trips, or 0 while the pool is still within its rights. */
  check(nowMs: number): number {
    if (this.timeoutMs <= 0) return 0;
    const needed =
      this.largestBatch === 0 ? UNANSWERED_BEFORE_FIRST_BATCH : Math.max(MIN_UNANSWERED_SHARES, 2 * this.largestBatch);
    if (this.unanswered < needed || this.submitTimes.length === 0) return 0;
    if (nowMs - this.submitTimes[0] < this.timeoutMs) return 0;
    return this.unanswered;
  }
}

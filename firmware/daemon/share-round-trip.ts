/**
 * The pool's reply latency as AxeOS shows it (`responseTime`, ms): for each answer, the time since the newest share
 * it answered was sent. Pools answer in order (SV2 acknowledges up to a sequence number, V1 answers each submit),
 * so submissions wait in a queue and an answer for n shares takes the n oldest. `responseShareBatch` is that n.
 */
import type { ShareAnswer } from '../../src/mining/job.js';

export class ShareRoundTrip {
  private sentAt: number[] = [];
  private head = 0;
  private lastMs = 0;
  private lastBatch = 0;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly maxPending = 10_000,
  ) {}

  get responseTimeMs(): number {
    return this.lastMs;
  }

  get batch(): number {
    return this.lastBatch;
  }

  /** Shares sent and not yet answered (or given up). */
  get pending(): number {
    return this.sentAt.length - this.head;
  }

  submitted(): void {
    this.sentAt.push(this.now());
    if (this.pending > this.maxPending) this.head++;
    if (this.head > 1024 && this.head * 2 > this.sentAt.length) {
      this.sentAt = this.sentAt.slice(this.head);
      this.head = 0;
    }
  }

  answered(answer: ShareAnswer): void {
    let n: number;
    switch (answer.kind) {
      case 'accepted':
        n = answer.shares.length > 0 ? answer.shares.filter((s) => !s.late).length : answer.count;
        break;
      case 'rejected':
        n = answer.share?.late ? 0 : 1;
        break;
      default:
        // Timed out or lost: they leave the queue without a round trip.
        this.take(answer.count);
        return;
    }
    const newest = this.take(n);
    if (newest === null) return;
    this.lastMs = Math.max(0, this.now() - newest);
    this.lastBatch = n;
  }

  /** The connection is gone: nothing in flight will be answered. */
  reset(): void {
    this.sentAt = [];
    this.head = 0;
  }

  private take(n: number): number | null {
    const count = Math.min(n, this.pending);
    if (count <= 0) return null;
    this.head += count;
    return this.sentAt[this.head - 1];
  }
}

/**
 * Hash rate from credited work over sliding windows (1 min, 10 min, 1 h), in one-second buckets.
 *
 * Work is credited per verified result: a nonce that met difficulty d stands for d·2^32 hashes on average.
 * That is an unbiased estimate of real work, so the figure matches what a pool sees over time (the usual
 * "device claims twice what the pool sees" bug comes from counting something else, like chip counters or
 * both halves of a rolled version).
 */
const BUCKETS = 3600;

export class HashrateMeter {
  private readonly work = new Float64Array(BUCKETS);
  /** Second (since epoch of the clock) the newest bucket belongs to. */
  private headSecond: number;
  private startMs: number;
  private total = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.startMs = now();
    this.headSecond = Math.floor(this.startMs / 1000);
  }

  /** Forgets everything and starts measuring now (when the chips get their first work). */
  restart(): void {
    this.work.fill(0);
    this.total = 0;
    this.startMs = this.now();
    this.headSecond = Math.floor(this.startMs / 1000);
  }

  /** Credits `hashes` of work at the current time. */
  add(hashes: number): void {
    this.advance();
    this.work[this.headSecond % BUCKETS] += hashes;
    this.total += hashes;
  }

  /** Total work credited since start. */
  get totalHashes(): number {
    return this.total;
  }

  /** Hashes per second over the last `windowSeconds` (or since start, if younger than the window). */
  rate(windowSeconds: number): number {
    this.advance();
    const window = Math.min(windowSeconds, BUCKETS);
    const elapsed = (this.now() - this.startMs) / 1000;
    if (elapsed <= 0) return 0;
    // The newest bucket is partial, so the span is (window − 1) full seconds plus the current fraction.
    const span = Math.min(elapsed, window - 1 + ((this.now() / 1000) % 1));
    let sum = 0;
    for (let i = 0; i < window; i++) sum += this.work[(this.headSecond - i + BUCKETS) % BUCKETS];
    return span > 0 ? sum / span : 0;
  }

  /** Average hashes per second since start. */
  averageRate(): number {
    const elapsed = (this.now() - this.startMs) / 1000;
    return elapsed > 0 ? this.total / elapsed : 0;
  }

  private advance(): void {
    const second = Math.floor(this.now() / 1000);
    if (second <= this.headSecond) return;
    const steps = Math.min(second - this.headSecond, BUCKETS);
    for (let i = 1; i <= steps; i++) this.work[(this.headSecond + i) % BUCKETS] = 0;
    this.headSecond = second;
  }
}

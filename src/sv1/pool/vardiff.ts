/**
 * A V1 pool's variable difficulty for one connection: V1 has no hash-rate message, so the pool learns a miner's
 * rate from its accepted shares and moves the difficulty toward `sharesPerMinute` (public-pool retargets every
 * 60 s, ckpool on share counts; this does both in small form). Steps are at most ×4 or ÷4 per retarget, a miner
 * within half to twice the wanted rate is left alone, and a miner that sent nothing over an interval has its
 * difficulty quartered (it may be far too high to ever find a share).
 */
export interface VardiffOptions {
  sharesPerMinute: number;
  minDifficulty: number;
  maxDifficulty: number;
  /** Time between retargets (the first one comes after `firstRetargetMs`). */
  retargetMs: number;
  firstRetargetMs: number;
}

export const DEFAULT_VARDIFF: Omit<VardiffOptions, 'sharesPerMinute'> = {
  minDifficulty: 2 ** -32,
  maxDifficulty: 2 ** 40,
  retargetMs: 30_000,
  firstRetargetMs: 10_000,
};

export class Vardiff {
  private shares = 0;
  private since: number;
  private retargets = 0;

  constructor(
    private readonly options: VardiffOptions,
    public difficulty: number,
    nowMs: number,
  ) {
    this.since = nowMs;
  }

  /** A new difficulty was set from outside (a suggestion): measure afresh. */
  set(difficulty: number, nowMs: number): void {
    this.difficulty = this.clamp(difficulty);
    this.shares = 0;
    this.since = nowMs;
  }

  accepted(): void {
    this.shares++;
  }

  /** The new difficulty when it is time to change it, else null. */
  check(nowMs: number): number | null {
    const interval = this.retargets === 0 ? this.options.firstRetargetMs : this.options.retargetMs;
    const elapsed = nowMs - this.since;
    if (elapsed < interval) return null;
    const rate = (this.shares * 60_000) / elapsed;
    const want = this.options.sharesPerMinute;
    this.retargets++;
    this.shares = 0;
    this.since = nowMs;
    let next: number;
    if (rate === 0) next = this.difficulty / 4;
    else if (rate > 2 * want || rate < want / 2) next = this.difficulty * Math.min(4, Math.max(0.25, rate / want));
    else return null;
    next = this.clamp(next);
    if (next === this.difficulty) return null;
    this.difficulty = next;
    return next;
  }

  private clamp(d: number): number {
    return Math.min(this.options.maxDifficulty, Math.max(this.options.minDifficulty, d));
  }
}

/**
 * A V1 pool's variable difficulty for one connection: V1 has no hash-rate message, so the pool learns a miner's
 * rate from its accepted shares and moves the difficulty toward `sharesPerMinute` (public-pool retargets every
 * 60 s, ckpool on share counts; this does both in small form). A miner within half to twice the wanted rate is
 * left alone; one that sent nothing over an interval has its difficulty quartered (it may be far too high to
 * ever find a share); others move by the rate's ratio, at most ×4 or ÷4 per retarget — except a flood (a real
 * board on a difficulty sized for an emulator): FLOOD_SHARES shares a second or more over 4× the wanted rate
 * retarget at once, up to ×16, so a terahash miner reaches its difficulty in seconds, not minutes.
 */
export const FLOOD_SHARES = 50;
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
    const want = this.options.sharesPerMinute;
    const rate = elapsed > 0 ? (this.shares * 60_000) / elapsed : 0;
    const flood = this.shares >= FLOOD_SHARES && elapsed >= 1000 && rate > 4 * want;
    if (elapsed < interval && !flood) return null;
    this.retargets++;
    this.shares = 0;
    this.since = nowMs;
    let next: number;
    if (rate === 0) next = this.difficulty / 4;
    else if (rate > 2 * want || rate < want / 2)
      next = this.difficulty * Math.min(flood ? 16 : 4, Math.max(0.25, rate / want));
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

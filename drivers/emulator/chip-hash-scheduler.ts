import { ChipSearch, type ChipSearchConfig, type ChipSearchJob, FIND_FIELDS } from './chip-search.js';

/**
 * Runs the searches of several emulated chips at a fixed real hash rate each, in small time slices so new jobs and
 * register writes get in between. The same class runs inside a worker thread and, with `workers: 0`, on the main
 * thread. Rate limiting is what makes results repeatable on a busy 2-core machine: a chip never hashes faster than
 * its share of `hashrateHs`, and when the CPU cannot keep up the rate sags instead of the backlog growing.
 */

export interface SchedulerSink {
  /** Finds, each `[chip, ...FIND_FIELDS numbers]`. */
  found(items: number[]): void;
  /** Hashes done since the last report, as `[chip, hashes, chip, hashes, …]`. */
  progress(pairs: number[]): void;
}

interface ChipRun {
  readonly search: ChipSearch;
  rate: number;
  budget: number;
}

/** Budget a chip may bank while it cannot run (so a stall is not followed by a burst). */
const MAX_BANK_S = 0.25;

export class ChipHashScheduler {
  private readonly chips = new Map<number, ChipRun>();
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private last = performance.now();
  private lastProgress = performance.now();
  private stopped = false;
  /**
   * Where the next slice starts among the running chips. A slice that runs out of time mid-pass resumes with the
   * next chip, so on a CPU that cannot keep up every chip still gets its turn (starting each slice at chip 0 would
   * let the first chips take every slice and starve the rest).
   */
  private cursor = 0;

  constructor(
    private readonly sink: SchedulerSink,
    private readonly options: { tickMs?: number; sliceMs?: number; progressMs?: number; unref?: boolean } = {},
  ) {}

  private run(chip: number): ChipRun {
    let r = this.chips.get(chip);
    if (r === undefined) {
      r = { search: new ChipSearch(), rate: 0, budget: 0 };
      this.chips.set(chip, r);
    }
    return r;
  }

  setConfig(chip: number, config: ChipSearchConfig): void {
    this.run(chip).search.setConfig(config);
    this.wake();
  }

  setJob(chip: number, job: ChipSearchJob | null): void {
    this.run(chip).search.setJob(job);
    this.wake();
  }

  /** Real hashes per second for this chip; Infinity = as fast as the CPU allows. */
  setRate(chip: number, hashesPerSecond: number): void {
    const r = this.run(chip);
    r.rate = hashesPerSecond;
    r.budget = Math.min(r.budget, Number.isFinite(hashesPerSecond) ? hashesPerSecond * MAX_BANK_S : 0);
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = null;
  }

  private wake(): void {
    if (this.stopped || this.timer !== null) return;
    this.last = performance.now();
    this.schedule(false);
  }

  private schedule(immediately: boolean): void {
    if (this.stopped) return;
    let anyActive = false;
    for (const r of this.chips.values()) if (r.search.active && r.rate > 0) anyActive = true;
    if (!anyActive) {
      this.timer = null;
      this.reportProgress(true);
      return;
    }
    const t = immediately ? setImmediate(() => this.tick()) : setTimeout(() => this.tick(), this.options.tickMs ?? 4);
    if (this.options.unref) t.unref();
    this.timer = t;
  }

  private tick(): void {
    this.timer = null;
    const now = performance.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    const runs: ChipRun[] = [];
    for (const r of this.chips.values()) {
      if (!r.search.active || r.rate <= 0) continue;
      r.budget = Number.isFinite(r.rate)
        ? Math.min(r.budget + r.rate * dt, r.rate * MAX_BANK_S)
        : Number.POSITIVE_INFINITY;
      runs.push(r);
    }
    const found: number[] = [];
    const chipOf = new Map<ChipSearch, number>();
    for (const [chip, r] of this.chips) chipOf.set(r.search, chip);
    const deadline = now + (this.options.sliceMs ?? 8);
    let outOfTime = false;
    let progressed = true;
    const n = runs.length;
    let start = n > 0 ? this.cursor % n : 0;
    while (progressed && !outOfTime) {
      progressed = false;
      for (let k = 0; k < n; k++) {
        const at = (start + k) % n;
        const r = runs[at];
        const cost = r.search.stepHashes;
        if (cost === 0 || r.budget < cost) continue;
        const steps = Math.max(1, Math.min(Math.floor(r.budget / cost), Math.floor(16384 / cost)));
        const before = found.length;
        const done = r.search.run(steps, found);
        if (found.length > before) {
          // Prefix each new find with its chip index.
          const chip = chipOf.get(r.search) as number;
          const items = found.splice(before);
          for (let i = 0; i < items.length; i += FIND_FIELDS) found.push(chip, ...items.slice(i, i + FIND_FIELDS));
        }
        r.budget -= done;
        progressed = true;
        if (performance.now() >= deadline) {
          outOfTime = true;
          this.cursor = at + 1;
          break;
        }
      }
      start = 0;
    }
    if (found.length > 0) this.sink.found(found);
    this.reportProgress(false);
    this.schedule(outOfTime);
  }

  private reportProgress(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.lastProgress < (this.options.progressMs ?? 200)) return;
    this.lastProgress = now;
    const pairs: number[] = [];
    for (const [chip, r] of this.chips) {
      const h = r.search.takeHashes();
      if (h > 0) pairs.push(chip, h);
    }
    if (pairs.length > 0) this.sink.progress(pairs);
  }
}

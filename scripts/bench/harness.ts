/**
 * The benchmark contract every room's `*.bench.ts` follows.
 *
 * A bench module exports `benches: BenchCase[]`. The runner takes `runs` (≥ 5) measurements of each case
 * after one warm-up and prints the median as one JSON line:
 *   {"bench": NAME, "value": N, "unit": U, "baseline": NAME_OR_NULL, "ratio": R_OR_NULL}
 * ratio = value / baseline's value, with the baseline measured in the same process run. A case that
 * measures several figures at once returns a record; each key k becomes its own line named `${name}.${k}`.
 *
 * A latency case returns its raw samples instead (`{ samples: { path: [µs, ...] } }`): the runner pools the
 * samples of all its runs and prints `${name}.${path}.p50` and `.p99` over the pool. A tail is a rare event,
 * so a p99 taken per run from a few dozen samples is its maximum, and their median is not a p99.
 */
export interface BenchCase {
  name: string;
  unit: string;
  /** Units per key when `measure` returns a record (defaults to `unit`). */
  units?: Record<string, string>;
  /** Name of another case to compare against; for a record, the baseline's same key or its single value. */
  baseline?: string;
  /** Measurements to take (default 5, never fewer). */
  runs?: number;
  setup?: () => Promise<void> | void;
  teardown?: () => Promise<void> | void;
  /** One measurement. */
  measure: () => Promise<Measurement> | Measurement;
}

/** Raw latency samples of one run, by path name. */
export interface LatencySamples {
  samples: Record<string, number[]>;
}

export type Measurement = number | Record<string, number> | LatencySamples;

export function isLatencySamples(m: Measurement): m is LatencySamples {
  return typeof m === 'object' && 'samples' in m && typeof m.samples === 'object';
}

export interface BenchLine {
  bench: string;
  value: number;
  unit: string;
  baseline: string | null;
  ratio: number | null;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value at quantile q (0..1) of samples, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/**
 * Runs `fn` repeatedly for about `ms` milliseconds and returns operations per second, where each call of
 * `fn` performs `opsPerCall` operations. Checks the clock only between calls.
 */
export function opsPerSecond(fn: () => void, opsPerCall: number, ms = 300): number {
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    calls++;
    now = performance.now();
  }
  return (calls * opsPerCall * 1000) / (now - start);
}

export const round = (x: number, digits = 3): number => Number(x.toPrecision(digits + 3));

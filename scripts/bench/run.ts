/**
 * npm run bench [-- substring ...]: runs every benchmark in dist/scripts/bench/*.bench.js (or those whose
 * name contains one of the substrings, plus their baselines) and prints one JSON object per line.
 * Progress and raw runs go to stderr so stdout stays machine-readable.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BenchCase,
  type BenchLine,
  isLatencySamples,
  type Measurement,
  median,
  quantile,
  round,
} from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));

async function loadCases(): Promise<BenchCase[]> {
  const cases: BenchCase[] = [];
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.js'))
    .sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { benches?: BenchCase[] };
    if (!Array.isArray(mod.benches)) throw new Error(`${file} does not export benches`);
    cases.push(...mod.benches);
  }
  return cases;
}

function select(all: BenchCase[], filters: string[]): BenchCase[] {
  if (filters.length === 0) return all;
  const byName = new Map(all.map((c) => [c.name, c]));
  const chosen = new Set<BenchCase>();
  const add = (c: BenchCase): void => {
    if (chosen.has(c)) return;
    if (c.baseline) {
      const b = byName.get(c.baseline);
      if (b) add(b);
    }
    chosen.add(c);
  };
  for (const c of all) if (filters.some((f) => c.name.includes(f))) add(c);
  return [...chosen];
}

/** Baselines first, so every ratio has its denominator from this same process. */
function order(cases: BenchCase[]): BenchCase[] {
  const byName = new Map(cases.map((c) => [c.name, c]));
  const out: BenchCase[] = [];
  const seen = new Set<string>();
  const visit = (c: BenchCase): void => {
    if (seen.has(c.name)) return;
    seen.add(c.name);
    const b = c.baseline ? byName.get(c.baseline) : undefined;
    if (b) visit(b);
    out.push(c);
  };
  for (const c of cases) visit(c);
  return out;
}

async function main(): Promise<void> {
  const all = await loadCases();
  const names = new Set<string>();
  for (const c of all) {
    if (names.has(c.name)) throw new Error(`duplicate bench name ${c.name}`);
    names.add(c.name);
  }
  const cases = order(select(all, process.argv.slice(2)));
  const results = new Map<string, number | Record<string, number>>();
  for (const c of cases) {
    const runs = Math.max(5, c.runs ?? 5);
    await c.setup?.();
    try {
      await c.measure(); // warm-up: JIT, caches, lazy connections
      const samples: Measurement[] = [];
      for (let i = 0; i < runs; i++) samples.push(await c.measure());
      const first = samples[0];
      let value: number | Record<string, number>;
      if (isLatencySamples(first)) {
        const rec: Record<string, number> = {};
        const counts: Record<string, number> = {};
        for (const key of Object.keys(first.samples)) {
          const pooled = samples.flatMap((s) => (isLatencySamples(s) ? (s.samples[key] ?? []) : []));
          if (pooled.length === 0) throw new Error(`${c.name}: no ${key} samples`);
          counts[key] = pooled.length;
          rec[`${key}.p50`] = quantile(pooled, 0.5);
          rec[`${key}.p99`] = quantile(pooled, 0.99);
        }
        value = rec;
        process.stderr.write(
          `# ${c.name}: ${runs} runs pooled, samples ${JSON.stringify(counts)} ${JSON.stringify(rec)}\n`,
        );
      } else if (typeof first === 'number') {
        value = median(samples as number[]);
        process.stderr.write(`# ${c.name}: runs ${JSON.stringify((samples as number[]).map((s) => round(s)))}\n`);
      } else {
        const rec: Record<string, number> = {};
        for (const key of Object.keys(first)) rec[key] = median(samples.map((s) => (s as Record<string, number>)[key]));
        value = rec;
        process.stderr.write(`# ${c.name}: ${runs} runs, medians ${JSON.stringify(rec)}\n`);
      }
      results.set(c.name, value);
      const base = c.baseline ? results.get(c.baseline) : undefined;
      const lines: BenchLine[] = [];
      const ratioOf = (v: number, key?: string): number | null => {
        if (base === undefined) return null;
        const b = typeof base === 'number' ? base : key !== undefined ? base[key] : undefined;
        return b === undefined || b === 0 ? null : round(v / b);
      };
      if (typeof value === 'number') {
        lines.push({
          bench: c.name,
          value: round(value),
          unit: c.unit,
          baseline: c.baseline ?? null,
          ratio: ratioOf(value),
        });
      } else {
        for (const [k, v] of Object.entries(value)) {
          lines.push({
            bench: `${c.name}.${k}`,
            value: round(v),
            unit: c.units?.[k] ?? c.unit,
            baseline: c.baseline ?? null,
            ratio: ratioOf(v, k),
          });
        }
      }
      for (const line of lines) process.stdout.write(`${JSON.stringify(line)}\n`);
    } finally {
      await c.teardown?.();
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * Reading and writing the figures miners talk in: hash rates (H/s with k/M/G/T), difficulty scales ("2^-21"),
 * difficulties. One place, so the CLI, the daemon's logs and its status line say them the same way.
 */

/** "1.00 MH/s", "433.59 GH/s". */
export function formatHashrate(hs: number): string {
  if (hs >= 1e12) return `${(hs / 1e12).toFixed(2)} TH/s`;
  if (hs >= 1e9) return `${(hs / 1e9).toFixed(2)} GH/s`;
  if (hs >= 1e6) return `${(hs / 1e6).toFixed(2)} MH/s`;
  if (hs >= 1e3) return `${(hs / 1e3).toFixed(1)} kH/s`;
  return `${hs.toFixed(0)} H/s`;
}

/** Parses "1M", "250k", "1.5e6", "2 GH/s" as hashes per second; NaN when it is not one. */
export function parseHashrate(text: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([kKmMgGtT]?)\s*(?:h\/?s)?\s*$/i.exec(text);
  const mult: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };
  return m === null ? Number.NaN : Number(m[1]) * mult[m[2].toLowerCase()];
}

/** A difficulty scale as a power of two when it is one ("2^-21"), else 4 significant digits. */
export function formatScale(scale: number): string {
  const log = Math.log2(scale);
  return Number.isInteger(log) ? `2^${log}` : scale.toPrecision(4);
}

/** A difficulty scale: a number in (0, 1] or a power of two written "2^-21"; null when it is not one. */
export function parseScale(value: unknown): number | null {
  if (typeof value === 'number') return value > 0 && value <= 1 ? value : null;
  if (typeof value !== 'string') return null;
  const power = /^\s*2\s*\^\s*(-?\d+)\s*$/.exec(value);
  const n = power !== null ? 2 ** Number(power[1]) : value.trim() === '' ? Number.NaN : Number(value);
  return n > 0 && n <= 1 ? n : null;
}

/** "0.000116", "12.34", "1.50M", "2.10T". */
export function formatDifficulty(d: number): string {
  if (!Number.isFinite(d)) return String(d);
  if (d >= 1e12) return `${(d / 1e12).toFixed(2)}T`;
  if (d >= 1e9) return `${(d / 1e9).toFixed(2)}G`;
  if (d >= 1e6) return `${(d / 1e6).toFixed(2)}M`;
  if (d >= 1e3) return `${(d / 1e3).toFixed(2)}k`;
  if (d >= 1) return d.toFixed(2);
  return d.toPrecision(3);
}

/** Number formatting for the dashboard: SI prefixes, fixed decimals, durations. */

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** 1234567 → "1.23 M". */
export function si(value: number, digits = 3): string {
  if (!Number.isFinite(value) || value === 0) return '0';
  let v = Math.abs(value);
  let i = 0;
  while (v >= 1000 && i < PREFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  return `${value < 0 ? '-' : ''}${Number(v.toPrecision(digits))}${PREFIXES[i] === '' ? '' : ` ${PREFIXES[i]}`}`;
}

/** A hash rate given in GH/s, with the right unit. */
export function hashrate(ghs: number): string {
  if (!Number.isFinite(ghs) || ghs <= 0) return '0 H/s';
  const hs = ghs * 1e9;
  const s = si(hs);
  return /[kMGTPE]$/.test(s) ? `${s}H/s` : `${s} H/s`;
}

export function fixed(v: unknown, digits = 1): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min ${Math.floor(seconds % 60)} s`;
}

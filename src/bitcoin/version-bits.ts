/**
 * Header version bits under a rolling mask (BIP320 / BIP323): counting a field that is scattered over the set
 * bits of a mask. Shared by the chip drivers (BM1397 midstates, BM1366 replies) and the mining engine (which
 * hands each piece of work a fresh range of versions).
 */

/** Scatters the low bits of `value` into the set bits of `mask`, lowest first (a software PDEP). */
export function depositBits(value: number, mask: number): number {
  let out = 0;
  let v = value >>> 0;
  for (let m = mask >>> 0; m !== 0 && v !== 0; m &= m - 1) {
    const bit = m & -m;
    if (v & 1) out |= bit;
    v >>>= 1;
  }
  return out >>> 0;
}

/** Gathers the bits of `value` under `mask` into the low bits (a software PEXT). */
export function extractBits(value: number, mask: number): number {
  let out = 0;
  let k = 0;
  for (let m = mask >>> 0; m !== 0; m &= m - 1) {
    const bit = m & -m;
    if (value & bit) out += 2 ** k;
    k++;
  }
  return out >>> 0;
}

/** Number of set bits. */
export function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

/**
 * The k-th version after `base` inside `mask`: the masked field counted up k times, wrapping inside the mask, all
 * other bits of `base` kept. Equals ESP-Miner's increment_bitmask applied k times whenever that does not overflow
 * the field (its overflow carries out of the mask; this wraps instead so a version never leaves the grant).
 */
export function versionAfter(base: number, mask: number, k: number): number {
  if (mask === 0 || k === 0) return base >>> 0;
  const bits = popcount(mask);
  const field = (extractBits(base, mask) + k) % 2 ** bits;
  return ((base & ~mask) | depositBits(field, mask)) >>> 0;
}

/**
 * Version rolling (BIP320 "AsicBoost"): which header version bits a chip may change, and how each model names the
 * version it hashed.
 *
 * BM1366 family: register 0xA4 = 0x90000000 | (mask >> 13) turns on chip-side rolling over header bits 28..13;
 * each nonce reply carries the rolled field (bytes 8..9), and the header version is the job version with that
 * field shifted left 13. BM1397: the chip cannot roll; the host sends up to four midstates for four versions it
 * chose, and the reply names which (0..3).
 */

/** Header version bits a chip can roll: 28..13. */
export const ROLLABLE_VERSION_BITS = 0x1fffe000;
/** BIP320's general-purpose bits, what pools grant by default. */
export const BIP320_VERSION_MASK = 0x1fffe000;

/** Register 0xA4 value that enables rolling over `versionMask` (only bits 28..13 can be honoured). */
export function encodeVersionRollingRegister(versionMask: number): number {
  return (0x90000000 | ((versionMask & ROLLABLE_VERSION_BITS) >>> 13)) >>> 0;
}

/** The 16-bit field mask a register 0xA4 value rolls, or null if bit 31 (rolling) is off. */
export function decodeVersionRollingRegister(register: number): { enabled: boolean; fieldMask: number } {
  return { enabled: (register & 0x80000000) !== 0, fieldMask: register & 0xffff };
}

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

function popcount(x: number): number {
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

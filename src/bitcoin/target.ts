/**
 * Targets, difficulty and the one place hashaxe writes down its byte order.
 *
 * BYTE ORDER. A hash is the 32 bytes SHA-256 outputs (internal order, as stored in block headers and
 * merkle trees). Read as a number it is LITTLE-endian: byte 31 is the most significant, so a "good" hash
 * ends in zero bytes. Block explorers print the bytes reversed, which is why displayed hashes start with
 * zeros. A target is a number (bigint here); Stratum V2 carries it as a U256 in little-endian bytes too.
 * SHA-256 state words (H0..H7) are big-endian words of the digest, so as number limbs they need a byte
 * swap: limb j (little-endian 32-bit limbs, j = 7 most significant) = bswap(H[j]).
 *
 * A hash meets a target when hash ≤ target (Bitcoin's consensus rule; SRI's pool also uses ≤).
 */

/** Pool difficulty 1: 0x00000000FFFF·2^208 (the "pdiff" convention every pool uses). */
export const DIFF1_TARGET: bigint = 0xffffn << 208n;
export const MAX_TARGET: bigint = (1n << 256n) - 1n;
const DIFF1_NUMBER = Number(DIFF1_TARGET);
const TWO_32 = 4294967296;

export function bswap32(x: number): number {
  return ((x >>> 24) | ((x >>> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24)) >>> 0;
}

/** Compact `nbits` → target. Throws RangeError for the encodings Bitcoin treats as invalid (negative, overflow). */
export function nbitsToTarget(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if (mantissa !== 0 && (bits & 0x00800000) !== 0) {
    throw new RangeError(`nbits 0x${(bits >>> 0).toString(16)} is negative`);
  }
  const target =
    exponent <= 3 ? BigInt(mantissa >>> (8 * (3 - exponent))) : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target > MAX_TARGET) throw new RangeError(`nbits 0x${(bits >>> 0).toString(16)} overflows 256 bits`);
  return target;
}

/** Target → compact `nbits` (Bitcoin's GetCompact: rounds down to a 3-byte mantissa). */
export function targetToNbits(target: bigint): number {
  if (target < 0n || target > MAX_TARGET) throw new RangeError('target out of range');
  let size = 0;
  for (let t = target; t > 0n; t >>= 8n) size++;
  let mantissa = size <= 3 ? Number(target << BigInt(8 * (3 - size))) : Number(target >> BigInt(8 * (size - 3)));
  if (mantissa & 0x00800000) {
    mantissa >>>= 8;
    size++;
  }
  return ((size << 24) | mantissa) >>> 0;
}

/** Difficulty of a target: DIFF1 / target (a float; exact enough for display and comparisons). */
export function difficultyFromTarget(target: bigint): number {
  if (target <= 0n) return Number.POSITIVE_INFINITY;
  return DIFF1_NUMBER / Number(target);
}

/** Target for a difficulty (fractional difficulties allowed, e.g. scaled emulator tickets). Clamped to 2^256−1. */
export function targetFromDifficulty(difficulty: number): bigint {
  if (!(difficulty > 0) || !Number.isFinite(difficulty))
    throw new RangeError(`difficulty must be > 0, got ${difficulty}`);
  // Scale by 2^32 so fractional difficulties keep 32 bits of precision in integer arithmetic.
  const scaled = BigInt(Math.round(difficulty * TWO_32));
  if (scaled === 0n) return MAX_TARGET;
  const target = (DIFF1_TARGET << 32n) / scaled;
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/** A hash (internal byte order) as the number it represents. */
export function hashToBigInt(hash: Uint8Array): bigint {
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(hash[i]);
  return v;
}

/** Target ⇄ 32 little-endian bytes (the Stratum V2 U256 form). */
export function targetToLeBytes(target: bigint, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  if (target < 0n || target > MAX_TARGET) throw new RangeError('target out of range');
  let t = target;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

export function leBytesToTarget(bytes: Uint8Array): bigint {
  if (bytes.length !== 32) throw new RangeError('a U256 is 32 bytes');
  return hashToBigInt(bytes);
}

/** Target as 8 little-endian 32-bit limbs (limb 7 most significant), for allocation-free comparisons. */
export function targetToLimbs(target: bigint, out: Uint32Array = new Uint32Array(8)): Uint32Array {
  if (target < 0n || target > MAX_TARGET) throw new RangeError('target out of range');
  let t = target;
  for (let i = 0; i < 8; i++) {
    out[i] = Number(t & 0xffffffffn);
    t >>= 32n;
  }
  return out;
}

/** hash ≤ target, with the hash as SHA-256 state words (from the midstate fast path). No allocation. */
export function stateWordsMeetTarget(words: Uint32Array, targetLimbs: Uint32Array): boolean {
  for (let j = 7; j >= 0; j--) {
    const h = bswap32(words[j]);
    const t = targetLimbs[j];
    if (h !== t) return h < t;
  }
  return true;
}

/** hash ≤ target, with the hash as 32 bytes (internal order). */
export function hashMeetsTarget(hash: Uint8Array, target: bigint): boolean {
  return hashToBigInt(hash) <= target;
}

/** Difficulty of a hash given as SHA-256 state words: DIFF1 / hash. */
export function difficultyOfStateWords(words: Uint32Array): number {
  let v = 0;
  for (let j = 7; j >= 0; j--) v = v * TWO_32 + bswap32(words[j]);
  return v === 0 ? Number.POSITIVE_INFINITY : DIFF1_NUMBER / v;
}

/** Difficulty of a hash given as 32 bytes (internal order): DIFF1 / hash. */
export function difficultyOfHash(hash: Uint8Array): number {
  let v = 0;
  for (let i = 31; i >= 0; i--) v = v * 256 + hash[i];
  return v === 0 ? Number.POSITIVE_INFINITY : DIFF1_NUMBER / v;
}

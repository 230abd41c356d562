/**
 * Channel targets. On the wire a target is a U256 read as a little-endian number; a share is good when its
 * hash, read the same way, is ≤ the target. Difficulty is the pool convention DIFF1 / target, so targets
 * easier than difficulty 1 (needed for emulated chips hashing at ~1 MH/s) are just numbers above DIFF1.
 */
import { DIFF1_TARGET, leBytesToTarget, MAX_TARGET, targetToLeBytes } from '../../bitcoin/index.js';

export { DIFF1_TARGET, MAX_TARGET };

/** The U256 wire bytes of a target. */
export function targetToU256(target: bigint): Uint8Array {
  return targetToLeBytes(target);
}

export function targetFromU256(bytes: Uint8Array): bigint {
  return leBytesToTarget(bytes);
}

export class HashRateError extends RangeError {
  override readonly name = 'HashRateError';
}

/**
 * The target at which a miner of `hashRateHs` finds `sharesPerMinute` shares on average, as SRI computes it:
 * hs = floor(hashRate · 60 / sharesPerMinute); target = floor((2²⁵⁶ − 1 − hs) / (hs + 1)). Never clamped to
 * difficulty 1; callers clamp only to the channel's max_target. A hash rate of 0 gives the maximum target.
 */
export function hashRateToTarget(hashRateHs: number, sharesPerMinute: number): bigint {
  if (!Number.isFinite(hashRateHs) || hashRateHs < 0) {
    throw new HashRateError(`nominal hash rate must be a finite number ≥ 0 H/s, got ${hashRateHs}`);
  }
  if (!Number.isFinite(sharesPerMinute) || sharesPerMinute <= 0) {
    throw new HashRateError(`shares per minute must be > 0, got ${sharesPerMinute}`);
  }
  const hs = BigInt(Math.floor(hashRateHs * (60 / sharesPerMinute)));
  const cappedHs = hs > MAX_TARGET ? MAX_TARGET : hs;
  return (MAX_TARGET - cappedHs) / (cappedHs + 1n);
}

/** min(a, b) for targets (the harder one). */
export function minTarget(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

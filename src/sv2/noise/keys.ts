/** Key pairs for the Noise handshake: a secret, its x-only public key and its ElligatorSwift encoding. */

import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bigIntTo32Bytes, ellswiftEncode } from './ellswift.js';
import { secretToScalar } from './xonly-ecdh.js';

const N = secp256k1.Point.Fn.ORDER;

export interface NoiseKeypair {
  /** 32-byte secret scalar (normalised so the public key has even Y, as SRI does). */
  readonly secret: Uint8Array;
  /** BIP340 x-only public key. */
  readonly xOnly: Uint8Array;
  /** 64-byte ElligatorSwift encoding of the public key, as sent in the handshake. */
  readonly ellswift: Uint8Array;
}

/** A fresh random secret in 1..n-1. */
export function randomSecret(random: (n: number) => Uint8Array = randomBytes): Uint8Array {
  for (;;) {
    const s = Uint8Array.from(random(32));
    try {
      secretToScalar(s);
      return s;
    } catch {
      // 0 or ≥ n: astronomically rare with real randomness; draw again.
    }
  }
}

/**
 * Builds a key pair from `secret` (random when absent). A secret whose public key has odd Y is negated first,
 * like SRI, so the x-only key names the same point as the full key. `encodingRandomness` (32 bytes) feeds the
 * ElligatorSwift encoder; all zeros reproduces SRI's deterministic encoding.
 */
export function createNoiseKeypair(
  secret?: Uint8Array,
  encodingRandomness: Uint8Array = randomBytes(32),
): NoiseKeypair {
  let d = secretToScalar(secret ?? randomSecret());
  let point = secp256k1.Point.BASE.multiply(d);
  if ((point.toAffine().y & 1n) === 1n) {
    d = N - d;
    point = point.negate();
  }
  const compressed = point.toBytes(true);
  return {
    secret: bigIntTo32Bytes(d),
    xOnly: compressed.slice(1),
    ellswift: ellswiftEncode(compressed, encodingRandomness),
  };
}

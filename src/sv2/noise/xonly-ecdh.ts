/**
 * BIP324's x-only ECDH over ElligatorSwift-encoded keys, which the SV2 Noise handshake uses for both of its
 * Diffie-Hellman steps. Not the bare x coordinate: the secret is a tagged hash that binds both 64-byte
 * encodings exactly as they crossed the wire, initiator's first.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bigIntTo32Bytes, bytesToBigInt, xswiftec } from './ellswift.js';

const N = secp256k1.Point.Fn.ORDER;

/** A secret key as a scalar; throws RangeError outside 1..n-1 (our own keys only, never peer input). */
export function secretToScalar(secret: Uint8Array): bigint {
  if (secret.length !== 32) throw new RangeError(`a secp256k1 secret key is 32 bytes, got ${secret.length}`);
  const d = bytesToBigInt(secret);
  if (d <= 0n || d >= N) throw new RangeError('secret key out of range 1..n-1');
  return d;
}

/** x(d · P) where P is any point whose x the encoding `theirEll64` decodes to (the sign of Y does not matter). */
export function ellswiftEcdhX(secret: Uint8Array, theirEll64: Uint8Array): Uint8Array {
  if (theirEll64.length !== 64) throw new RangeError('an ElligatorSwift encoding is 64 bytes');
  const x = xswiftec(bytesToBigInt(theirEll64, 0), bytesToBigInt(theirEll64, 32));
  const point = schnorr.utils.lift_x(x);
  return bigIntTo32Bytes(point.multiply(secretToScalar(secret)).toAffine().x);
}

/**
 * The BIP324 shared secret: TaggedHash("bip324_ellswift_xonly_ecdh", ell_A ‖ ell_B ‖ x), where A is the
 * initiator. Both sides compute the same 32 bytes.
 */
export function bip324EcdhSecret(
  secret: Uint8Array,
  ellTheirs: Uint8Array,
  ellOurs: Uint8Array,
  initiating: boolean,
): Uint8Array {
  const x = ellswiftEcdhX(secret, ellTheirs);
  const message = new Uint8Array(64 + 64 + 32);
  message.set(initiating ? ellOurs : ellTheirs, 0);
  message.set(initiating ? ellTheirs : ellOurs, 64);
  message.set(x, 128);
  return schnorr.utils.taggedHash('bip324_ellswift_xonly_ecdh', message);
}

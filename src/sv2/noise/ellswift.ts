/**
 * ElligatorSwift (BIP324) for secp256k1: the 64-byte public-key encoding the SV2 Noise handshake sends.
 * `@noble/curves` has the curve and its field but no ElligatorSwift, so the maps are built here on noble's
 * field arithmetic, following BIP324's XSwiftEC / XSwiftECInv definitions and libsecp256k1's encoder
 * (whose hash-driven choice of `u` makes SRI's encodings a deterministic function of the public key).
 *
 * Encoding = `u || t`, two 32-byte big-endian field elements. Every 64-byte string decodes to a valid x
 * coordinate, so decoding cannot fail; the parity of `t` carries the parity of Y.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';

const Fp = secp256k1.Point.Fp;
const P = Fp.ORDER;
const SQRT_EXP = (P + 1n) / 4n;
const LEGENDRE_EXP = (P - 1n) / 2n;
/** c = sqrt(-3) mod p, the square one of the two roots (BIP324). */
const C = 0xa2d2ba93507f1df233770c2a797962cc61f6d15da14ecd47d8d27ae1cd5f852n;
/** (1 - c)/2 and (1 + c)/2, used by the inverse map. */
const C_MINUS = Fp.div(Fp.sub(1n, C), 2n);
const C_PLUS = Fp.div(Fp.add(1n, C), 2n);

export const ELLSWIFT_BYTES = 64;

/** The square root that p ≡ 3 (mod 4) gives (itself a square), or null when `a` is not a square. */
function sqrtOrNull(a: bigint): bigint | null {
  const r = Fp.pow(a, SQRT_EXP);
  return Fp.eql(Fp.sqr(r), a) ? r : null;
}

function isSquare(a: bigint): boolean {
  return Fp.is0(a) || Fp.eql(Fp.pow(a, LEGENDRE_EXP), 1n);
}

/** x³ + 7: a point with this x exists when it is a square. */
function curveRhs(x: bigint): bigint {
  return Fp.add(Fp.mul(Fp.sqr(x), x), 7n);
}

export function isValidX(x: bigint): boolean {
  return isSquare(curveRhs(x));
}

export function bytesToBigInt(bytes: Uint8Array, offset = 0, length = 32): bigint {
  let v = 0n;
  for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(bytes[offset + i]);
  return v;
}

export function bigIntTo32Bytes(v: bigint, out: Uint8Array = new Uint8Array(32), offset = 0): Uint8Array {
  let x = v;
  for (let i = 31; i >= 0; i--) {
    out[offset + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** BIP324 XSwiftEC(u, t): maps any pair of field elements to a valid x coordinate. */
export function xswiftec(uIn: bigint, tIn: bigint): bigint {
  let u = Fp.create(uIn);
  let t = Fp.create(tIn);
  // The remaps avoid the few inputs the paper sends to infinity, so every encoding decodes.
  if (Fp.is0(u)) u = 1n;
  if (Fp.is0(t)) t = 1n;
  const g = curveRhs(u);
  if (Fp.is0(Fp.add(g, Fp.sqr(t)))) t = Fp.add(t, t);
  const X = Fp.div(Fp.sub(g, Fp.sqr(t)), Fp.add(t, t));
  const Y = Fp.div(Fp.add(X, t), Fp.mul(C, u));
  const x3 = Fp.add(u, Fp.mul(4n, Fp.sqr(Y)));
  if (isValidX(x3)) return x3;
  const xOverY = Fp.div(X, Y);
  const x2 = Fp.div(Fp.sub(Fp.neg(xOverY), u), 2n);
  if (isValidX(x2)) return x2;
  return Fp.div(Fp.sub(xOverY, u), 2n);
}

/**
 * BIP324 XSwiftECInv(x, u, case): a `t` with XSwiftEC(u, t) = x, or null. `branch` (0..7) picks which of
 * the up to eight preimages.
 */
export function xswiftecInv(xIn: bigint, uIn: bigint, branch: number): bigint | null {
  const x = Fp.create(xIn);
  const u = Fp.create(uIn);
  let s: bigint;
  let v: bigint;
  if ((branch & 2) === 0) {
    if (isValidX(Fp.sub(Fp.neg(x), u))) return null;
    v = x;
    s = Fp.div(Fp.neg(curveRhs(u)), Fp.add(Fp.add(Fp.sqr(u), Fp.mul(u, v)), Fp.sqr(v)));
  } else {
    s = Fp.sub(x, u);
    if (Fp.is0(s)) return null;
    const r = sqrtOrNull(Fp.neg(Fp.mul(s, Fp.add(Fp.mul(4n, curveRhs(u)), Fp.mul(Fp.mul(3n, Fp.sqr(u)), s)))));
    if (r === null) return null;
    if ((branch & 1) === 1 && Fp.is0(r)) return null;
    v = Fp.div(Fp.sub(Fp.div(r, s), u), 2n);
  }
  const w = sqrtOrNull(s);
  if (w === null) return null;
  switch (branch & 5) {
    case 0:
      return Fp.neg(Fp.mul(w, Fp.add(Fp.mul(u, C_MINUS), v)));
    case 1:
      return Fp.mul(w, Fp.add(Fp.mul(u, C_PLUS), v));
    case 4:
      return Fp.mul(w, Fp.add(Fp.mul(u, C_MINUS), v));
    default:
      return Fp.neg(Fp.mul(w, Fp.add(Fp.mul(u, C_PLUS), v)));
  }
}

/** The x coordinate (32 bytes big-endian) a 64-byte ElligatorSwift encoding stands for. */
export function ellswiftDecodeX(ell64: Uint8Array): Uint8Array {
  if (ell64.length !== ELLSWIFT_BYTES)
    throw new RangeError(`an ElligatorSwift encoding is 64 bytes, got ${ell64.length}`);
  return bigIntTo32Bytes(xswiftec(bytesToBigInt(ell64, 0), bytesToBigInt(ell64, 32)));
}

// BIP340-style tagged-hash prefix of libsecp256k1's encoder: SHA256(tag) ‖ SHA256(tag).
const ENCODE_TAG = sha256(new TextEncoder().encode('secp256k1_ellswift_encode'));

/**
 * Encodes a public key (33-byte compressed SEC1) as ElligatorSwift, choosing `u` and the branch from
 * SHA256(tag ‖ tag ‖ pubkey33 ‖ 0³¹ ‖ rnd32 ‖ counter) exactly as libsecp256k1's `secp256k1_ellswift_encode`
 * does, and fixing the parity of `t` to the key's Y. With `rnd32` = 32 zero bytes the result equals SRI's.
 * Pass fresh random bytes for unlinkable encodings.
 */
export function ellswiftEncode(compressedPubkey: Uint8Array, rnd32: Uint8Array): Uint8Array {
  if (compressedPubkey.length !== 33) throw new RangeError('ellswiftEncode takes a 33-byte compressed public key');
  if (rnd32.length !== 32) throw new RangeError('ellswiftEncode takes 32 bytes of randomness');
  const point = secp256k1.Point.fromBytes(compressedPubkey).toAffine();
  const seed = new Uint8Array(64 + 64 + 32);
  seed.set(ENCODE_TAG, 0);
  seed.set(ENCODE_TAG, 32);
  seed.set(compressedPubkey, 64);
  seed.set(rnd32, 128);
  const base = sha256.create().update(seed);
  const counter = new Uint8Array(4);
  let cnt = 0;
  const prng = (): Uint8Array => {
    counter[0] = cnt;
    counter[1] = cnt >>> 8;
    counter[2] = cnt >>> 16;
    counter[3] = cnt >>> 24;
    cnt++;
    return base.clone().update(counter).digest();
  };
  let branchHash: Uint8Array = new Uint8Array(32);
  let branchesLeft = 0;
  for (;;) {
    if (branchesLeft === 0) {
      branchHash = prng();
      branchesLeft = 64;
    }
    branchesLeft--;
    // 64 four-bit slots per hash, used from the last; the top bit of each slot is dropped.
    const branch = (branchHash[branchesLeft >> 1] >> ((branchesLeft & 1) << 2)) & 7;
    const u32 = prng();
    const t = xswiftecInv(point.x, bytesToBigInt(u32), branch);
    if (t === null) continue;
    const tFixed = (t & 1n) === (point.y & 1n) ? t : Fp.neg(t);
    const out = new Uint8Array(64);
    // The hash output itself is sent as u, unreduced (libsecp256k1 does the same; ≥ p is negligible).
    out.set(u32, 0);
    bigIntTo32Bytes(tFixed, out, 32);
    return out;
  }
}

/**
 * The Noise handshake's running state: chaining key `ck`, handshake hash `h` and the current cipher.
 * Protocol name `Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256` is longer than 32 bytes, so both start as
 * its SHA-256 (ck) and the hash of that (h).
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { CipherState } from './cipher-state.js';

export const NOISE_PROTOCOL_NAME = 'Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256';
const PROTOCOL_HASH = sha256(new TextEncoder().encode(NOISE_PROTOCOL_NAME));
const EMPTY = new Uint8Array(0);

/** Noise's HKDF with two outputs: t = HMAC(ck, ikm); o1 = HMAC(t, 01); o2 = HMAC(t, o1 ‖ 02). */
export function hkdf2(chainingKey: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const t = hmac(sha256, chainingKey, ikm);
  const o1 = hmac(sha256, t, Uint8Array.of(1));
  const o1x = new Uint8Array(33);
  o1x.set(o1);
  o1x[32] = 2;
  return [o1, hmac(sha256, t, o1x)];
}

export class SymmetricState {
  ck: Uint8Array = PROTOCOL_HASH.slice();
  h: Uint8Array = sha256(PROTOCOL_HASH);
  /** The handshake cipher; null until the first MixKey. */
  cipher: CipherState | null = null;
  /** The cipher key, kept for tests that compare with the vector's intermediate values. */
  key: Uint8Array | null = null;

  mixHash(data: Uint8Array): void {
    const buf = new Uint8Array(32 + data.length);
    buf.set(this.h);
    buf.set(data, 32);
    this.h = sha256(buf);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm);
    this.ck = ck;
    this.key = k;
    this.cipher = new CipherState(k);
  }

  /** Encrypts with ad = h when a key is set (else passes through), then hashes the ciphertext. */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const c = this.cipher === null ? plaintext : this.cipher.encrypt(plaintext, this.h);
    this.mixHash(c);
    return c;
  }

  /** Mirror of encryptAndHash: hashes the ciphertext, not the plaintext. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const p = this.cipher === null ? ciphertext : this.cipher.decrypt(ciphertext, this.h, 'handshake-auth-failed');
    this.mixHash(ciphertext);
    return p;
  }

  /** The two transport keys: (initiator → responder, responder → initiator). */
  split(): [Uint8Array, Uint8Array] {
    return hkdf2(this.ck, EMPTY);
  }
}

/**
 * One direction's ChaCha20-Poly1305 key and nonce counter (Noise CipherState). The 12-byte nonce is four zero
 * bytes and the 64-bit counter little-endian; every encryption or decryption consumes one nonce, and there is
 * no rekeying. Encrypts and decrypts in place so frames need no extra copies.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { NoiseError } from './errors.js';

export const AEAD_TAG_BYTES = 16;
const EMPTY = new Uint8Array(0);
// The counter is kept as a JS number; 2^53 messages is far beyond any connection's life.
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

export class CipherState {
  private counter = 0;
  private readonly nonce = new Uint8Array(12);

  constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('a ChaCha20-Poly1305 key is 32 bytes');
  }

  /** The next nonce value (how many messages this direction has processed). */
  get nonceCounter(): number {
    return this.counter;
  }

  private nextNonce(): Uint8Array {
    const n = this.counter;
    if (n >= MAX_NONCE) throw new NoiseError('nonce-exhausted', 'Noise nonce counter exhausted; reconnect');
    this.counter = n + 1;
    const b = this.nonce;
    const lo = n >>> 0;
    const hi = Math.floor(n / 4294967296);
    b[4] = lo;
    b[5] = lo >>> 8;
    b[6] = lo >>> 16;
    b[7] = lo >>> 24;
    b[8] = hi;
    b[9] = hi >>> 8;
    b[10] = hi >>> 16;
    b[11] = hi >>> 24;
    return b;
  }

  /**
   * Encrypts `buf[start..start+length)` in place and appends the tag at `buf[start+length..+16)`.
   * `ad` is the associated data (the handshake hash during the handshake, empty afterwards).
   */
  encryptInPlace(buf: Uint8Array, start: number, length: number, ad: Uint8Array = EMPTY): void {
    const nonce = this.nextNonce();
    chacha20poly1305(this.key, nonce, ad).encrypt(
      buf.subarray(start, start + length),
      buf.subarray(start, start + length + AEAD_TAG_BYTES),
    );
  }

  /** Encrypts into a new array (handshake payloads). */
  encrypt(plaintext: Uint8Array, ad: Uint8Array = EMPTY): Uint8Array {
    const out = new Uint8Array(plaintext.length + AEAD_TAG_BYTES);
    out.set(plaintext);
    this.encryptInPlace(out, 0, plaintext.length, ad);
    return out;
  }

  /**
   * Decrypts `ciphertext` (payload + tag) into `out` (payload length). Throws NoiseError with `failure` as the
   * code when the tag does not verify: the bytes were altered, or the two sides are out of step.
   */
  decryptInto(
    ciphertext: Uint8Array,
    out: Uint8Array,
    ad: Uint8Array = EMPTY,
    failure: 'handshake-auth-failed' | 'frame-auth-failed' = 'frame-auth-failed',
  ): void {
    const nonce = this.nextNonce();
    try {
      chacha20poly1305(this.key, nonce, ad).decrypt(ciphertext, out);
    } catch {
      throw new NoiseError(
        failure,
        failure === 'frame-auth-failed'
          ? 'encrypted frame failed authentication (tampered with, corrupted, or the stream is out of step)'
          : 'handshake message failed authentication (tampered with, or the peer does not speak SV2 Noise_NX)',
      );
    }
  }

  decrypt(
    ciphertext: Uint8Array,
    ad: Uint8Array = EMPTY,
    failure: 'handshake-auth-failed' | 'frame-auth-failed' = 'frame-auth-failed',
  ): Uint8Array {
    if (ciphertext.length < AEAD_TAG_BYTES) {
      throw new NoiseError(failure, `ciphertext of ${ciphertext.length} bytes is shorter than its tag`);
    }
    const out = new Uint8Array(ciphertext.length - AEAD_TAG_BYTES);
    this.decryptInto(ciphertext, out, ad, failure);
    return out;
  }
}

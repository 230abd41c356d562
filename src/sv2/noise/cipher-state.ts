/**
 * One direction's ChaCha20-Poly1305 key and nonce counter (Noise CipherState). The 12-byte nonce is four zero
 * bytes and the 64-bit counter little-endian; every encryption or decryption consumes one nonce, and there is
 * no rekeying. Encrypts and decrypts in place so frames need no extra copies.
 *
 * A sending transport cipher (empty associated data, after the handshake) makes the cipher contexts for its
 * next two nonces once the current turn of the event loop is over, so the next frame (header and payload)
 * finds them ready: see `aead.ts` for why that matters on the share path.
 */
import { AEAD_TAG_BYTES, ChaChaPolyAead } from './aead.js';
import { NoiseError } from './errors.js';

export { AEAD_TAG_BYTES };

const EMPTY = new Uint8Array(0);
// The counter is kept as a JS number; 2^53 messages is far beyond any connection's life.
const MAX_NONCE = Number.MAX_SAFE_INTEGER;

export class CipherState {
  private counter = 0;
  private nonceLo = 0;
  private nonceHi = 0;
  private readonly aead: ChaChaPolyAead;
  private prepareScheduled = false;

  constructor(key: Uint8Array) {
    this.aead = new ChaChaPolyAead(key);
  }

  /** The next nonce value (how many messages this direction has processed). */
  get nonceCounter(): number {
    return this.counter;
  }

  /** Takes the next nonce: its low and high 32-bit words land in `nonceLo` / `nonceHi`. */
  private nextNonce(): void {
    const n = this.counter;
    if (n >= MAX_NONCE) throw new NoiseError('nonce-exhausted', 'Noise nonce counter exhausted; reconnect');
    this.counter = n + 1;
    this.nonceLo = n >>> 0;
    this.nonceHi = Math.floor(n / 4294967296);
  }

  /**
   * Encrypts `buf[start..start+length)` in place and appends the tag at `buf[start+length..+16)`.
   * `ad` is the associated data (the handshake hash during the handshake, empty afterwards).
   */
  encryptInPlace(buf: Uint8Array, start: number, length: number, ad: Uint8Array = EMPTY): void {
    this.nextNonce();
    // Noise's 96-bit nonce: 32 zero bits, then the counter as a little-endian 64-bit number.
    this.aead.seal(0, this.nonceLo, this.nonceHi, ad, buf, start, length);
    if (ad.length === 0 && !this.prepareScheduled) {
      this.prepareScheduled = true;
      setImmediate(this.prepareNext);
    }
  }

  /** Readies the contexts for the next frame's header and payload nonces. */
  private readonly prepareNext = (): void => {
    this.prepareScheduled = false;
    for (const n of [this.counter, this.counter + 1]) {
      if (n < MAX_NONCE) this.aead.prepareSeal(0, n >>> 0, Math.floor(n / 4294967296));
    }
  };

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
    const length = ciphertext.length - AEAD_TAG_BYTES;
    if (length < 0 || out.length !== length) {
      throw new RangeError(`${ciphertext.length} bytes of ciphertext do not decrypt into ${out.length} bytes`);
    }
    this.nextNonce();
    if (!this.aead.open(0, this.nonceLo, this.nonceHi, ad, ciphertext, 0, length, out, 0)) {
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

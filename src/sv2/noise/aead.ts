/**
 * Noise's AEAD, ChaCha20-Poly1305 (RFC 8439 §2.8), for one key: OpenSSL's, through `node:crypto`.
 *
 * Why a library and not a copy of our own: a cipher is the one place where a reviewer should find nothing to
 * review. Why OpenSSL and not `@noble/ciphers`: both were measured on SV2 frame sizes (`npm run bench --
 * sv2.aead`): OpenSSL seals and opens 1.4–2× as many 6–24-byte messages per second as noble, 2× at 200 bytes and
 * 3× at 2 kB.
 *
 * OpenSSL's cost is mostly per call: every nonce needs a fresh cipher context (JS argument checks, an EVP
 * context, the key schedule), and on a device that seals one share every few seconds that setup runs cold.
 * `prepareSeal` lets the sender make the contexts for its next nonces while it is idle, so a share is only
 * encrypted on its way out (`mine.share-path` p50 about 60–80 µs with it, 120–150 µs without, on the bench
 * machine under load). A prepared context is used for exactly the nonce it was made for, once.
 *
 * The interface works in place on the caller's buffer, as the frame writer and reader expect: the ciphertext
 * replaces the plaintext and the tag follows it. OpenSSL hands back a new buffer per call; it is copied in.
 */
import { type CipherChaCha20Poly1305, createCipheriv, createDecipheriv } from 'node:crypto';

export const AEAD_KEY_BYTES = 32;
export const AEAD_TAG_BYTES = 16;
const ALGORITHM = 'chacha20-poly1305';
const OPTIONS = { authTagLength: AEAD_TAG_BYTES } as const;
/** Prepared sealing contexts kept at once: a frame's header and its payload take one nonce each. */
const READY_SLOTS = 2;

/** A sealing context made ahead for one nonce. */
interface ReadySeal {
  n0: number;
  n1: number;
  n2: number;
  cipher: CipherChaCha20Poly1305;
}

export class ChaChaPolyAead {
  private readonly key: Buffer;
  private readonly nonce = Buffer.alloc(12);
  private readonly ready: Array<ReadySeal | null> = new Array(READY_SLOTS).fill(null);
  private nextSlot = 0;

  constructor(key: Uint8Array) {
    if (key.length !== AEAD_KEY_BYTES) throw new RangeError('a ChaCha20-Poly1305 key is 32 bytes');
    this.key = Buffer.from(key);
  }

  /**
   * The 96-bit nonce as three little-endian words. Noise's is (0, counter low, counter high): four zero bytes,
   * then the 64-bit message counter little-endian.
   */
  private setNonce(n0: number, n1: number, n2: number): Buffer {
    this.nonce.writeUInt32LE(n0 >>> 0, 0);
    this.nonce.writeUInt32LE(n1 >>> 0, 4);
    this.nonce.writeUInt32LE(n2 >>> 0, 8);
    return this.nonce;
  }

  /** Makes the sealing context for nonce (n0, n1, n2) now; the latest two are kept. */
  prepareSeal(n0: number, n1: number, n2: number): void {
    if (this.findReady(n0, n1, n2) >= 0) return;
    const cipher = createCipheriv(ALGORITHM, this.key, this.setNonce(n0, n1, n2), OPTIONS);
    this.ready[this.nextSlot] = { n0, n1, n2, cipher };
    this.nextSlot = (this.nextSlot + 1) % READY_SLOTS;
  }

  private findReady(n0: number, n1: number, n2: number): number {
    for (let i = 0; i < READY_SLOTS; i++) {
      const r = this.ready[i];
      if (r !== null && r.n0 === n0 && r.n1 === n1 && r.n2 === n2) return i;
    }
    return -1;
  }

  /** The prepared context for this nonce, taken out so it can never seal twice; or a new one. */
  private sealingContext(n0: number, n1: number, n2: number): CipherChaCha20Poly1305 {
    const slot = this.findReady(n0, n1, n2);
    if (slot < 0) return createCipheriv(ALGORITHM, this.key, this.setNonce(n0, n1, n2), OPTIONS);
    const { cipher } = this.ready[slot] as ReadySeal;
    this.ready[slot] = null;
    return cipher;
  }

  /** Encrypts `buf[start, start+length)` in place and writes the tag at `buf[start+length, +16)`. */
  seal(n0: number, n1: number, n2: number, ad: Uint8Array, buf: Uint8Array, start: number, length: number): void {
    if (start + length + AEAD_TAG_BYTES > buf.length) throw new RangeError('no room for the tag');
    const cipher = this.sealingContext(n0, n1, n2);
    if (ad.length > 0) cipher.setAAD(ad, { plaintextLength: length });
    if (length > 0) buf.set(cipher.update(buf.subarray(start, start + length)), start);
    cipher.final();
    buf.set(cipher.getAuthTag(), start + length);
  }

  /**
   * Checks the tag at `buf[start+length, +16)` against `buf[start, start+length)` and, only when it matches,
   * writes the plaintext to `out[outStart, +length)` (which may be the same bytes). Returns false, writing
   * nothing, when it does not.
   */
  open(
    n0: number,
    n1: number,
    n2: number,
    ad: Uint8Array,
    buf: Uint8Array,
    start: number,
    length: number,
    out: Uint8Array,
    outStart: number,
  ): boolean {
    if (start + length + AEAD_TAG_BYTES > buf.length) throw new RangeError('the tag is missing');
    if (outStart + length > out.length) throw new RangeError('no room for the plaintext');
    const decipher = createDecipheriv(ALGORITHM, this.key, this.setNonce(n0, n1, n2), OPTIONS);
    decipher.setAuthTag(buf.subarray(start + length, start + length + AEAD_TAG_BYTES));
    if (ad.length > 0) decipher.setAAD(ad, { plaintextLength: length });
    // OpenSSL releases plaintext before it has seen the tag; keep it aside until final() has checked it.
    const plain = length > 0 ? decipher.update(buf.subarray(start, start + length)) : null;
    try {
      decipher.final();
    } catch {
      return false;
    }
    if (plain !== null) out.set(plain, outStart);
    return true;
  }
}

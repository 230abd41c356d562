/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) for one key, with every buffer it needs allocated once.
 *
 * Why not `@noble/ciphers`: its AEAD builds a new cipher object, a Poly1305 instance and several arrays for
 * every message. An SV2 connection seals two messages per frame (header, payload), so that garbage and the
 * allocator sat on the share path (about 19 µs a frame warm on the 2-core bench machine). A keyed instance here
 * works in place on the caller's buffer and allocates nothing. noble stays the reference it is tested against
 * (`test/src/sv2/noise/chacha20-poly1305.test.ts`).
 */
import { readU32LE } from '../../bitcoin/header.js';
import { chachaBlock, chachaXor } from './chacha20.js';
import { POLY1305_TAG_BYTES, Poly1305 } from './poly1305.js';

export class ChaCha20Poly1305 {
  private readonly key = new Uint32Array(8);
  private readonly block = new Uint32Array(16);
  private readonly poly = new Poly1305();

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError('a ChaCha20-Poly1305 key is 32 bytes');
    for (let i = 0; i < 8; i++) this.key[i] = readU32LE(key, 4 * i);
  }

  /**
   * Encrypts `buf[start, start+length)` in place and writes the tag at `buf[start+length, +16)`. The 96-bit
   * nonce is three little-endian words (Noise: 0, counter low, counter high).
   */
  seal(n0: number, n1: number, n2: number, ad: Uint8Array, buf: Uint8Array, start: number, length: number): void {
    if (start + length + POLY1305_TAG_BYTES > buf.length) throw new RangeError('no room for the tag');
    this.startMessage(n0, n1, n2);
    chachaXor(this.key, 1, n0, n1, n2, buf, start, length, this.block);
    this.authenticate(ad, buf, start, length);
    buf.set(this.poly.tag, start + length);
  }

  /**
   * Checks the tag at `buf[start+length, +16)` against `buf[start, start+length)` and, only when it matches,
   * decrypts into `out[outStart, +length)` (which may be the same bytes). Returns false, writing nothing,
   * when it does not.
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
    if (start + length + POLY1305_TAG_BYTES > buf.length) throw new RangeError('the tag is missing');
    if (outStart + length > out.length) throw new RangeError('no room for the plaintext');
    this.startMessage(n0, n1, n2);
    this.authenticate(ad, buf, start, length);
    const tag = this.poly.tag;
    let diff = 0;
    for (let i = 0; i < POLY1305_TAG_BYTES; i++) diff |= tag[i] ^ buf[start + length + i];
    if (diff !== 0) return false;
    if (out !== buf || outStart !== start) out.set(buf.subarray(start, start + length), outStart);
    chachaXor(this.key, 1, n0, n1, n2, out, outStart, length, this.block);
    return true;
  }

  /** Key stream block 0 is the message's one-time Poly1305 key. */
  private startMessage(n0: number, n1: number, n2: number): void {
    chachaBlock(this.key, 0, n0, n1, n2, this.block);
    this.poly.reset(this.block);
  }

  private authenticate(ad: Uint8Array, ct: Uint8Array, start: number, length: number): void {
    this.poly.absorbPadded(ad, 0, ad.length);
    this.poly.absorbPadded(ct, start, length);
    this.poly.absorbLengths(ad.length, length);
    this.poly.finish();
  }
}

/**
 * Poly1305 (RFC 8439 §2.5) over whole 16-byte blocks, the only kind the AEAD construction feeds it (it pads
 * the associated data and the ciphertext with zeros), so every block carries bit 128. Allocation-free: one
 * instance is reset with each message's one-time key.
 *
 * The accumulator and r are ten 13-bit limbs so every partial product and column sum (below 2^35) is an exact
 * JS number; carries are taken with division, never with 32-bit bit operations on a wide sum.
 */

const LIMB = 8192; // 2^13
const LIMB_MASK = 0x1fff;
/** Bit 128 of a block, as bit 11 of limb 9. */
const HIBIT = 1 << 11;

export const POLY1305_TAG_BYTES = 16;

const ZERO_BLOCK = new Uint8Array(16);

export class Poly1305 {
  private readonly r = new Float64Array(10);
  private readonly h = new Float64Array(10);
  private readonly s = new Uint16Array(8);
  private readonly g = new Float64Array(10);
  private readonly partial = new Uint8Array(16);
  /** The reduced accumulator as 16-bit words (a Uint16Array keeps only the low 16 bits of each). */
  private readonly words = new Uint16Array(8);
  /** The tag of the last `finish`. */
  readonly tag = new Uint8Array(POLY1305_TAG_BYTES);

  /**
   * Starts a message under the one-time key given as 8 little-endian words (r = words 0–3, clamped; s =
   * words 4–7), as ChaCha20 block 0 hands it over.
   */
  reset(key: Uint32Array): void {
    // r clamped: the top 4 bits of bytes 3, 7, 11, 15 and the low 2 bits of bytes 4, 8, 12 cleared.
    const t0 = key[0] & 0xffff;
    const t1 = (key[0] >>> 16) & 0x0fff;
    const t2 = key[1] & 0xfffc;
    const t3 = (key[1] >>> 16) & 0x0fff;
    const t4 = key[2] & 0xfffc;
    const t5 = (key[2] >>> 16) & 0x0fff;
    const t6 = key[3] & 0xfffc;
    const t7 = (key[3] >>> 16) & 0x0fff;
    const r = this.r;
    r[0] = t0 & LIMB_MASK;
    r[1] = ((t0 >>> 13) | (t1 << 3)) & LIMB_MASK;
    r[2] = ((t1 >>> 10) | (t2 << 6)) & LIMB_MASK;
    r[3] = ((t2 >>> 7) | (t3 << 9)) & LIMB_MASK;
    r[4] = ((t3 >>> 4) | (t4 << 12)) & LIMB_MASK;
    r[5] = (t4 >>> 1) & LIMB_MASK;
    r[6] = ((t4 >>> 14) | (t5 << 2)) & LIMB_MASK;
    r[7] = ((t5 >>> 11) | (t6 << 5)) & LIMB_MASK;
    r[8] = ((t6 >>> 8) | (t7 << 8)) & LIMB_MASK;
    r[9] = (t7 >>> 5) & LIMB_MASK;
    const s = this.s;
    for (let i = 0; i < 4; i++) {
      s[2 * i] = key[4 + i] & 0xffff;
      s[2 * i + 1] = key[4 + i] >>> 16;
    }
    this.h.fill(0);
  }

  /** Absorbs `bytes[start, start+length)` as blocks, the last one zero-padded to 16 bytes. */
  absorbPadded(bytes: Uint8Array, start: number, length: number): void {
    const end = start + length;
    let i = start;
    for (; i + 16 <= end; i += 16) this.block(bytes, i);
    if (i < end) {
      const last = this.partial;
      last.set(ZERO_BLOCK);
      last.set(bytes.subarray(i, end));
      this.block(last, 0);
    }
  }

  /** Absorbs the block of two little-endian 64-bit lengths that closes an AEAD message. */
  absorbLengths(adLength: number, textLength: number): void {
    const b = this.partial;
    writeU64le(b, 0, adLength);
    writeU64le(b, 8, textLength);
    this.block(b, 0);
  }

  /** h = (h + block + 2^128) · r mod 2^130 − 5. */
  block(m: Uint8Array, i: number): void {
    const t0 = m[i] | (m[i + 1] << 8);
    const t1 = m[i + 2] | (m[i + 3] << 8);
    const t2 = m[i + 4] | (m[i + 5] << 8);
    const t3 = m[i + 6] | (m[i + 7] << 8);
    const t4 = m[i + 8] | (m[i + 9] << 8);
    const t5 = m[i + 10] | (m[i + 11] << 8);
    const t6 = m[i + 12] | (m[i + 13] << 8);
    const t7 = m[i + 14] | (m[i + 15] << 8);
    const h = this.h;
    const h0 = h[0] + (t0 & LIMB_MASK);
    const h1 = h[1] + (((t0 >>> 13) | (t1 << 3)) & LIMB_MASK);
    const h2 = h[2] + (((t1 >>> 10) | (t2 << 6)) & LIMB_MASK);
    const h3 = h[3] + (((t2 >>> 7) | (t3 << 9)) & LIMB_MASK);
    const h4 = h[4] + (((t3 >>> 4) | (t4 << 12)) & LIMB_MASK);
    const h5 = h[5] + ((t4 >>> 1) & LIMB_MASK);
    const h6 = h[6] + (((t4 >>> 14) | (t5 << 2)) & LIMB_MASK);
    const h7 = h[7] + (((t5 >>> 11) | (t6 << 5)) & LIMB_MASK);
    const h8 = h[8] + (((t6 >>> 8) | (t7 << 8)) & LIMB_MASK);
    const h9 = h[9] + ((t7 >>> 5) | HIBIT);
    const r = this.r;
    const r0 = r[0];
    const r1 = r[1];
    const r2 = r[2];
    const r3 = r[3];
    const r4 = r[4];
    const r5 = r[5];
    const r6 = r[6];
    const r7 = r[7];
    const r8 = r[8];
    const r9 = r[9];
    // 2^130 ≡ 5: a product that lands past limb 9 comes back to limb (i − 10) times 5.
    const f1 = 5 * r1;
    const f2 = 5 * r2;
    const f3 = 5 * r3;
    const f4 = 5 * r4;
    const f5 = 5 * r5;
    const f6 = 5 * r6;
    const f7 = 5 * r7;
    const f8 = 5 * r8;
    const f9 = 5 * r9;
    let d0 = h0 * r0 + h1 * f9 + h2 * f8 + h3 * f7 + h4 * f6 + h5 * f5 + h6 * f4 + h7 * f3 + h8 * f2 + h9 * f1;
    let d1 = h0 * r1 + h1 * r0 + h2 * f9 + h3 * f8 + h4 * f7 + h5 * f6 + h6 * f5 + h7 * f4 + h8 * f3 + h9 * f2;
    let d2 = h0 * r2 + h1 * r1 + h2 * r0 + h3 * f9 + h4 * f8 + h5 * f7 + h6 * f6 + h7 * f5 + h8 * f4 + h9 * f3;
    let d3 = h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * f9 + h5 * f8 + h6 * f7 + h7 * f6 + h8 * f5 + h9 * f4;
    let d4 = h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * f9 + h6 * f8 + h7 * f7 + h8 * f6 + h9 * f5;
    let d5 = h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0 + h6 * f9 + h7 * f8 + h8 * f7 + h9 * f6;
    let d6 = h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2 + h5 * r1 + h6 * r0 + h7 * f9 + h8 * f8 + h9 * f7;
    let d7 = h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3 + h5 * r2 + h6 * r1 + h7 * r0 + h8 * f9 + h9 * f8;
    let d8 = h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4 + h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * f9;
    let d9 = h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5 + h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;
    // Carry each column into the next; the carry out of limb 9 wraps to limb 0 times 5.
    let c = Math.floor(d0 / LIMB);
    d0 -= c * LIMB;
    d1 += c;
    c = Math.floor(d1 / LIMB);
    d1 -= c * LIMB;
    d2 += c;
    c = Math.floor(d2 / LIMB);
    d2 -= c * LIMB;
    d3 += c;
    c = Math.floor(d3 / LIMB);
    d3 -= c * LIMB;
    d4 += c;
    c = Math.floor(d4 / LIMB);
    d4 -= c * LIMB;
    d5 += c;
    c = Math.floor(d5 / LIMB);
    d5 -= c * LIMB;
    d6 += c;
    c = Math.floor(d6 / LIMB);
    d6 -= c * LIMB;
    d7 += c;
    c = Math.floor(d7 / LIMB);
    d7 -= c * LIMB;
    d8 += c;
    c = Math.floor(d8 / LIMB);
    d8 -= c * LIMB;
    d9 += c;
    c = Math.floor(d9 / LIMB);
    d9 -= c * LIMB;
    d0 += 5 * c;
    c = Math.floor(d0 / LIMB);
    d0 -= c * LIMB;
    d1 += c;
    h[0] = d0;
    h[1] = d1;
    h[2] = d2;
    h[3] = d3;
    h[4] = d4;
    h[5] = d5;
    h[6] = d6;
    h[7] = d7;
    h[8] = d8;
    h[9] = d9;
  }

  /** h fully reduced mod 2^130 − 5, plus s mod 2^128, into `tag`. */
  finish(): void {
    const h = this.h;
    // Two carry passes leave every limb below 2^13 (h1 may exceed it by one after a block).
    for (let pass = 0; pass < 2; pass++) {
      let c = 0;
      for (let i = 0; i < 10; i++) {
        const v = h[i] + c;
        c = Math.floor(v / LIMB);
        h[i] = v - c * LIMB;
      }
      h[0] += 5 * c;
    }
    // g = h + 5 − 2^130; h ≥ p exactly when that has no borrow, i.e. h + 5 carries out of bit 130.
    const g = this.g;
    let c = 5;
    for (let i = 0; i < 10; i++) {
      const v = h[i] + c;
      c = v >= LIMB ? 1 : 0;
      g[i] = v - c * LIMB;
    }
    const useG = c === 1;
    const x = useG ? g : h;
    const words = this.words;
    words[0] = x[0] | (x[1] << 13);
    words[1] = (x[1] >>> 3) | (x[2] << 10);
    words[2] = (x[2] >>> 6) | (x[3] << 7);
    words[3] = (x[3] >>> 9) | (x[4] << 4);
    words[4] = (x[4] >>> 12) | (x[5] << 1) | (x[6] << 14);
    words[5] = (x[6] >>> 2) | (x[7] << 11);
    words[6] = (x[7] >>> 5) | (x[8] << 8);
    words[7] = (x[8] >>> 8) | (x[9] << 5);
    const s = this.s;
    const tag = this.tag;
    let carry = 0;
    for (let i = 0; i < 8; i++) {
      const v = words[i] + s[i] + carry;
      carry = v >>> 16;
      tag[2 * i] = v;
      tag[2 * i + 1] = v >>> 8;
    }
  }
}

function writeU64le(b: Uint8Array, at: number, n: number): void {
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296);
  for (let i = 0; i < 4; i++) {
    b[at + i] = lo >>> (8 * i);
    b[at + 4 + i] = hi >>> (8 * i);
  }
}

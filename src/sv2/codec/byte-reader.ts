import { Sv2ProtocolError } from './errors.js';

// One scratch word for F32 conversions: decoding must not allocate per field.
const f32Scratch = new DataView(new ArrayBuffer(4));

/**
 * A bounds-checked cursor over one message payload. Every read checks the remaining length first and throws
 * `Sv2ProtocolError('truncated')`, so a decoder can never read past the frame it was given. Byte-string reads
 * return views into the payload (zero copy): copy them if the payload buffer will be reused.
 */
export class ByteReader {
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
    readonly end = bytes.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws unless `n` more bytes are available; `what` names the field for the error. */
  need(n: number, what: string): void {
    if (n > this.end - this.offset) {
      throw new Sv2ProtocolError(
        'truncated',
        `${what} needs ${n} bytes at offset ${this.offset}, only ${this.end - this.offset} left`,
      );
    }
  }

  u8(what = 'U8'): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }

  u16(what = 'U16'): number {
    this.need(2, what);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 2;
    return b[o] | (b[o + 1] << 8);
  }

  u24(what = 'U24'): number {
    this.need(3, what);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 3;
    return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
  }

  u32(what = 'U32'): number {
    this.need(4, what);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
  }

  u64(what = 'U64'): bigint {
    this.need(8, what);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 8;
    const lo = (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
    const hi = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24)) >>> 0;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  f32(what = 'F32'): number {
    f32Scratch.setUint32(0, this.u32(what), true);
    return f32Scratch.getFloat32(0, true);
  }

  /** A view of the next `n` bytes (no copy). */
  view(n: number, what: string): Uint8Array {
    this.need(n, what);
    const o = this.offset;
    this.offset = o + n;
    return this.bytes.subarray(o, o + n);
  }
}

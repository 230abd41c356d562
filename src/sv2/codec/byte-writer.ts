// One scratch word for F32 conversions (no allocation per field).
const f32Scratch = new DataView(new ArrayBuffer(4));

/**
 * A cursor writing into a caller-provided buffer. Encoders compute the exact size first and allocate (or
 * reuse) once, so the writer does no bounds checks of its own; `finish` verifies the cursor landed where the
 * size computation said it would.
 */
export class ByteWriter {
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset;
  }

  u8(v: number): void {
    this.bytes[this.offset++] = v;
  }

  u16(v: number): void {
    const b = this.bytes;
    const o = this.offset;
    b[o] = v;
    b[o + 1] = v >>> 8;
    this.offset = o + 2;
  }

  u24(v: number): void {
    const b = this.bytes;
    const o = this.offset;
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    this.offset = o + 3;
  }

  u32(v: number): void {
    const b = this.bytes;
    const o = this.offset;
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
    this.offset = o + 4;
  }

  u64(v: bigint): void {
    this.u32(Number(v & 0xffffffffn));
    this.u32(Number((v >> 32n) & 0xffffffffn));
  }

  f32(v: number): void {
    f32Scratch.setFloat32(0, v, true);
    this.u32(f32Scratch.getUint32(0, true));
  }

  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  /** Throws if the cursor is not at `expectedEnd` (an encoder's size function and writer disagree: a bug). */
  finish(expectedEnd: number): void {
    if (this.offset !== expectedEnd) {
      throw new Error(`SV2 encoder wrote ${this.offset} bytes, size said ${expectedEnd}`);
    }
  }
}

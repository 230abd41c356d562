/**
 * The SV2 data types (spec "Data types"), each as a small descriptor that knows its encoded size, how to write
 * and read it, and how to show it as JSON. Message definitions are lists of (wire name, type) pairs built from
 * these, so encode, decode and inspection all come from one table.
 *
 * Everything is little-endian. U256 is 32 raw bytes: a number (target) is little-endian, a hash is in the
 * block header's internal byte order; the codec never reorders them.
 */
import { bytesToHex } from '../../util/hex.js';
import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';
import { Sv2EncodeError, Sv2ProtocolError } from './errors.js';

/** What `json()` returns: plain values for `--json` output and test comparisons (bytes as hex). */
export type JsonValue = null | boolean | number | string | JsonValue[];

export interface FieldType<T> {
  /** The spec's name for the type, e.g. `U32`, `SEQ0_255[U256]`. */
  readonly name: string;
  /** Fewest bytes an encoding can take (lets sequence decoders reject forged counts before looping). */
  readonly minSize: number;
  /** Encoded size of `value`; throws Sv2EncodeError naming `field` when the value does not fit the type. */
  size(value: T, field: string): number;
  write(w: ByteWriter, value: T): void;
  /** Reads one value; throws Sv2ProtocolError naming `field` on truncation or an out-of-range length. */
  read(r: ByteReader, field: string): T;
  json(value: T): JsonValue;
}

function checkUint(value: number, max: number, type: string, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Sv2EncodeError(`${field}: ${type} must be an integer 0..${max}, got ${value}`);
  }
}

function uint(name: string, bytes: 1 | 2 | 3 | 4): FieldType<number> {
  const max = 2 ** (8 * bytes) - 1;
  const size = (value: number, field: string): number => {
    checkUint(value, max, name, field);
    return bytes;
  };
  const json = (v: number): JsonValue => v;
  switch (bytes) {
    case 1:
      return { name, minSize: 1, size, write: (w, v) => w.u8(v), read: (r, f) => r.u8(f), json };
    case 2:
      return { name, minSize: 2, size, write: (w, v) => w.u16(v), read: (r, f) => r.u16(f), json };
    case 3:
      return { name, minSize: 3, size, write: (w, v) => w.u24(v), read: (r, f) => r.u24(f), json };
    default:
      return { name, minSize: 4, size, write: (w, v) => w.u32(v), read: (r, f) => r.u32(f), json };
  }
}

export const U8 = uint('U8', 1);
export const U16 = uint('U16', 2);
export const U24 = uint('U24', 3);
export const U32 = uint('U32', 4);

const U64_MAX = (1n << 64n) - 1n;

export const U64: FieldType<bigint> = {
  name: 'U64',
  minSize: 8,
  size(value, field) {
    if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
      throw new Sv2EncodeError(`${field}: U64 must be a bigint 0..2^64-1, got ${String(value)}`);
    }
    return 8;
  },
  write: (w, v) => w.u64(v),
  read: (r, f) => r.u64(f),
  json: (v) => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()),
};

export const F32: FieldType<number> = {
  name: 'F32',
  minSize: 4,
  size(value, field) {
    if (typeof value !== 'number') throw new Sv2EncodeError(`${field}: F32 must be a number`);
    return 4;
  },
  write: (w, v) => w.f32(v),
  read: (r, f) => r.f32(f),
  json: (v) => (Number.isFinite(v) ? v : String(v)),
};

export const BOOL: FieldType<boolean> = {
  name: 'BOOL',
  minSize: 1,
  size: () => 1,
  write: (w, v) => w.u8(v ? 1 : 0),
  // Readers look at bit 0 only (SRI masks the byte), so 0x02 is false and 0xff is true.
  read: (r, f) => (r.u8(f) & 1) === 1,
  json: (v) => v,
};

function fixedBytes(name: string, n: number): FieldType<Uint8Array> {
  return {
    name,
    minSize: n,
    size(value, field) {
      if (!(value instanceof Uint8Array) || value.length !== n) {
        throw new Sv2EncodeError(`${field}: ${name} must be ${n} bytes, got ${value?.length}`);
      }
      return n;
    },
    write: (w, v) => w.raw(v),
    read: (r, f) => r.view(n, `${f} (${name})`),
    json: (v) => bytesToHex(v),
  };
}

export const U256 = fixedBytes('U256', 32);
export const PUBKEY = fixedBytes('PUBKEY', 32);
export const SIGNATURE = fixedBytes('SIGNATURE', 64);

function lengthPrefixed(name: string, prefixBytes: 1 | 2 | 3, max: number): FieldType<Uint8Array> {
  return {
    name,
    minSize: prefixBytes,
    size(value, field) {
      if (!(value instanceof Uint8Array)) throw new Sv2EncodeError(`${field}: ${name} must be bytes`);
      if (value.length > max) {
        throw new Sv2EncodeError(`${field}: ${name} holds at most ${max} bytes, got ${value.length}`);
      }
      return prefixBytes + value.length;
    },
    write(w, v) {
      if (prefixBytes === 1) w.u8(v.length);
      else if (prefixBytes === 2) w.u16(v.length);
      else w.u24(v.length);
      w.raw(v);
    },
    read(r, f) {
      const len = prefixBytes === 1 ? r.u8(f) : prefixBytes === 2 ? r.u16(f) : r.u24(f);
      if (len > max) {
        throw new Sv2ProtocolError('length-exceeds-max', `${f}: ${name} length ${len} exceeds ${max}`);
      }
      return r.view(len, `${f} (${name} of ${len} bytes)`);
    },
    json: (v) => bytesToHex(v),
  };
}

export const B0_32 = lengthPrefixed('B0_32', 1, 32);
export const B0_255 = lengthPrefixed('B0_255', 1, 255);
export const B0_64K = lengthPrefixed('B0_64K', 2, 65535);
export const B0_16M = lengthPrefixed('B0_16M', 3, 16777215);

const utf8Encoder = new TextEncoder();
// SRI does not validate UTF-8 in STR0_255; neither do we: bad sequences decode to U+FFFD instead of failing.
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 byte length of a JS string without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

export const STR0_255: FieldType<string> = {
  name: 'STR0_255',
  minSize: 1,
  size(value, field) {
    if (typeof value !== 'string') throw new Sv2EncodeError(`${field}: STR0_255 must be a string`);
    const n = utf8Length(value);
    if (n > 255) throw new Sv2EncodeError(`${field}: STR0_255 holds at most 255 UTF-8 bytes, got ${n}`);
    return 1 + n;
  },
  write(w, v) {
    const n = utf8Length(v);
    w.u8(n);
    utf8Encoder.encodeInto(v, w.bytes.subarray(w.offset, w.offset + n));
    w.offset += n;
  },
  read(r, f) {
    const len = r.u8(f);
    return utf8Decoder.decode(r.view(len, `${f} (STR0_255 of ${len} bytes)`));
  },
  json: (v) => v,
};

function sequence<T>(item: FieldType<T>, prefixBytes: 1 | 2, max: number): FieldType<T[]> {
  const name = `SEQ0_${prefixBytes === 1 ? '255' : '64K'}[${item.name}]`;
  return {
    name,
    minSize: prefixBytes,
    size(value, field) {
      if (!Array.isArray(value)) throw new Sv2EncodeError(`${field}: ${name} must be an array`);
      if (value.length > max) {
        throw new Sv2EncodeError(`${field}: ${name} holds at most ${max} elements, got ${value.length}`);
      }
      let n = prefixBytes;
      for (let i = 0; i < value.length; i++) n += item.size(value[i], `${field}[${i}]`);
      return n;
    },
    write(w, v) {
      if (prefixBytes === 1) w.u8(v.length);
      else w.u16(v.length);
      for (const x of v) item.write(w, x);
    },
    read(r, f) {
      const count = prefixBytes === 1 ? r.u8(f) : r.u16(f);
      // A forged count is refused before looping or allocating: every element takes at least minSize bytes.
      if (count * item.minSize > r.remaining) {
        throw new Sv2ProtocolError(
          'truncated',
          `${f}: ${name} claims ${count} elements (≥ ${count * item.minSize} bytes), only ${r.remaining} left`,
        );
      }
      const out: T[] = [];
      for (let i = 0; i < count; i++) out.push(item.read(r, `${f}[${i}]`));
      return out;
    },
    json: (v) => v.map((x) => item.json(x)),
  };
}

export function SEQ0_255<T>(item: FieldType<T>): FieldType<T[]> {
  return sequence(item, 1, 255);
}

export function SEQ0_64K<T>(item: FieldType<T>): FieldType<T[]> {
  return sequence(item, 2, 65535);
}

export function OPTION<T>(item: FieldType<T>): FieldType<T | null> {
  const name = `OPTION[${item.name}]`;
  return {
    name,
    minSize: 1,
    size: (value, field) => (value === null ? 1 : 1 + item.size(value, field)),
    write(w, v) {
      if (v === null) w.u8(0);
      else {
        w.u8(1);
        item.write(w, v);
      }
    },
    read(r, f) {
      const tag = r.u8(f);
      if (tag === 0) return null;
      if (tag !== 1) {
        throw new Sv2ProtocolError('bad-option-tag', `${f}: ${name} tag must be 0 or 1, got ${tag}`);
      }
      return item.read(r, f);
    },
    json: (v) => (v === null ? null : item.json(v)),
  };
}

/** BYTES: a byte string whose length the context fixes (TLV values, certificate fields). */
export function BYTES(length: number): FieldType<Uint8Array> {
  return fixedBytes(`BYTES[${length}]`, length);
}

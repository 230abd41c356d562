import { crc5 } from './crc.js';
import { FrameError } from './errors.js';

/**
 * Response frames, chips → host: `AA 55 | 4-byte value or nonce | byte 6 | byte 7 | [2 bytes] | type+CRC5`.
 * No length byte: BM1397 frames are always 9 bytes; BM1366/68/70 frames are 11 bytes once version rolling has been
 * enabled (register 0xA4 bit 31), 9 before. The last byte holds the type in bits 7..5 (0 register, 4 nonce) and a
 * CRC5 in bits 4..0 that makes the CRC over every byte after the preamble come out 0.
 */

export const RESPONSE_TYPE_REGISTER = 0;
export const RESPONSE_TYPE_NONCE = 4;
export type ResponseBytes = 9 | 11;

export interface RegisterReply {
  readonly kind: 'register';
  readonly value: number;
  readonly chipAddress: number;
  readonly register: number;
}

export interface NonceReply {
  readonly kind: 'nonce';
  /** Header nonce value (bytes 2..5 read little-endian). */
  readonly nonce: number;
  /** The same bytes read most significant first: where the chip stamps core and chip fields. */
  readonly nonceBE: number;
  /** BM1397: "midstate number" (unused); BM1366+: excess difficulty in half bits above the ticket. */
  readonly byte6: number;
  /** Job id and sub-core / midstate index, placement model-specific (chip-model.ts). */
  readonly resultHeader: number;
  /** BM1366+: rolled version bits >> 13 (bytes 8..9 MSB first); BM1397: null. */
  readonly versionField: number | null;
}

export type Bm13xxResponse = RegisterReply | NonceReply;

/**
 * True when the `size` bytes at `offset` are a response: preamble, a known type (register or nonce) and a CRC5
 * residue of zero. Allocation-free (the framer calls it per candidate).
 */
export function responseValid(bytes: Uint8Array, offset: number, size: number): boolean {
  const last = bytes[offset + size - 1];
  return (
    bytes[offset] === 0xaa &&
    bytes[offset + 1] === 0x55 &&
    (last & 0x60) === 0 && // types 0 and 4 only: bits 6..5 clear
    crc5(bytes, offset + 2, offset + size) === 0
  );
}

export function responseIsNonce(bytes: Uint8Array, offset: number, size: number): boolean {
  return (bytes[offset + size - 1] & 0x80) !== 0;
}

/** Decodes a response (CRC checked unless told otherwise). */
export function decodeResponse(
  bytes: Uint8Array,
  offset = 0,
  size = bytes.length - offset,
  verifyCrc = true,
): Bm13xxResponse {
  if (size !== 9 && size !== 11) throw new FrameError(`a response is 9 or 11 bytes, got ${size}`);
  if (bytes[offset] !== 0xaa || bytes[offset + 1] !== 0x55) throw new FrameError('a response starts with AA 55');
  const type = bytes[offset + size - 1] >>> 5;
  if (type !== RESPONSE_TYPE_REGISTER && type !== RESPONSE_TYPE_NONCE) {
    throw new FrameError(`response type ${type} is neither 0 (register) nor 4 (nonce)`);
  }
  if (verifyCrc && crc5(bytes, offset + 2, offset + size) !== 0) {
    throw new FrameError(`CRC5 mismatch: expected 0x${expectedResponseCrc(bytes, offset, size).toString(16)}`);
  }
  const b2 = bytes[offset + 2];
  const b3 = bytes[offset + 3];
  const b4 = bytes[offset + 4];
  const b5 = bytes[offset + 5];
  if (type === RESPONSE_TYPE_REGISTER) {
    return {
      kind: 'register',
      value: ((b2 << 24) | (b3 << 16) | (b4 << 8) | b5) >>> 0,
      chipAddress: bytes[offset + 6],
      register: bytes[offset + 7],
    };
  }
  return {
    kind: 'nonce',
    nonce: (b2 | (b3 << 8) | (b4 << 16) | (b5 << 24)) >>> 0,
    nonceBE: ((b2 << 24) | (b3 << 16) | (b4 << 8) | b5) >>> 0,
    byte6: bytes[offset + 6],
    resultHeader: bytes[offset + 7],
    versionField: size === 11 ? (bytes[offset + 8] << 8) | bytes[offset + 9] : null,
  };
}

/** The CRC5 the last byte of this response should carry (its type bits included), for error messages. */
export function expectedResponseCrc(bytes: Uint8Array, offset: number, size: number): number {
  // The CRC covers the type bits, which sit above it in the same byte: run it over the bytes before the last
  // byte, then over the three type bits alone.
  let c = crc5(bytes, offset + 2, offset + size - 1);
  const type = bytes[offset + size - 1] >>> 5;
  for (let i = 2; i >= 0; i--) {
    const bit = (type >>> i) & 1;
    const fb = ((c >>> 4) & 1) ^ bit;
    c = (c << 1) & 0x1f;
    if (fb) c ^= 0x05;
  }
  return c;
}

function finish(out: Uint8Array, offset: number, size: number, type: number): Uint8Array {
  out[offset + size - 1] = type << 5;
  out[offset + size - 1] = (type << 5) | expectedResponseCrc(out, offset, size);
  return out;
}

/** Builds a register reply (the emulator's side). */
export function encodeRegisterReply(
  size: ResponseBytes,
  value: number,
  chipAddress: number,
  register: number,
  out: Uint8Array = new Uint8Array(size),
  offset = 0,
): Uint8Array {
  out[offset] = 0xaa;
  out[offset + 1] = 0x55;
  out[offset + 2] = value >>> 24;
  out[offset + 3] = value >>> 16;
  out[offset + 4] = value >>> 8;
  out[offset + 5] = value;
  out[offset + 6] = chipAddress;
  out[offset + 7] = register;
  if (size === 11) {
    out[offset + 8] = 0;
    out[offset + 9] = 0;
  }
  return finish(out, offset, size, RESPONSE_TYPE_REGISTER);
}

/** Builds a nonce reply from the nonce as the chip stamps it (`nonceBE`, sent most significant byte first). */
export function encodeNonceReply(
  size: ResponseBytes,
  nonceBE: number,
  byte6: number,
  resultHeader: number,
  versionField: number,
  out: Uint8Array = new Uint8Array(size),
  offset = 0,
): Uint8Array {
  out[offset] = 0xaa;
  out[offset + 1] = 0x55;
  out[offset + 2] = nonceBE >>> 24;
  out[offset + 3] = nonceBE >>> 16;
  out[offset + 4] = nonceBE >>> 8;
  out[offset + 5] = nonceBE;
  out[offset + 6] = byte6;
  out[offset + 7] = resultHeader;
  if (size === 11) {
    out[offset + 8] = versionField >>> 8;
    out[offset + 9] = versionField;
  }
  return finish(out, offset, size, RESPONSE_TYPE_NONCE);
}

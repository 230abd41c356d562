import { sha256d } from './sha256.js';

/** Size of a serialized block header. */
export const HEADER_BYTES = 80;

/**
 * An 80-byte block header. Hashes are in internal byte order (as serialized in the header and fed to
 * SHA-256); integers are numbers (serialized little-endian).
 */
export interface BlockHeader {
  version: number;
  prevHash: Uint8Array;
  merkleRoot: Uint8Array;
  time: number;
  bits: number;
  nonce: number;
}

export function writeU32LE(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value;
  out[offset + 1] = value >>> 8;
  out[offset + 2] = value >>> 16;
  out[offset + 3] = value >>> 24;
}

export function readU32LE(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

/** Serializes a header into `out[offset..offset+80)`. */
export function encodeHeader(
  header: BlockHeader,
  out: Uint8Array = new Uint8Array(HEADER_BYTES),
  offset = 0,
): Uint8Array {
  if (header.prevHash.length !== 32 || header.merkleRoot.length !== 32) {
    throw new RangeError('prevHash and merkleRoot must be 32 bytes');
  }
  writeU32LE(out, offset, header.version);
  out.set(header.prevHash, offset + 4);
  out.set(header.merkleRoot, offset + 36);
  writeU32LE(out, offset + 68, header.time);
  writeU32LE(out, offset + 72, header.bits);
  writeU32LE(out, offset + 76, header.nonce);
  return out;
}

export function decodeHeader(bytes: Uint8Array, offset = 0): BlockHeader {
  if (bytes.length - offset < HEADER_BYTES) {
    throw new RangeError(`a block header is ${HEADER_BYTES} bytes, got ${bytes.length - offset}`);
  }
  return {
    version: readU32LE(bytes, offset),
    prevHash: bytes.slice(offset + 4, offset + 36),
    merkleRoot: bytes.slice(offset + 36, offset + 68),
    time: readU32LE(bytes, offset + 68),
    bits: readU32LE(bytes, offset + 72),
    nonce: readU32LE(bytes, offset + 76),
  };
}

/** The block hash (internal byte order; display it reversed). */
export function headerHash(header: Uint8Array): Uint8Array {
  if (header.length !== HEADER_BYTES) throw new RangeError(`a block header is ${HEADER_BYTES} bytes`);
  return sha256d(header);
}

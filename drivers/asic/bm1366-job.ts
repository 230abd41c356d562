import { HEADER } from './command.js';
import { crc16 } from './crc.js';
import { FrameError } from './errors.js';

/**
 * The full-header job frame of the BM1366 (also BM1368 and BM1370): the chip computes its own midstates, so the
 * host sends the header fields and the chip rolls the version bits itself.
 *
 *   55 AA 21 LEN | job id | num midstates | start nonce (LE) | nbits (LE) | ntime (LE)
 *   | merkle root (32) | previous hash (32) | version (LE) | CRC16 (MSB first)        = 88 bytes
 *
 * The two hashes go in header byte order with their eight 4-byte words reversed (word 7 first, bytes inside a
 * word unchanged). LEN is 0x56 from ESP-Miner (the true count after the preamble); factory firmware sends 0x36.
 * The chips accept both, so the decoder only requires the frame to be 88 bytes.
 */

export const FULL_JOB_BYTES = 88;
/** Length byte ESP-Miner sends (bytes after the preamble). */
export const FULL_JOB_LENGTH_BYTE = 0x56;

export interface FullHeaderJob {
  /** The job id byte as sent (model-specific placement, see chip-model.ts). */
  readonly jobId: number;
  /** Header nonce value the chips start from; every host sends 0. */
  readonly startNonce: number;
  readonly nbits: number;
  readonly ntime: number;
  /** 32 bytes, header (internal) byte order. */
  readonly merkleRoot: Uint8Array;
  /** 32 bytes, header (internal) byte order. */
  readonly prevHash: Uint8Array;
  /** Base version; the chip sets the rolled bits itself. */
  readonly version: number;
}

export interface DecodedFullHeaderJob extends FullHeaderJob {
  readonly lengthByte: number;
  readonly numMidstates: number;
  readonly crcOk: boolean;
}

function writeU32LE(out: Uint8Array, p: number, v: number): void {
  out[p] = v;
  out[p + 1] = v >>> 8;
  out[p + 2] = v >>> 16;
  out[p + 3] = v >>> 24;
}

function readU32LE(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/** Copies a 32-byte hash reversing its word order (the transform is its own inverse). */
export function copyHashWordsReversed(src: Uint8Array, srcOffset: number, out: Uint8Array, outOffset: number): void {
  for (let w = 0; w < 8; w++) {
    const s = srcOffset + (7 - w) * 4;
    const d = outOffset + w * 4;
    out[d] = src[s];
    out[d + 1] = src[s + 1];
    out[d + 2] = src[s + 2];
    out[d + 3] = src[s + 3];
  }
}

/** Encodes a job into `out` (88 bytes, reusable: nothing is kept). */
export function encodeFullHeaderJob(
  job: FullHeaderJob,
  out: Uint8Array = new Uint8Array(FULL_JOB_BYTES),
  lengthByte = FULL_JOB_LENGTH_BYTE,
): Uint8Array {
  if (job.merkleRoot.length !== 32 || job.prevHash.length !== 32) {
    throw new RangeError('merkleRoot and prevHash must be 32 bytes');
  }
  out[0] = 0x55;
  out[1] = 0xaa;
  out[2] = HEADER.JOB;
  out[3] = lengthByte;
  out[4] = job.jobId;
  out[5] = 1;
  writeU32LE(out, 6, job.startNonce);
  writeU32LE(out, 10, job.nbits);
  writeU32LE(out, 14, job.ntime);
  copyHashWordsReversed(job.merkleRoot, 0, out, 18);
  copyHashWordsReversed(job.prevHash, 0, out, 50);
  writeU32LE(out, 82, job.version);
  const crc = crc16(out, 2, 86);
  out[86] = crc >>> 8;
  out[87] = crc;
  return out;
}

/** True when the 88 bytes at `offset` are a job frame with a good CRC16 (the length byte is not checked). */
export function fullHeaderJobValid(bytes: Uint8Array, offset: number): boolean {
  return (
    bytes[offset] === 0x55 &&
    bytes[offset + 1] === 0xaa &&
    bytes[offset + 2] === HEADER.JOB &&
    ((bytes[offset + 86] << 8) | bytes[offset + 87]) === crc16(bytes, offset + 2, offset + 86)
  );
}

/** Decodes an 88-byte full-header job frame. Throws FrameError on a wrong preamble, header or size. */
export function decodeFullHeaderJob(bytes: Uint8Array, offset = 0, size = bytes.length - offset): DecodedFullHeaderJob {
  if (size !== FULL_JOB_BYTES) throw new FrameError(`a full-header job frame is ${FULL_JOB_BYTES} bytes, got ${size}`);
  if (bytes[offset] !== 0x55 || bytes[offset + 1] !== 0xaa || bytes[offset + 2] !== HEADER.JOB) {
    throw new FrameError('a job frame starts with 55 AA 21');
  }
  const merkleRoot = new Uint8Array(32);
  const prevHash = new Uint8Array(32);
  copyHashWordsReversed(bytes, offset + 18, merkleRoot, 0);
  copyHashWordsReversed(bytes, offset + 50, prevHash, 0);
  return {
    lengthByte: bytes[offset + 3],
    jobId: bytes[offset + 4],
    numMidstates: bytes[offset + 5],
    startNonce: readU32LE(bytes, offset + 6),
    nbits: readU32LE(bytes, offset + 10),
    ntime: readU32LE(bytes, offset + 14),
    merkleRoot,
    prevHash,
    version: readU32LE(bytes, offset + 82),
    crcOk: fullHeaderJobValid(bytes, offset),
  };
}

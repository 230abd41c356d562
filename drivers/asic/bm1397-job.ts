import { HEADER } from './command.js';
import { crc16 } from './crc.js';
import { FrameError } from './errors.js';

/**
 * The midstate job frame of the BM1397: the chip cannot build midstates, so the host sends the SHA-256 state after
 * the first 64 header bytes for each version it wants hashed (1 to 4), plus the 16 bytes that follow.
 *
 *   55 AA 21 LEN | job id | num midstates | start nonce (LE) | nbits (LE) | ntime (LE) | merkle tail (4)
 *   | midstate × slots (32 each) | CRC16 (MSB first)
 *
 * LEN = bytes after the preamble = 22 + 32 × slots. ESP-Miner always sends 4 slots (LEN 0x96, 152 bytes) and
 * zero-fills the unused ones; cgminer sends only the midstates it uses. A midstate goes on the wire as the state
 * words H7..H0, each most significant byte first. The merkle tail is header bytes 64..67 unchanged.
 */

export const MIDSTATE_JOB_PADDED_BYTES = 152;
export const MAX_MIDSTATES = 4;

export interface MidstateJob {
  readonly jobId: number;
  readonly startNonce: number;
  readonly nbits: number;
  readonly ntime: number;
  /** Header bytes 64..67 (the last 4 bytes of the merkle root in header order). */
  readonly merkleTail: Uint8Array;
  /** 1..4 midstates as SHA-256 state words H0..H7. */
  readonly midstates: readonly Uint32Array[];
}

export interface DecodedMidstateJob extends MidstateJob {
  readonly lengthByte: number;
  /** The num-midstates byte (how many of the slots the chip hashes). */
  readonly numMidstates: number;
  /** Midstate slots present in the frame. */
  readonly slots: number;
  readonly crcOk: boolean;
}

export type MidstateJobLayout = 'padded' | 'compact';

/** Wire size of a midstate job with this many slots. */
export function midstateJobBytes(slots: number): number {
  return 24 + 32 * slots;
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

/**
 * Encodes a midstate job. `padded` (ESP-Miner) always writes 4 slots and says how many are used in the
 * num-midstates byte; `compact` (cgminer) writes only the midstates given. `out` may be reused.
 */
export function encodeMidstateJob(
  job: MidstateJob,
  layout: MidstateJobLayout = 'padded',
  out?: Uint8Array,
): Uint8Array {
  const n = job.midstates.length;
  if (n < 1 || n > MAX_MIDSTATES) throw new RangeError(`a BM1397 job carries 1 to 4 midstates, got ${n}`);
  if (job.merkleTail.length !== 4) throw new RangeError('merkleTail must be 4 bytes');
  const slots = layout === 'padded' ? MAX_MIDSTATES : n;
  const size = midstateJobBytes(slots);
  const frame = out ?? new Uint8Array(size);
  if (frame.length < size) throw new RangeError(`output buffer needs ${size} bytes`);
  frame[0] = 0x55;
  frame[1] = 0xaa;
  frame[2] = HEADER.JOB;
  frame[3] = size - 2;
  frame[4] = job.jobId;
  frame[5] = n;
  writeU32LE(frame, 6, job.startNonce);
  writeU32LE(frame, 10, job.nbits);
  writeU32LE(frame, 14, job.ntime);
  frame.set(job.merkleTail, 18);
  for (let k = 0; k < slots; k++) {
    const base = 22 + 32 * k;
    const m = k < n ? job.midstates[k] : null;
    for (let w = 0; w < 8; w++) {
      const v = m === null ? 0 : m[7 - w];
      const p = base + 4 * w;
      frame[p] = v >>> 24;
      frame[p + 1] = v >>> 16;
      frame[p + 2] = v >>> 8;
      frame[p + 3] = v;
    }
  }
  const crc = crc16(frame, 2, size - 2);
  frame[size - 2] = crc >>> 8;
  frame[size - 1] = crc;
  return size === frame.length ? frame : frame.subarray(0, size);
}

/** Frame size a midstate job declares in its length byte, or 0 when the length is not 22 + 32 × (1..4). */
export function midstateJobBytesFromLength(lengthByte: number): number {
  const slots = (lengthByte - 22) / 32;
  return Number.isInteger(slots) && slots >= 1 && slots <= MAX_MIDSTATES ? lengthByte + 2 : 0;
}

export function midstateJobValid(bytes: Uint8Array, offset: number, size: number): boolean {
  return (
    bytes[offset] === 0x55 &&
    bytes[offset + 1] === 0xaa &&
    bytes[offset + 2] === HEADER.JOB &&
    bytes[offset + 3] === size - 2 &&
    ((bytes[offset + size - 2] << 8) | bytes[offset + size - 1]) === crc16(bytes, offset + 2, offset + size - 2)
  );
}

/** Decodes a midstate job frame (only the midstates the num-midstates byte names are returned). */
export function decodeMidstateJob(bytes: Uint8Array, offset = 0, size = bytes.length - offset): DecodedMidstateJob {
  if (size < 4 || bytes[offset] !== 0x55 || bytes[offset + 1] !== 0xaa || bytes[offset + 2] !== HEADER.JOB) {
    throw new FrameError('a job frame starts with 55 AA 21');
  }
  const lengthByte = bytes[offset + 3];
  const declared = midstateJobBytesFromLength(lengthByte);
  if (declared === 0) throw new FrameError(`length byte 0x${lengthByte.toString(16)} is not 22 + 32 × (1..4)`);
  if (declared !== size) throw new FrameError(`length byte says ${declared} bytes, frame has ${size}`);
  const slots = (lengthByte - 22) / 32;
  const numMidstates = bytes[offset + 5];
  if (numMidstates < 1 || numMidstates > slots) {
    throw new FrameError(`num midstates ${numMidstates} outside 1..${slots} (the frame's slots)`);
  }
  const midstates: Uint32Array[] = [];
  for (let k = 0; k < numMidstates; k++) {
    const m = new Uint32Array(8);
    const base = offset + 22 + 32 * k;
    for (let w = 0; w < 8; w++) {
      const p = base + 4 * w;
      m[7 - w] = ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
    }
    midstates.push(m);
  }
  return {
    lengthByte,
    jobId: bytes[offset + 4],
    numMidstates,
    slots,
    startNonce: readU32LE(bytes, offset + 6),
    nbits: readU32LE(bytes, offset + 10),
    ntime: readU32LE(bytes, offset + 14),
    merkleTail: bytes.slice(offset + 18, offset + 22),
    midstates,
    crcOk: midstateJobValid(bytes, offset, size),
  };
}

/**
 * Every byte-order quirk of Stratum V1, in one place. Both the client and the local V1 pool go through these
 * functions, and the tests hold them against real pool traffic (public-pool on regtest, ESP-Miner's and mujina's
 * captures), so a mistake here cannot hide behind a matching mistake on the other side.
 *
 * - prevhash (mining.notify param 1): the header-order hash with the bytes of every 4-byte word reversed, as if
 *   the 32 bytes were eight little-endian u32s printed big-endian. Merkle branches are NOT swapped: they are
 *   header order already, and so is the merkle root they fold to.
 * - version, nbits, ntime (notify): big-endian hex of the integer. public-pool does not zero-pad them
 *   (`toString(16)`), so they are parsed as numbers, never as 4 fixed bytes.
 * - ntime, nonce and version bits in mining.submit: 8 zero-padded hex digits of the integer (`%08x`), the integer
 *   being the header field value (header bytes read little-endian). A nonce whose header bytes are `76 73 3f 00`
 *   is submitted as "003f7376".
 * - extranonce2 in mining.submit: exactly extranonce2_size bytes as hex, in the order they sit in the coinbase.
 * - version bits in mining.submit (BIP310): `rolled & mask`, the pool rebuilding `(job & ~mask) | (bits & mask)`.
 *   ESP-Miner sends `rolled ^ job` and public-pool rebuilds with XOR; the two agree only while the job version has
 *   no bits inside the mask, which every pool we know keeps (see `jobVersionBitsInMask`).
 */
import { bytesToHex, HexError, hexToBytes } from '../util/hex.js';

/** Thrown when a field is not what its wire format allows; the message names the field. */
export class Sv1FieldError extends Error {
  override readonly name = 'Sv1FieldError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** mining.notify prevhash (64 hex digits, word-swapped) → the 32 bytes as they go into the header. */
export function prevHashFromNotify(hex: string, field = 'prevhash'): Uint8Array {
  const bytes = hexBytes(hex, field, 32);
  for (let i = 0; i < 32; i += 4) {
    const a = bytes[i];
    const b = bytes[i + 1];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b;
    bytes[i + 3] = a;
  }
  return bytes;
}

/** Header-order prev hash → the word-swapped hex mining.notify carries (what a pool sends). */
export function prevHashToNotify(headerOrder: Uint8Array): string {
  if (headerOrder.length !== 32) throw new RangeError(`a prev hash is 32 bytes, got ${headerOrder.length}`);
  const swapped = new Uint8Array(32);
  for (let i = 0; i < 32; i += 4) {
    swapped[i] = headerOrder[i + 3];
    swapped[i + 1] = headerOrder[i + 2];
    swapped[i + 2] = headerOrder[i + 1];
    swapped[i + 3] = headerOrder[i];
  }
  return bytesToHex(swapped);
}

const U32_HEX = /^[0-9a-fA-F]{1,8}$/;

/** A u32 written as big-endian hex, 1 to 8 digits (notify's version, nbits, ntime; submit's fields). */
export function u32FromHex(hex: unknown, field: string): number {
  if (typeof hex !== 'string' || !U32_HEX.test(hex)) {
    throw new Sv1FieldError(field, `must be 1 to 8 hex digits, got ${preview(hex)}`);
  }
  return Number.parseInt(hex, 16) >>> 0;
}

const HEX_DIGITS = '0123456789abcdef';

/** A u32 as 8 zero-padded lower-case hex digits (`%08x`): submit's ntime, nonce and version bits. */
export function u32ToHex(value: number): string {
  const v = value >>> 0;
  return (
    HEX_DIGITS[v >>> 28] +
    HEX_DIGITS[(v >>> 24) & 15] +
    HEX_DIGITS[(v >>> 20) & 15] +
    HEX_DIGITS[(v >>> 16) & 15] +
    HEX_DIGITS[(v >>> 12) & 15] +
    HEX_DIGITS[(v >>> 8) & 15] +
    HEX_DIGITS[(v >>> 4) & 15] +
    HEX_DIGITS[v & 15]
  );
}

/** A u32 as the unpadded hex public-pool writes in notify (`(0x20000000).toString(16)`). */
export function u32ToUnpaddedHex(value: number): string {
  return (value >>> 0).toString(16);
}

/** Hex of exactly `bytes` bytes (or any length when undefined), as a new array; errors name the field. */
export function hexBytes(hex: unknown, field: string, bytes?: number, maxBytes?: number): Uint8Array {
  if (typeof hex !== 'string') throw new Sv1FieldError(field, `must be a hex string, got ${preview(hex)}`);
  if (maxBytes !== undefined && hex.length > 2 * maxBytes) {
    throw new Sv1FieldError(field, `is ${hex.length / 2} bytes, more than the ${maxBytes} allowed`);
  }
  if (hex.startsWith('0x') || /[\s:]/.test(hex)) throw new Sv1FieldError(field, 'must be plain hex digits');
  try {
    return hexToBytes(hex, bytes);
  } catch (err) {
    if (err instanceof HexError) throw new Sv1FieldError(field, err.message);
    throw err;
  }
}

/** The version bits a share carries in mining.submit's 6th parameter (BIP310: the rolled bits under the mask). */
export function versionBitsForSubmit(rolledVersion: number, mask: number): number {
  return (rolledVersion & mask) >>> 0;
}

/** How a pool turns submitted version bits back into the header version. */
export type VersionRebuild = 'bip310' | 'xor';

/** The header version a pool rebuilds from a job version and submitted bits. */
export function versionFromSubmit(jobVersion: number, bits: number, mask: number, rule: VersionRebuild): number {
  return rule === 'xor' ? (jobVersion ^ bits) >>> 0 : ((jobVersion & ~mask) | (bits & mask)) >>> 0;
}

/**
 * Bits of a job's version that lie inside the rolling mask: nonzero means BIP310 pools and XOR pools (public-pool,
 * ESP-Miner) rebuild different versions from the same submit, so shares may be refused. Worth a warning.
 */
export function jobVersionBitsInMask(jobVersion: number, mask: number): number {
  return (jobVersion & mask) >>> 0;
}

/** Extranonce bytes as submit carries them (exactly their length). */
export function extranonceToHex(extranonce: Uint8Array): string {
  return bytesToHex(extranonce);
}

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === undefined) return 'nothing';
  return JSON.stringify(value)?.slice(0, 40) ?? String(value);
}

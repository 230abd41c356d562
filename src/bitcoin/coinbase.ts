/**
 * Coinbase transactions as pools build them for Stratum: the serialization split around the extranonce
 * (`prefix ‖ extranonce ‖ suffix`), the txid of the non-witness serialization, BIP34 height, the segwit
 * witness commitment, and stripping BIP141 data from a coinbase that still carries it.
 *
 * The extranonce sits at the end of the scriptSig: `height push ‖ tag push ‖ OP_PUSHBYTES_n ‖ extranonce`.
 */
import { sha256d } from './sha256.js';

export class CoinbaseError extends Error {
  override readonly name = 'CoinbaseError';
}

export interface TxOutput {
  valueSats: bigint;
  script: Uint8Array;
}

/** Bitcoin's CompactSize length prefix. */
export function compactSize(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`CompactSize of ${n}`);
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n, n >>> 8);
  if (n <= 0xffffffff) return Uint8Array.of(0xfe, n, n >>> 8, n >>> 16, n >>> 24);
  throw new RangeError('CompactSize above 2^32 is not used here');
}

/** Reads a CompactSize at `offset`; throws CoinbaseError when truncated. */
export function readCompactSize(bytes: Uint8Array, offset: number): { value: number; size: number } {
  if (offset >= bytes.length) throw new CoinbaseError(`CompactSize at ${offset}: transaction truncated`);
  const first = bytes[offset];
  const size = first < 0xfd ? 1 : first === 0xfd ? 3 : first === 0xfe ? 5 : 9;
  if (offset + size > bytes.length) throw new CoinbaseError(`CompactSize at ${offset}: transaction truncated`);
  if (size === 1) return { value: first, size };
  if (size === 3) return { value: bytes[offset + 1] | (bytes[offset + 2] << 8), size };
  if (size === 5) {
    const v =
      (bytes[offset + 1] | (bytes[offset + 2] << 8) | (bytes[offset + 3] << 16) | (bytes[offset + 4] << 24)) >>> 0;
    return { value: v, size };
  }
  throw new CoinbaseError(`CompactSize at ${offset}: 8-byte lengths are not valid in a transaction this size`);
}

/** BIP34: the block height as a minimal CScriptNum push, the first item of the coinbase scriptSig. */
export function bip34HeightPush(height: number): Uint8Array {
  if (!Number.isInteger(height) || height < 0 || height > 0x7fffffff) throw new RangeError(`block height ${height}`);
  if (height === 0) return Uint8Array.of(0x00);
  if (height <= 16) return Uint8Array.of(0x50 + height);
  const bytes: number[] = [];
  let h = height;
  while (h > 0) {
    bytes.push(h & 0xff);
    h >>>= 8;
  }
  if (bytes[bytes.length - 1] & 0x80) bytes.push(0); // keep the number positive
  return Uint8Array.of(bytes.length, ...bytes);
}

/** A minimal data push of up to 75 bytes (OP_PUSHBYTES_n). */
export function pushBytes(data: Uint8Array): Uint8Array {
  if (data.length > 75) throw new RangeError('pushBytes handles up to 75 bytes');
  const out = new Uint8Array(1 + data.length);
  out[0] = data.length;
  out.set(data, 1);
  return out;
}

export function serializeOutputs(outputs: readonly TxOutput[]): Uint8Array {
  const parts: Uint8Array[] = [compactSize(outputs.length)];
  for (const o of outputs) {
    const value = new Uint8Array(8);
    let v = o.valueSats;
    for (let i = 0; i < 8; i++) {
      value[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    parts.push(value, compactSize(o.script.length), o.script);
  }
  return concat(parts);
}

/**
 * The segwit commitment output script: OP_RETURN OP_PUSHBYTES_36 aa21a9ed ‖ SHA256d(witness root ‖ reserved).
 * `witnessRoot` is the merkle root of wtxids with the coinbase's taken as 32 zero bytes.
 */
export function witnessCommitmentScript(
  witnessRoot: Uint8Array,
  reserved: Uint8Array = new Uint8Array(32),
): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(witnessRoot, 0);
  buf.set(reserved, 32);
  return concat([Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed), sha256d(buf)]);
}

export interface CoinbaseTemplate {
  /** Transaction version (2 in current templates). */
  txVersion: number;
  height: number;
  /** Bytes pushed after the height (a pool tag); may be empty. */
  tag: Uint8Array;
  /** Total extranonce bytes at the end of the scriptSig (prefix from the pool + what the miner rolls). */
  extranonceLength: number;
  sequence: number;
  outputs: readonly TxOutput[];
  locktime: number;
}

/** Coinbase serialization (non-witness, as the spec wants it sent) split around the extranonce. */
export interface CoinbaseParts {
  prefix: Uint8Array;
  suffix: Uint8Array;
}

/** Largest scriptSig consensus allows in a coinbase. */
export const MAX_COINBASE_SCRIPT_SIG = 100;

export function buildCoinbaseParts(t: CoinbaseTemplate): CoinbaseParts {
  const height = bip34HeightPush(t.height);
  const tag = t.tag.length > 0 ? pushBytes(t.tag) : new Uint8Array(0);
  if (t.extranonceLength < 1 || t.extranonceLength > 75) throw new RangeError('extranonce length must be 1..75');
  const scriptSigLength = height.length + tag.length + 1 + t.extranonceLength;
  if (scriptSigLength > MAX_COINBASE_SCRIPT_SIG) {
    throw new RangeError(`coinbase scriptSig of ${scriptSigLength} bytes exceeds ${MAX_COINBASE_SCRIPT_SIG}`);
  }
  const version = u32le(t.txVersion);
  const prefix = concat([
    version,
    Uint8Array.of(1), // one input
    new Uint8Array(32), // null prevout hash
    Uint8Array.of(0xff, 0xff, 0xff, 0xff), // prevout index
    compactSize(scriptSigLength),
    height,
    tag,
    Uint8Array.of(t.extranonceLength),
  ]);
  const suffix = concat([u32le(t.sequence), serializeOutputs(t.outputs), u32le(t.locktime)]);
  return { prefix, suffix };
}

/** prefix ‖ extranonce pieces ‖ suffix. */
export function assembleCoinbase(
  prefix: Uint8Array,
  extranonce: readonly Uint8Array[],
  suffix: Uint8Array,
): Uint8Array {
  return concat([prefix, ...extranonce, suffix]);
}

/**
 * The non-witness serialization of a transaction. A segwit serialization (marker 00 01 after the version)
 * loses the marker, flag and witness stacks; anything else is returned unchanged after a structural parse.
 * Throws CoinbaseError when the bytes are not one well-formed transaction.
 */
export function stripWitness(tx: Uint8Array): Uint8Array {
  if (tx.length < 10) throw new CoinbaseError(`a transaction of ${tx.length} bytes is too short`);
  const segwit = tx[4] === 0x00 && tx[5] === 0x01;
  let o = segwit ? 6 : 4;
  const bodyStart = o;
  const inputs = readCompactSize(tx, o);
  o += inputs.size;
  for (let i = 0; i < inputs.value; i++) {
    o += 36;
    const script = readCompactSize(tx, o);
    o += script.size + script.value + 4;
  }
  const outputs = readCompactSize(tx, o);
  o += outputs.size;
  for (let i = 0; i < outputs.value; i++) {
    o += 8;
    const script = readCompactSize(tx, o);
    o += script.size + script.value;
  }
  if (o > tx.length) throw new CoinbaseError('transaction truncated inside its outputs');
  const bodyEnd = o;
  if (segwit) {
    for (let i = 0; i < inputs.value; i++) {
      const items = readCompactSize(tx, o);
      o += items.size;
      for (let j = 0; j < items.value; j++) {
        const item = readCompactSize(tx, o);
        o += item.size + item.value;
      }
    }
  }
  if (o + 4 !== tx.length) {
    throw new CoinbaseError(
      `transaction does not end after its locktime: ${tx.length - o - 4} unexpected trailing bytes`,
    );
  }
  if (!segwit) return tx;
  return concat([tx.subarray(0, 4), tx.subarray(bodyStart, bodyEnd), tx.subarray(o, o + 4)]);
}

/** txid (internal byte order) = SHA-256d of the non-witness serialization. */
export function transactionId(tx: Uint8Array): Uint8Array {
  return sha256d(stripWitness(tx));
}

function u32le(v: number): Uint8Array {
  return Uint8Array.of(v, v >>> 8, v >>> 16, v >>> 24);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

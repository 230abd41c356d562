/**
 * Bitcoin transactions as bytes: a parser for the serialization with or without BIP141 witness data, and the
 * two ids (txid over the non-witness form, wtxid over all of it).
 *
 * The parser reads untrusted bytes (a node's template, a block a miner submits), so every length is checked
 * against what is left before anything is sliced, a count that could not fit in the remaining bytes is refused
 * before any loop runs on it, and each error says where it stopped ("input 2: scriptSig runs past the end").
 * Parsed fields are views into the caller's buffer (no copies); the ids are computed on demand from the byte
 * ranges the parser recorded, so the non-witness form is never re-serialized.
 */
import type { TxOutput } from './coinbase.js';
import { sha256d } from './sha256.js';

export class TransactionError extends Error {
  override readonly name = 'TransactionError';
}

export interface TxInput {
  /** Internal byte order (as serialized). */
  prevTxid: Uint8Array;
  prevIndex: number;
  scriptSig: Uint8Array;
  sequence: number;
  /** Witness stack items (empty without witness). */
  witness: Uint8Array[];
}

export interface Transaction {
  version: number;
  inputs: TxInput[];
  outputs: TxOutput[];
  locktime: number;
  /** True when serialized with the BIP141 marker and flag. */
  hasWitness: boolean;
  /** The whole serialization as parsed (a view). */
  bytes: Uint8Array;
  /** Where the inputs start and the outputs end, inside `bytes` (the non-witness body). */
  bodyStart: number;
  bodyEnd: number;
}

/** Smallest serialized input (32 + 4 + 1 + 4) and output (8 + 1): bounds for counts read from the wire. */
const MIN_INPUT_BYTES = 41;
const MIN_OUTPUT_BYTES = 9;

class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new TransactionError(
        `${what} runs past the end (${n} bytes at offset ${this.pos}, ${this.bytes.length - this.pos} left)`,
      );
    }
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++];
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  u64(what: string): bigint {
    const lo = this.u32(what);
    const hi = this.u32(what);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A CompactSize that must be minimal (Core rejects non-canonical sizes) and at most `max`. */
  size(what: string, max: number): number {
    const first = this.u8(what);
    let value: number;
    if (first < 0xfd) return checkMax(first, max, what);
    if (first === 0xfd) {
      this.need(2, what);
      value = this.bytes[this.pos] | (this.bytes[this.pos + 1] << 8);
      this.pos += 2;
      if (value < 0xfd) throw new TransactionError(`${what}: non-canonical CompactSize`);
    } else if (first === 0xfe) {
      value = this.u32(what);
      if (value <= 0xffff) throw new TransactionError(`${what}: non-canonical CompactSize`);
    } else {
      throw new TransactionError(`${what}: an 8-byte CompactSize is larger than any block`);
    }
    return checkMax(value, max, what);
  }
}

function checkMax(value: number, max: number, what: string): number {
  if (value > max) throw new TransactionError(`${what} is ${value}, more than the ${max} the remaining bytes can hold`);
  return value;
}

/**
 * Parses one transaction starting at `offset`; returns it and the offset just past it. Throws TransactionError.
 */
export function parseTransactionAt(bytes: Uint8Array, offset: number): { tx: Transaction; end: number } {
  const c = new Cursor(bytes, offset);
  const version = c.u32('version');
  let hasWitness = false;
  if (c.pos + 1 < bytes.length && bytes[c.pos] === 0x00) {
    // BIP144: a zero where the input count would be is the marker; the flag after it must be 1.
    if (bytes[c.pos + 1] !== 0x01) throw new TransactionError(`unknown segwit flag 0x${bytes[c.pos + 1].toString(16)}`);
    hasWitness = true;
    c.pos += 2;
  }
  const bodyStart = c.pos - offset;
  const inputCount = c.size('input count', Math.floor((bytes.length - c.pos) / MIN_INPUT_BYTES));
  const inputs: TxInput[] = [];
  for (let i = 0; i < inputCount; i++) {
    const prevTxid = c.take(32, `input ${i}: previous txid`);
    const prevIndex = c.u32(`input ${i}: previous index`);
    const scriptLen = c.size(`input ${i}: scriptSig length`, bytes.length - c.pos);
    const scriptSig = c.take(scriptLen, `input ${i}: scriptSig`);
    const sequence = c.u32(`input ${i}: sequence`);
    inputs.push({ prevTxid, prevIndex, scriptSig, sequence, witness: [] });
  }
  const outputCount = c.size('output count', Math.floor((bytes.length - c.pos) / MIN_OUTPUT_BYTES));
  const outputs: TxOutput[] = [];
  for (let i = 0; i < outputCount; i++) {
    const valueSats = c.u64(`output ${i}: value`);
    const scriptLen = c.size(`output ${i}: script length`, bytes.length - c.pos);
    outputs.push({ valueSats, script: c.take(scriptLen, `output ${i}: script`) });
  }
  const bodyEnd = c.pos - offset;
  if (hasWitness) {
    let any = false;
    for (let i = 0; i < inputCount; i++) {
      const items = c.size(`input ${i}: witness item count`, bytes.length - c.pos);
      for (let j = 0; j < items; j++) {
        const len = c.size(`input ${i}: witness item ${j} length`, bytes.length - c.pos);
        inputs[i].witness.push(c.take(len, `input ${i}: witness item ${j}`));
      }
      if (items > 0) any = true;
    }
    // BIP144: the marker with nothing behind it is a serialization error, not an empty witness.
    if (!any) throw new TransactionError('segwit marker but every witness is empty');
  }
  const locktime = c.u32('locktime');
  const tx: Transaction = {
    version,
    inputs,
    outputs,
    locktime,
    hasWitness,
    bytes: bytes.subarray(offset, c.pos),
    bodyStart,
    bodyEnd,
  };
  return { tx, end: c.pos };
}

/** Parses bytes that must hold exactly one transaction. */
export function parseTransaction(bytes: Uint8Array): Transaction {
  const { tx, end } = parseTransactionAt(bytes, 0);
  if (end !== bytes.length) throw new TransactionError(`${bytes.length - end} bytes follow the transaction`);
  return tx;
}

/** The non-witness serialization (the same bytes when the transaction has no witness). */
export function nonWitnessBytes(tx: Transaction): Uint8Array {
  if (!tx.hasWitness) return tx.bytes;
  const b = tx.bytes;
  const body = b.subarray(tx.bodyStart, tx.bodyEnd);
  const out = new Uint8Array(8 + body.length);
  out.set(b.subarray(0, 4), 0);
  out.set(body, 4);
  out.set(b.subarray(b.length - 4), 4 + body.length);
  return out;
}

/** txid, internal byte order: SHA-256d of the non-witness serialization. */
export function txidOf(tx: Transaction): Uint8Array {
  return sha256d(nonWitnessBytes(tx));
}

/** wtxid, internal byte order: SHA-256d of the whole serialization (= txid without witness). */
export function wtxidOf(tx: Transaction): Uint8Array {
  return sha256d(tx.bytes);
}

/** A coinbase's single input spends nothing: previous txid all zero, index 0xffffffff. */
export function isCoinbase(tx: Transaction): boolean {
  if (tx.inputs.length !== 1) return false;
  const input = tx.inputs[0];
  return input.prevIndex === 0xffffffff && input.prevTxid.every((b) => b === 0);
}

/** Serialized weight (BIP141): 3 × non-witness size + total size. */
export function transactionWeight(tx: Transaction): number {
  const base = tx.hasWitness ? 8 + (tx.bodyEnd - tx.bodyStart) : tx.bytes.length;
  return base * 3 + tx.bytes.length;
}

/**
 * A whole block as bytes: the 80-byte header, a CompactSize transaction count, then every transaction in its
 * full (witness) serialization — what `submitblock` takes and a Template Provider broadcasts.
 */
import { compactSize } from './coinbase.js';
import { type BlockHeader, decodeHeader, HEADER_BYTES } from './header.js';
import { parseTransactionAt, type Transaction, TransactionError } from './transaction.js';

/** Core's answer to bytes that are not a block ("Block decode failed", RPC error -22). */
export class BlockDecodeError extends Error {
  override readonly name = 'BlockDecodeError';
}

export interface ParsedBlock {
  header: BlockHeader;
  /** The 80 header bytes (a view). */
  headerBytes: Uint8Array;
  transactions: Transaction[];
}

/** Smallest serialized transaction: version, one input, one output, locktime. */
const MIN_TX_BYTES = 4 + 1 + 41 + 1 + 9 + 4;

export function parseBlock(bytes: Uint8Array): ParsedBlock {
  if (bytes.length < HEADER_BYTES + 1) {
    throw new BlockDecodeError(`a block is at least ${HEADER_BYTES + 1} bytes, got ${bytes.length}`);
  }
  const header = decodeHeader(bytes);
  let pos = HEADER_BYTES;
  const first = bytes[pos];
  let count: number;
  if (first < 0xfd) {
    count = first;
    pos += 1;
  } else if (first === 0xfd && pos + 3 <= bytes.length) {
    count = bytes[pos + 1] | (bytes[pos + 2] << 8);
    pos += 3;
  } else if (first === 0xfe && pos + 5 <= bytes.length) {
    count = (bytes[pos + 1] | (bytes[pos + 2] << 8) | (bytes[pos + 3] << 16) | (bytes[pos + 4] << 24)) >>> 0;
    pos += 5;
  } else {
    throw new BlockDecodeError('transaction count is truncated or impossibly large');
  }
  if (count * MIN_TX_BYTES > bytes.length - pos) {
    throw new BlockDecodeError(`${count} transactions cannot fit in the ${bytes.length - pos} bytes after the header`);
  }
  const transactions: Transaction[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const { tx, end } = parseTransactionAt(bytes, pos);
      transactions.push(tx);
      pos = end;
    } catch (err) {
      if (err instanceof TransactionError) throw new BlockDecodeError(`transaction ${i}: ${err.message}`);
      throw err;
    }
  }
  if (pos !== bytes.length) throw new BlockDecodeError(`${bytes.length - pos} bytes follow the last transaction`);
  return { header, headerBytes: bytes.subarray(0, HEADER_BYTES), transactions };
}

/** header ‖ CompactSize(n) ‖ transactions, each already in its full serialization. */
export function serializeBlock(header: Uint8Array, transactions: readonly Uint8Array[]): Uint8Array {
  if (header.length !== HEADER_BYTES) throw new RangeError(`a block header is ${HEADER_BYTES} bytes`);
  const count = compactSize(transactions.length);
  let n = HEADER_BYTES + count.length;
  for (const t of transactions) n += t.length;
  const out = new Uint8Array(n);
  out.set(header, 0);
  out.set(count, HEADER_BYTES);
  let o = HEADER_BYTES + count.length;
  for (const t of transactions) {
    out.set(t, o);
    o += t.length;
  }
  return out;
}

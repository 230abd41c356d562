/**
 * Full validation of a submitted block against the tip it builds on, in Bitcoin Core's order and with Core's
 * reject strings (src/validation.cpp: CheckBlockHeader → CheckBlock → ContextualCheckBlockHeader →
 * ContextualCheckBlock → ConnectBlock), so a block the synthetic node refuses is refused for the reason a real
 * node would give. What a synthetic chain cannot know is left out and said so: scripts and signatures are not
 * run, and a transaction's inputs exist when the chain's mempool knows the transaction (its fee is known).
 *
 * The synthetic node adds one check of its own after consensus: that the coinbase pays the owner's script, the
 * point of solo mining (`bad-cb-payout`, not a Core reason).
 */
import { type ParsedBlock, parseBlock } from './block.js';
import { bip34HeightPush } from './coinbase.js';
import { merkleRootFromTxids } from './merkle.js';
import { sha256d } from './sha256.js';
import { hashToBigInt, nbitsToTarget } from './target.js';
import { isCoinbase, type Transaction, transactionWeight, txidOf, wtxidOf } from './transaction.js';

/** BIP141 / Core consensus limits. */
export const MAX_BLOCK_WEIGHT = 4_000_000;
const WITNESS_SCALE_FACTOR = 4;
const COMMITMENT_HEADER = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
/** nLockTime below this is a block height, at or above a Unix time. */
const LOCKTIME_THRESHOLD = 500_000_000;

/** What a block is checked against: the tip it builds on and the node's view of time and money. */
export interface BlockRules {
  /** The block it must build on (header order). */
  prevHash: Uint8Array;
  /** Its height. */
  height: number;
  /** The compact target the chain requires at this height. */
  nbits: number;
  /** Lowest allowed ntime (median time past + 1) and highest (node time + 2 h). */
  minTime: number;
  maxTime: number;
  subsidySats: bigint;
  /** Fee of a transaction (by display-order txid) whose inputs this node can spend, or undefined. */
  feeOf(txidDisplay: string): bigint | undefined;
  /** False for `getblocktemplate` proposals, which skip proof of work. */
  checkProofOfWork: boolean;
  /** `submitblock` adds a missing coinbase witness when the block commits to witnesses (UpdateUncommittedBlockStructures). */
  repairCoinbaseWitness?: boolean;
  /** The synthetic node's payout check (not consensus). */
  payoutScript?: Uint8Array;
  /** Block weight limit (default BIP141's 4,000,000). */
  maxWeight?: number;
  /**
   * False for a block that does not build on the tip: like Core for a side chain, stop after the contextual
   * checks (no inputs, no coinbase amount). Default true.
   */
  connect?: boolean;
}

export type BlockVerdict =
  | { valid: true; hash: Uint8Array; block: ParsedBlock; coinbaseValueSats: bigint; feesSats: bigint }
  | { valid: false; reason: string; detail: string; hash: Uint8Array | null };

/** Core's `submitblock` refuses these before validation, as RPC errors rather than reject reasons. */
export class BlockSubmitError extends Error {
  override readonly name = 'BlockSubmitError';
}

/** Checks serialized block bytes; throws BlockDecodeError / BlockSubmitError for bytes Core would not even validate. */
export function checkBlockBytes(bytes: Uint8Array, rules: BlockRules): BlockVerdict {
  const block = parseBlock(bytes);
  if (block.transactions.length === 0 || !isCoinbase(block.transactions[0])) {
    throw new BlockSubmitError('Block does not start with a coinbase');
  }
  return checkBlock(block, rules);
}

export function checkBlock(block: ParsedBlock, rules: BlockRules): BlockVerdict {
  const hash = sha256d(block.headerBytes);
  const fail = (reason: string, detail: string): BlockVerdict => ({ valid: false, reason, detail, hash });
  const h = block.header;
  const txs = block.transactions;

  // CheckBlockHeader
  let target: bigint;
  try {
    target = nbitsToTarget(h.bits);
  } catch {
    return fail('high-hash', 'proof of work failed (nbits is not a valid target)');
  }
  if (rules.checkProofOfWork && hashToBigInt(hash) > target) return fail('high-hash', 'proof of work failed');

  // CheckBlock: merkle root over txids, mutation, size, coinbase placement, CheckTransaction
  const txids = txs.map(txidOf);
  const { root, mutated } = merkleRootChecked(txids);
  if (!equalBytes(root, h.merkleRoot)) return fail('bad-txnmrklroot', 'hashMerkleRoot mismatch');
  if (mutated) return fail('bad-txns-duplicate', 'duplicate transaction');
  let stripped = 80 + 1;
  for (const tx of txs) stripped += tx.hasWitness ? 8 + tx.bodyEnd - tx.bodyStart : tx.bytes.length;
  const maxWeight = rules.maxWeight ?? MAX_BLOCK_WEIGHT;
  if (txs.length * WITNESS_SCALE_FACTOR > maxWeight || stripped * WITNESS_SCALE_FACTOR > maxWeight) {
    return fail('bad-blk-length', 'size limits failed');
  }
  if (!isCoinbase(txs[0])) return fail('bad-cb-missing', 'first tx is not coinbase');
  for (let i = 1; i < txs.length; i++) if (isCoinbase(txs[i])) return fail('bad-cb-multiple', 'more than one coinbase');
  const coinbase = txs[0];
  const scriptSig = coinbase.inputs[0].scriptSig;
  if (scriptSig.length < 2 || scriptSig.length > 100)
    return fail('bad-cb-length', `coinbase scriptSig of ${scriptSig.length} bytes`);
  for (const tx of txs) {
    if (tx.inputs.length === 0) return fail('bad-txns-vin-empty', 'a transaction has no inputs');
    if (tx.outputs.length === 0) return fail('bad-txns-vout-empty', 'a transaction has no outputs');
  }

  // AcceptBlockHeader / ContextualCheckBlockHeader
  if (!equalBytes(h.prevHash, rules.prevHash))
    return fail('prev-blk-not-found', 'the block does not build on this tip');
  if (h.bits !== rules.nbits) return fail('bad-diffbits', 'incorrect proof of work');
  if (h.time < rules.minTime) return fail('time-too-old', "block's timestamp is too early");
  if (h.time > rules.maxTime) return fail('time-too-new', 'block timestamp too far in the future');
  if (h.version < 4)
    return fail(`bad-version(0x${h.version.toString(16).padStart(8, '0')})`, 'rejected nVersion block');

  // ContextualCheckBlock: finality, BIP34, witness commitment, weight
  for (const tx of txs) {
    if (!isFinal(tx, rules.height, rules.minTime - 1)) return fail('bad-txns-nonfinal', 'non-final transaction');
  }
  const heightPush = bip34HeightPush(rules.height);
  if (scriptSig.length < heightPush.length || !equalBytes(scriptSig.subarray(0, heightPush.length), heightPush)) {
    return fail('bad-cb-height', 'block height mismatch in coinbase');
  }
  const commitment = witnessCommitmentIndex(coinbase);
  if (commitment >= 0) {
    let stack = coinbase.inputs[0].witness;
    if (stack.length === 0 && rules.repairCoinbaseWitness) stack = [new Uint8Array(32)];
    if (stack.length !== 1 || stack[0].length !== 32) {
      return fail('bad-witness-nonce-size', 'CheckWitnessMalleation : invalid witness reserved value size');
    }
    const leaves = [new Uint8Array(32), ...txs.slice(1).map(wtxidOf)];
    const root = merkleRootFromTxids(leaves);
    const buf = new Uint8Array(64);
    buf.set(root, 0);
    buf.set(stack[0], 32);
    const expected = sha256d(buf);
    const script = coinbase.outputs[commitment].script;
    if (!equalBytes(script.subarray(6, 38), expected)) {
      return fail('bad-witness-merkle-match', 'CheckWitnessMalleation : witness merkle commitment mismatch');
    }
  } else {
    for (const tx of txs) {
      if (tx.hasWitness) return fail('unexpected-witness', 'ContextualCheckBlock : unexpected witness data found');
    }
  }
  let weight = 80 * WITNESS_SCALE_FACTOR + WITNESS_SCALE_FACTOR;
  for (const tx of txs) weight += transactionWeight(tx);
  if (weight > maxWeight) return fail('bad-blk-weight', 'ContextualCheckBlock : weight limit failed');
  if (rules.connect === false)
    return { valid: true, hash, block, coinbaseValueSats: sumOutputs(coinbase), feesSats: 0n };

  // ConnectBlock: inputs available (in this node's view) in block order, coinbase value
  const inBlock = new Map<string, number>();
  for (let i = 0; i < txids.length; i++) inBlock.set(hexReversed(txids[i]), i);
  let fees = 0n;
  for (let i = 1; i < txs.length; i++) {
    const id = hexReversed(txids[i]);
    for (const input of txs[i].inputs) {
      const parent = inBlock.get(hexReversed(input.prevTxid));
      if (parent !== undefined && parent >= i) {
        return fail('bad-txns-inputs-missingorspent', `transaction ${id} spends an output of a later transaction`);
      }
    }
    const fee = rules.feeOf(id);
    if (fee === undefined) return fail('bad-txns-inputs-missingorspent', `transaction ${id}: inputs missing or spent`);
    fees += fee;
  }
  const coinbaseValue = sumOutputs(coinbase);
  if (coinbaseValue > rules.subsidySats + fees) {
    return fail(
      'bad-cb-amount',
      `coinbase pays too much (actual=${coinbaseValue} vs limit=${rules.subsidySats + fees})`,
    );
  }

  // The synthetic node's own check: the owner is paid.
  const payout = rules.payoutScript;
  if (payout !== undefined && !coinbase.outputs.some((o) => o.valueSats > 0n && equalBytes(o.script, payout))) {
    return fail('bad-cb-payout', "coinbase does not pay the owner's script (synthetic node check)");
  }
  return { valid: true, hash, block, coinbaseValueSats: coinbaseValue, feesSats: fees };
}

/** BIP141: the last output whose script starts OP_RETURN 36 aa21a9ed (and is at least 38 bytes), or -1. */
export function witnessCommitmentIndex(coinbase: Transaction): number {
  let found = -1;
  coinbase.outputs.forEach((o, i) => {
    if (o.script.length >= 38 && COMMITMENT_HEADER.every((b, j) => o.script[j] === b)) found = i;
  });
  return found;
}

function sumOutputs(tx: Transaction): bigint {
  let sum = 0n;
  for (const o of tx.outputs) sum += o.valueSats;
  return sum;
}

/** IsFinalTx: locktime reached (by height or by median time past), or every input final. */
function isFinal(tx: Transaction, height: number, medianTimePast: number): boolean {
  if (tx.locktime === 0) return true;
  const limit = tx.locktime < LOCKTIME_THRESHOLD ? height : medianTimePast;
  if (tx.locktime < limit) return true;
  return tx.inputs.every((i) => i.sequence === 0xffffffff);
}

/**
 * The merkle root, and whether any level pairs two equal nodes: CVE-2012-2459, where repeating transactions
 * leaves the root unchanged, so Core treats such a block as mutated (ComputeMerkleRoot's `mutated`).
 */
function merkleRootChecked(txids: readonly Uint8Array[]): { root: Uint8Array; mutated: boolean } {
  let level = txids.slice();
  let mutated = false;
  const buf = new Uint8Array(64);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1] ?? level[i];
      if (i + 1 < level.length && equalBytes(level[i], right)) mutated = true;
      buf.set(level[i], 0);
      buf.set(right, 32);
      next.push(sha256d(buf));
    }
    level = next;
  }
  return { root: level[0], mutated };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hexReversed(bytes: Uint8Array): string {
  let s = '';
  for (let i = bytes.length - 1; i >= 0; i--) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

/**
 * The synthetic node's blockchain: real blocks on a private chain, for solo mining without a network. Beside the
 * local pool's SyntheticChain (which only needs jobs that hash like real ones), this one keeps what a node keeps:
 * a tip and its ancestors (hashes of real headers), a mempool of well-formed transactions arriving over time,
 * templates built from them (witness commitment, merkle path, subsidy + fees), and full validation of every
 * block a miner submits, answered with Bitcoin Core's reject strings (src/bitcoin/block-check.ts).
 *
 * A valid block from the miner becomes the new tip at once; with `otherBlocksIntervalMs` the rest of the
 * (imaginary) network finds blocks too, taken on faith (they are not mined: the chain's difficulty is set for the
 * emulated chips, and CPU time is theirs), so stale templates and lost races happen as on a real chain.
 *
 * It serves two faces: the JSON-RPC node (synthetic-node.ts) and the Template Provider
 * (synthetic-template-provider.ts), both reading `template()` and calling `submit()`.
 */
import { randomBytes } from 'node:crypto';
import { type Chain, describeChain } from '../../bitcoin/address.js';
import { parseBlock } from '../../bitcoin/block.js';
import {
  type BlockRules,
  BlockSubmitError,
  type BlockVerdict,
  checkBlock,
  MAX_BLOCK_WEIGHT,
} from '../../bitcoin/block-check.js';
import { witnessCommitmentScript } from '../../bitcoin/coinbase.js';
import { encodeHeader } from '../../bitcoin/header.js';
import { merklePathOfFirst, merkleRootFromTxids } from '../../bitcoin/merkle.js';
import { sha256d } from '../../bitcoin/sha256.js';
import { nbitsToTarget, targetToNbits } from '../../bitcoin/target.js';
import { isCoinbase, txidOf } from '../../bitcoin/transaction.js';
import { bytesToHexReversed } from '../../util/hex.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { type Clock, systemClock } from '../clock.js';
import { makeSyntheticTransaction, type SyntheticTransaction } from './synthetic-transactions.js';

export interface SyntheticNodeChainOptions {
  /** What the node says it runs (`getblockchaininfo.chain`). Default regtest. */
  chain?: Chain;
  /** Compact target of the first block: set it so the miner's chips find blocks every few seconds. */
  nbits: number;
  /**
   * Retarget after every block toward this interval (ms), from the wall-clock time the block took (at most ×4 or
   * ÷4 per block), so a miner whose CPU is busy still finds blocks at about this pace. Absent = fixed nbits.
   */
  targetBlockIntervalMs?: number;
  version?: number;
  startHeight?: number;
  clock?: Clock;
  random?: (n: number) => Uint8Array;
  /** Transactions arriving in the mempool: `txPerInterval` every `txIntervalMs` (0 = only `addTransactions`). */
  txIntervalMs?: number;
  txPerInterval?: number;
  /** Transactions in the mempool at start. */
  initialTransactions?: number;
  maxMempool?: number;
  maxBlockWeight?: number;
  /** Weight a template leaves for the coinbase (Core's -blockreservedweight, 8000 by default). */
  coinbaseReservedWeight?: number;
  /** The rest of the network finds a block this often (ms); 0 = never. */
  otherBlocksIntervalMs?: number;
  /** Blocks must pay this script (the synthetic node's own check, `bad-cb-payout`); absent = anyone. */
  payoutScript?: Uint8Array;
}

/** A block on the chain. */
export interface ChainBlock {
  /** Internal byte order. */
  hash: Uint8Array;
  hashHex: string;
  height: number;
  time: number;
  prev: ChainBlock | null;
  /** `device`: a miner submitted it; `network`: the rest of the synthetic network found it. */
  foundBy: 'device' | 'network';
  /** When it arrived (wall clock, ms): what the retarget measures. */
  arrivedMs: number;
  /** The compact target the next block needs. */
  nextNbits: number;
}

/** Everything a template needs, built once per tip and mempool state. */
export interface SyntheticTemplate {
  /** Changes whenever the template would (tip or mempool). */
  key: string;
  height: number;
  version: number;
  /** Header byte order. */
  prevHash: Uint8Array;
  nbits: number;
  curtime: number;
  /** Median time past + 1. */
  mintime: number;
  subsidySats: bigint;
  feesSats: bigint;
  transactions: SyntheticTransaction[];
  /** Coinbase output script committing to the transactions' wtxids (BIP141). */
  witnessCommitment: Uint8Array;
  /** Leaf-0 merkle branch over the transactions' txids. */
  merklePath: Uint8Array[];
  weightLimit: number;
  /** For getblocktemplate's longpollid: tip (display) ‖ mempool counter. */
  longpollId: string;
}

/** A block a miner submitted, and what the node made of it. */
export interface SubmittedBlock {
  hashHex: string;
  height: number;
  /** Core's BIP22 answer: null = accepted; else the reason (or duplicate / inconclusive). */
  answer: string | null;
  via: 'rpc' | 'tdp';
  /** Outputs of the coinbase (for an accepted block): who got paid. */
  payouts: Array<{ valueSats: bigint; script: Uint8Array }>;
  transactions: number;
}

export interface SyntheticNodeChainEvents {
  /** The tip moved (a miner's block or the network's). */
  tip: ChainBlock;
  /** The mempool changed (new transactions). */
  mempool: { size: number; updates: number };
  submitted: SubmittedBlock;
}

export interface SyntheticNodeStats {
  chain: Chain;
  height: number;
  tip: string;
  mempool: number;
  /** Blocks submitted by miners: answer → count ('accepted' for null). */
  answers: Record<string, number>;
  accepted: number;
  networkBlocks: number;
  /** Accepted miner blocks, oldest first (up to 100). */
  blocks: SubmittedBlock[];
}

const MAX_KEPT_BLOCKS = 200;
const MAX_KEPT_SUBMISSIONS = 100;
/** Regtest's easiest target (powLimit, nbits 0x207fffff): the retarget never goes past it. */
const REGTEST_POW_LIMIT = nbitsToTarget(0x207fffff);
/** Regtest's halving interval (Core's chainparams); the synthetic chain pays regtest subsidies. */
const HALVING_INTERVAL = 150;

export class SyntheticNodeChain extends TypedEmitter<SyntheticNodeChainEvents> {
  readonly chain: Chain;
  readonly version: number;
  private readonly clock: Clock;
  private readonly random: (n: number) => Uint8Array;
  private readonly maxWeight: number;
  private readonly reservedWeight: number;
  private readonly byHash = new Map<string, ChainBlock>();
  private readonly mempool = new Map<string, SyntheticTransaction>();
  private tipBlock: ChainBlock;
  private mempoolUpdates = 0;
  private cached: SyntheticTemplate | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly answers: Record<string, number> = {};
  private readonly accepted: SubmittedBlock[] = [];
  private acceptedCount = 0;
  private networkBlocks = 0;

  constructor(private readonly options: SyntheticNodeChainOptions) {
    super();
    this.chain = options.chain ?? 'regtest';
    nbitsToTarget(options.nbits);
    this.version = options.version ?? 0x20000000;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    this.maxWeight = options.maxBlockWeight ?? MAX_BLOCK_WEIGHT;
    this.reservedWeight = options.coinbaseReservedWeight ?? 8000;
    // A short history of network blocks, so median time past and the tip's ancestry are real from the start.
    const now = this.nowSec();
    const start = options.startHeight ?? 200;
    let prev: ChainBlock | null = null;
    for (let i = 11; i >= 0; i--) prev = this.networkBlock(prev, start - i, now - i * 600, options.nbits);
    this.tipBlock = prev as ChainBlock;
    this.addTransactions(options.initialTransactions ?? 20);
  }

  /** Starts mempool arrivals and the network's blocks. */
  start(): void {
    const txMs = this.options.txIntervalMs ?? 1000;
    if (txMs > 0) this.timers.push(setInterval(() => this.addTransactions(this.options.txPerInterval ?? 2), txMs));
    const otherMs = this.options.otherBlocksIntervalMs ?? 0;
    if (otherMs > 0) this.timers.push(setInterval(() => this.mineNetworkBlock(), otherMs));
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  get tip(): ChainBlock {
    return this.tipBlock;
  }

  /** The compact target the next block needs. */
  get nbits(): number {
    return this.tipBlock.nextNbits;
  }

  get mempoolSize(): number {
    return this.mempool.size;
  }

  get mempoolCounter(): number {
    return this.mempoolUpdates;
  }

  /** `n` new mempool transactions (about a third spend an earlier mempool transaction, a third carry witnesses). */
  addTransactions(n: number): void {
    const max = this.options.maxMempool ?? 300;
    let added = 0;
    const recent = [...this.mempool.values()].slice(-8);
    for (let i = 0; i < n && this.mempool.size < max; i++) {
      const r = this.random(1)[0];
      const parent = r % 3 === 0 && recent.length > 0 ? recent[r % recent.length].txid : null;
      const tx = makeSyntheticTransaction(this.random, { segwit: r % 3 === 1, parent });
      this.mempool.set(bytesToHexReversed(tx.txid), tx);
      recent.push(tx);
      added++;
    }
    if (added === 0) return;
    this.mempoolUpdates++;
    this.cached = null;
    this.emit('mempool', { size: this.mempool.size, updates: this.mempoolUpdates });
  }

  /** The template a node would hand out now (cached until the tip or the mempool changes). */
  template(): SyntheticTemplate {
    const key = `${this.tipBlock.hashHex}:${this.mempoolUpdates}`;
    if (this.cached !== null && this.cached.key === key) {
      this.cached.curtime = Math.max(this.cached.mintime, this.nowSec());
      return this.cached;
    }
    const height = this.tipBlock.height + 1;
    const chosen: SyntheticTransaction[] = [];
    const included = new Set<string>();
    let weight = this.reservedWeight + 80 * 4 + 3 * 4;
    let fees = 0n;
    for (const [id, tx] of this.mempool) {
      if (weight + tx.weight > this.maxWeight) break;
      const parentsReady = tx.spends.every((p) => {
        const pid = bytesToHexReversed(p);
        return included.has(pid) || !this.mempool.has(pid);
      });
      if (!parentsReady) continue;
      chosen.push(tx);
      included.add(id);
      weight += tx.weight;
      fees += tx.feeSats;
    }
    const witnessRoot = merkleRootFromTxids([new Uint8Array(32), ...chosen.map((t) => t.wtxid)]);
    const mintime = this.medianTimePast(this.tipBlock) + 1;
    this.cached = {
      key,
      height,
      version: this.version,
      prevHash: this.tipBlock.hash,
      nbits: this.nbits,
      curtime: Math.max(mintime, this.nowSec()),
      mintime,
      subsidySats: subsidy(height),
      feesSats: fees,
      transactions: chosen,
      witnessCommitment: witnessCommitmentScript(witnessRoot),
      merklePath: merklePathOfFirst([new Uint8Array(32), ...chosen.map((t) => t.txid)]),
      weightLimit: this.maxWeight,
      longpollId: `${this.tipBlock.hashHex}${this.mempoolUpdates}`,
    };
    return this.cached;
  }

  /**
   * A block from a miner, as `submitblock` takes it (`via: 'rpc'`, which fills in a missing coinbase witness as
   * Core does) or rebuilt from a TP's SubmitSolution (`via: 'tdp'`, which does not). `proposal` checks without
   * proof of work and changes nothing (getblocktemplate's proposal mode). Returns Core's answer: null when
   * accepted, else the reason. Throws BlockDecodeError / BlockSubmitError for bytes Core would not validate.
   */
  submit(
    bytes: Uint8Array,
    how: { via: 'rpc' | 'tdp'; proposal?: boolean },
  ): { answer: string | null; hashHex: string } {
    const block = parseBlock(bytes);
    const hash = sha256d(block.headerBytes);
    const hashHex = bytesToHexReversed(hash);
    const answer = this.judge(block, hash, how);
    if (how.proposal) return { answer, hashHex };
    const height = (this.byHash.get(bytesToHexReversed(block.header.prevHash))?.height ?? -1) + 1;
    const coinbase = block.transactions[0];
    const record: SubmittedBlock = {
      hashHex,
      height,
      answer,
      via: how.via,
      payouts:
        coinbase?.outputs
          .filter((o) => o.valueSats > 0n)
          .map((o) => ({ valueSats: o.valueSats, script: o.script.slice() })) ?? [],
      transactions: block.transactions.length,
    };
    const label = answer ?? 'accepted';
    this.answers[label] = (this.answers[label] ?? 0) + 1;
    if (answer === null) {
      this.acceptedCount++;
      this.accepted.push(record);
      if (this.accepted.length > MAX_KEPT_SUBMISSIONS) this.accepted.shift();
      const confirmed = block.transactions.slice(1).map((t) => bytesToHexReversed(txidOf(t)));
      this.connect(
        {
          hash,
          hashHex,
          height,
          time: block.header.time,
          prev: this.tipBlock,
          foundBy: 'device',
          arrivedMs: this.clock.nowMs(),
          nextNbits: block.header.bits,
        },
        confirmed,
      );
    }
    this.emit('submitted', record);
    return { answer, hashHex };
  }

  private judge(
    block: ReturnType<typeof parseBlock>,
    hash: Uint8Array,
    how: { via: 'rpc' | 'tdp'; proposal?: boolean },
  ): string | null {
    if (block.transactions.length === 0 || !isCoinbase(block.transactions[0])) {
      throw new BlockSubmitError('Block does not start with a coinbase');
    }
    const known = this.byHash.get(bytesToHexReversed(hash));
    if (known !== undefined) return 'duplicate';
    const parent = this.byHash.get(bytesToHexReversed(block.header.prevHash));
    if (parent === undefined) return 'prev-blk-not-found';
    const onTip = parent === this.tipBlock;
    const verdict: BlockVerdict = checkBlock(block, this.rulesFor(parent, onTip, how));
    if (!verdict.valid) return verdict.reason;
    // Valid but not on the best chain: stored, not connected (someone else's block won the race).
    return onTip ? null : 'inconclusive';
  }

  private rulesFor(parent: ChainBlock, connect: boolean, how: { via: 'rpc' | 'tdp'; proposal?: boolean }): BlockRules {
    const height = parent.height + 1;
    return {
      prevHash: parent.hash,
      height,
      nbits: parent.nextNbits,
      minTime: this.medianTimePast(parent) + 1,
      maxTime: this.nowSec() + 2 * 3600,
      subsidySats: subsidy(height),
      // Off the tip the node stops before ConnectBlock (inputs and amounts), as Core does for a side chain.
      feeOf: (id) => this.mempool.get(id)?.feeSats ?? (connect ? undefined : 0n),
      checkProofOfWork: !how.proposal,
      repairCoinbaseWitness: how.via === 'rpc',
      maxWeight: this.maxWeight,
      connect,
      ...(this.options.payoutScript !== undefined ? { payoutScript: this.options.payoutScript } : {}),
    };
  }

  /**
   * The rest of the network finds a block on the tip, confirming the template's first `confirm` transactions
   * (default half of them).
   */
  mineNetworkBlock(confirm?: number): ChainBlock {
    const t = this.template();
    const take = t.transactions.slice(0, confirm ?? Math.ceil(t.transactions.length / 2));
    const block = this.networkBlock(
      this.tipBlock,
      this.tipBlock.height + 1,
      Math.max(t.mintime, this.nowSec()),
      t.nbits,
    );
    this.networkBlocks++;
    this.connect(
      block,
      take.map((x) => bytesToHexReversed(x.txid)),
    );
    return block;
  }

  stats(): SyntheticNodeStats {
    return {
      chain: this.chain,
      height: this.tipBlock.height,
      tip: this.tipBlock.hashHex,
      mempool: this.mempool.size,
      answers: { ...this.answers },
      accepted: this.acceptedCount,
      networkBlocks: this.networkBlocks,
      blocks: this.accepted.slice(),
    };
  }

  describe(): string {
    return `synthetic ${describeChain(this.chain)} chain at height ${this.tipBlock.height}`;
  }

  /** Median of the last 11 block times ending at `block` (Core's GetMedianTimePast). */
  medianTimePast(block: ChainBlock): number {
    const times: number[] = [];
    for (let b: ChainBlock | null = block; b !== null && times.length < 11; b = b.prev) times.push(b.time);
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  }

  /** A block by display-order hash. */
  block(hashHex: string): ChainBlock | undefined {
    return this.byHash.get(hashHex);
  }

  private networkBlock(prev: ChainBlock | null, height: number, time: number, nbits: number): ChainBlock {
    // A real header (its hash is a real block hash) with a random merkle root: the network's blocks are not kept.
    const header = encodeHeader({
      version: this.version,
      prevHash: prev?.hash ?? new Uint8Array(32),
      merkleRoot: this.random(32),
      time,
      bits: nbits,
      nonce: 0,
    });
    const hash = sha256d(header);
    const block: ChainBlock = {
      hash,
      hashHex: bytesToHexReversed(hash),
      height,
      time,
      prev,
      foundBy: 'network',
      arrivedMs: this.clock.nowMs(),
      nextNbits: nbits,
    };
    this.byHash.set(block.hashHex, block);
    return block;
  }

  /** Makes `block` the tip; the transactions it confirms leave the mempool. */
  private connect(block: ChainBlock, confirmedTxids: readonly string[]): void {
    block.nextNbits = this.retarget(block);
    this.byHash.set(block.hashHex, block);
    this.tipBlock = block;
    for (const id of confirmedTxids) this.mempool.delete(id);
    this.cached = null;
    this.prune();
    this.emit('tip', block);
  }

  /** The next block's nbits: this one's, scaled by how long this block took against the target interval. */
  private retarget(block: ChainBlock): number {
    const interval = this.options.targetBlockIntervalMs;
    const prev = block.prev;
    if (interval === undefined || prev === null) return block.nextNbits;
    const tookMs = Math.max(1, block.arrivedMs - prev.arrivedMs);
    const ratio = Math.min(4, Math.max(0.25, tookMs / interval));
    let target = (nbitsToTarget(block.nextNbits) * BigInt(Math.round(ratio * 1_000_000))) / 1_000_000n;
    if (target > REGTEST_POW_LIMIT) target = REGTEST_POW_LIMIT;
    if (target < 1n) target = 1n;
    return targetToNbits(target);
  }

  private prune(): void {
    if (this.byHash.size <= MAX_KEPT_BLOCKS) return;
    const keep = new Set<string>();
    for (let b: ChainBlock | null = this.tipBlock; b !== null && keep.size < MAX_KEPT_BLOCKS / 2; b = b.prev)
      keep.add(b.hashHex);
    for (const id of [...this.byHash.keys()]) if (!keep.has(id)) this.byHash.delete(id);
    // Cut the ancestry so forgotten blocks can be collected.
    let b: ChainBlock | null = this.tipBlock;
    for (let i = 1; b !== null && i < MAX_KEPT_BLOCKS / 2; i++) b = b.prev;
    if (b !== null) b.prev = null;
  }

  private nowSec(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }
}

/** Regtest's block subsidy: 50 BTC halving every 150 blocks. */
export function subsidy(height: number): bigint {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  return halvings >= 64 ? 0n : 5_000_000_000n >> BigInt(halvings);
}

/**
 * The local pool's job source: a synthetic chain. Every "block" is a random previous hash at the next height;
 * every template adds a few fake transactions (their txids give a real merkle path) and a real coinbase per
 * channel — BIP34 height, a pool tag, the channel's extranonce, a payout output and a segwit commitment — so
 * every job the pool hands out hashes exactly like a real one. Nothing here is ever a valid mainnet block.
 */

import {
  buildCoinbaseParts,
  type CoinbaseParts,
  type TxOutput,
  witnessCommitmentScript,
} from '../../bitcoin/coinbase.js';
import { merklePathOfFirst, merkleRootFromPath, merkleRootFromTxids, sha256d } from '../../bitcoin/index.js';
import type { Clock } from '../clock.js';

export interface SyntheticChainOptions {
  clock: Clock;
  /** Random bytes (tests pass a seeded PRNG). */
  random: (n: number) => Uint8Array;
  /** Network target of the synthetic chain (compact form). */
  nbits: number;
  /** Block version of the jobs (BIP9 top bits set). */
  version: number;
  startHeight: number;
  /** Output script the coinbase pays. */
  payoutScript: Uint8Array;
  /** Bytes pushed after the BIP34 height (a pool tag). */
  tag: Uint8Array;
  /** Fake transactions per template: [min, max]. */
  txCountRange: [number, number];
  blockRewardSats: bigint;
}

/** One block being mined: the tip it builds on plus the transactions besides the coinbase. */
export interface BlockTemplate {
  templateId: number;
  /** Increments with every new previous hash. */
  epoch: number;
  height: number;
  /** Header byte order. */
  prevHash: Uint8Array;
  nbits: number;
  version: number;
  /** ntime floor for this block (the time it was "found"). */
  minNtime: number;
  /** Siblings of the coinbase from the bottom of the tree up. */
  merklePath: Uint8Array[];
  outputs: TxOutput[];
}

/** The coinbase a channel gets for a template, and the header merkle root it leads to. */
export interface ChannelCoinbase {
  /** Non-witness serialization. */
  tx: Uint8Array;
  txid: Uint8Array;
  merkleRoot: Uint8Array;
}

export class SyntheticChain {
  private epochCounter = 0;
  private templateCounter = 0;
  height: number;
  prevHash: Uint8Array;
  minNtime: number;

  constructor(private readonly options: SyntheticChainOptions) {
    this.height = options.startHeight;
    this.prevHash = options.random(32);
    this.minNtime = Math.floor(options.clock.nowMs() / 1000);
  }

  get epoch(): number {
    return this.epochCounter;
  }

  get nbits(): number {
    return this.options.nbits;
  }

  /** A new block on the synthetic network: random previous hash, next height, ntime floor = now. */
  newBlock(): void {
    this.epochCounter++;
    this.height++;
    this.prevHash = this.options.random(32);
    this.minNtime = Math.max(this.minNtime, Math.floor(this.options.clock.nowMs() / 1000));
  }

  /** A template on the current tip with a fresh set of fake transactions. */
  newTemplate(): BlockTemplate {
    const [lo, hi] = this.options.txCountRange;
    const count = lo + (this.options.random(1)[0] % (hi - lo + 1));
    const txids: Uint8Array[] = [new Uint8Array(32)];
    let feesSats = 0n;
    for (let i = 0; i < count; i++) {
      txids.push(this.options.random(32));
      feesSats += BigInt(1000 + this.options.random(1)[0] * 100);
    }
    // The fake transactions carry no witness, so their wtxids equal their txids; the coinbase's wtxid is zero.
    const witnessRoot = merkleRootFromTxids(txids);
    return {
      templateId: ++this.templateCounter,
      epoch: this.epochCounter,
      height: this.height,
      prevHash: this.prevHash,
      nbits: this.options.nbits,
      version: this.options.version,
      minNtime: this.minNtime,
      merklePath: merklePathOfFirst(txids),
      outputs: [
        { valueSats: this.options.blockRewardSats + feesSats, script: this.options.payoutScript },
        { valueSats: 0n, script: witnessCommitmentScript(witnessRoot) },
      ],
    };
  }

  /**
   * The template's coinbase split around `extranonceLength` bytes of extranonce (what a Stratum V1 pool sends as
   * coinb1 / coinb2, and an extended channel as its prefix / suffix).
   */
  coinbaseParts(template: BlockTemplate, extranonceLength: number): CoinbaseParts {
    return buildCoinbaseParts({
      txVersion: 2,
      height: template.height,
      tag: this.options.tag,
      extranonceLength,
      sequence: 0xffffffff,
      outputs: template.outputs,
      locktime: 0,
    });
  }

  /** The coinbase carrying `extranonce` at the end of its scriptSig, and the resulting merkle root. */
  coinbaseFor(template: BlockTemplate, extranonce: Uint8Array): ChannelCoinbase {
    const parts = this.coinbaseParts(template, extranonce.length);
    const tx = new Uint8Array(parts.prefix.length + extranonce.length + parts.suffix.length);
    tx.set(parts.prefix, 0);
    tx.set(extranonce, parts.prefix.length);
    tx.set(parts.suffix, parts.prefix.length + extranonce.length);
    const txid = sha256d(tx);
    return { tx, txid, merkleRoot: merkleRootFromPath(txid, template.merklePath) };
  }
}

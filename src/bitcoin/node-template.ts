/**
 * A block template from the owner's own node, whichever way it came (Bitcoin Core's `getblocktemplate`, or an
 * SV2 Template Provider's NewTemplate + SetNewPrevHash): everything the device needs to build its own coinbase,
 * hash headers, and turn a winning nonce into a block. Protocol-neutral, so solo mining and (later) job
 * declaration build their coinbase from the same thing.
 */
import type { TxOutput } from './coinbase.js';

/** A transaction of the template besides the coinbase. */
export interface TemplateTransaction {
  /** Full serialization, witness included, exactly as it goes into the block. */
  data: Uint8Array;
  /** Internal byte order. */
  txid: Uint8Array;
  wtxid: Uint8Array;
  /** The fee it pays (GBT says; TDP does not). */
  feeSats: bigint | null;
}

/** What the template fixes about the coinbase; the device adds its own scriptSig bytes and outputs. */
export interface TemplateCoinbaseRules {
  txVersion: number;
  /** The start of the scriptSig, at least the BIP34 height push (a TP may put more there). */
  scriptSigPrefix: Uint8Array;
  sequence: number;
  locktime: number;
  /** What the device's own outputs may take in total: subsidy + fees − the template's outputs. */
  valueRemainingSats: bigint;
  /** Outputs the coinbase must carry after the device's own (the segwit commitment), in order. */
  outputs: readonly TxOutput[];
  /** The coinbase witness (BIP141's reserved value) when the template commits to witnesses; null otherwise. */
  witnessReservedValue: Uint8Array | null;
  /**
   * Weight the coinbase may take before the block passes the limit (what the node left for it), or null when the
   * source sized the block from our declared outputs itself (a TP and CoinbaseOutputConstraints).
   */
  maxWeight: number | null;
}

export interface NodeTemplate {
  /** The source's id (TDP template_id; a counter for GBT). */
  id: bigint;
  height: number;
  version: number;
  /** Version bits the device may roll: BIP320's, minus any the template uses for deployments. */
  versionRollingMask: number;
  /** Header byte order. */
  prevHash: Uint8Array;
  nbits: number;
  /** The network target the header hash must meet (from nbits). */
  target: bigint;
  /** The ntime to start the header at (GBT curtime; TDP header_timestamp). */
  ntime: number;
  coinbase: TemplateCoinbaseRules;
  /** Siblings of the coinbase at each level, bottom up, internal byte order. */
  merklePath: readonly Uint8Array[];
  /** The other transactions in block order, when known (GBT: always; TDP: after RequestTransactionData). */
  transactions: TemplateTransaction[] | null;
  /** How many transactions besides the coinbase (null while unknown). */
  transactionCount: number | null;
  /** Sum of their fees, when the source says. */
  feesSats: bigint | null;
}

/** BIP320: the version bits a miner may roll. */
export const BIP320_MASK = 0x1fffe000;

/**
 * The bits a device may roll for `version`: BIP320's, except any bit the template itself sets or names as a
 * deployment (rolling would clear or fake a signal).
 */
export function rollableVersionBits(version: number, deploymentBits = 0): number {
  return (BIP320_MASK & ~version & ~deploymentBits) >>> 0;
}

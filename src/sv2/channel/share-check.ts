/**
 * Proof-of-work checks of one share against one job, shared by the pool (which must validate every share) and
 * by the client (to sanity-check before submitting). Stateless: job lookup, staleness and duplicates need the
 * channel's history and live with the channel.
 *
 * Order follows SRI's server: ntime, version bits, then the hash — block first, then the channel target.
 */

import { assembleCoinbase, transactionId } from '../../bitcoin/coinbase.js';
import { merkleRootFromPath, nbitsToTarget, sha256d } from '../../bitcoin/index.js';
import { hashToBigInt } from '../../bitcoin/target.js';
import { SubmitSharesErrorCode } from '../messages/error-codes.js';
import { versionError } from './version-rolling.js';

export interface ChainTipView {
  prevHash: Uint8Array;
  nbits: number;
  /** Shares with an earlier ntime are invalid (SRI: `invalid-share`). */
  minNtime: number;
}

export interface ShareFields {
  nonce: number;
  ntime: number;
  version: number;
}

export interface ShareCheckInput {
  jobVersion: number;
  /** Header byte order (as NewMiningJob sends it, or as rebuilt from an extended job's coinbase). */
  merkleRoot: Uint8Array;
  tip: ChainTipView;
  share: ShareFields;
  /** The target that applies to this job's shares. */
  target: bigint;
  versionRollingAllowed: boolean;
  rollableMask?: number;
  /** Optional upper bound for ntime (the pool passes now + 2 h, Bitcoin's future-block limit). */
  maxNtime?: number;
}

export type ShareVerdict =
  | { ok: true; hash: Uint8Array; blockFound: boolean }
  | { ok: false; code: SubmitSharesErrorCode; hash: Uint8Array | null };

const header = new Uint8Array(80);

function writeU32(out: Uint8Array, o: number, v: number): void {
  out[o] = v;
  out[o + 1] = v >>> 8;
  out[o + 2] = v >>> 16;
  out[o + 3] = v >>> 24;
}

/** The 80-byte header a share describes (a shared scratch buffer: copy it to keep it). */
export function shareHeader(merkleRoot: Uint8Array, tip: ChainTipView, share: ShareFields): Uint8Array {
  writeU32(header, 0, share.version);
  header.set(tip.prevHash, 4);
  header.set(merkleRoot, 36);
  writeU32(header, 68, share.ntime);
  writeU32(header, 72, tip.nbits);
  writeU32(header, 76, share.nonce);
  return header;
}

export function checkShare(input: ShareCheckInput): ShareVerdict {
  const { share, tip } = input;
  if (share.ntime >>> 0 < tip.minNtime >>> 0)
    return { ok: false, code: SubmitSharesErrorCode.invalidShare, hash: null };
  if (input.maxNtime !== undefined && share.ntime >>> 0 > input.maxNtime) {
    return { ok: false, code: SubmitSharesErrorCode.invalidShare, hash: null };
  }
  const versionCode = versionError(share.version, input.jobVersion, input.versionRollingAllowed, input.rollableMask);
  if (versionCode !== null) return { ok: false, code: versionCode, hash: null };
  const hash = sha256d(shareHeader(input.merkleRoot, tip, share));
  const value = hashToBigInt(hash);
  let network: bigint | null;
  try {
    network = nbitsToTarget(tip.nbits);
  } catch {
    network = null;
  }
  if (network !== null && value <= network) return { ok: true, hash, blockFound: true };
  if (value <= input.target) return { ok: true, hash, blockFound: false };
  return { ok: false, code: SubmitSharesErrorCode.difficultyTooLow, hash };
}

/** An extended job's coinbase pieces (as NewExtendedMiningJob sends them). */
export interface ExtendedJobCoinbase {
  coinbaseTxPrefix: Uint8Array;
  coinbaseTxSuffix: Uint8Array;
  merklePath: readonly Uint8Array[];
}

/**
 * Merkle root of an extended-channel share: coinbase = prefix ‖ extranonce_prefix ‖ extranonce ‖ suffix, txid over
 * the non-witness serialization (prefix/suffix may still carry BIP141 data from older pools), folded up the path.
 * Throws CoinbaseError when the pieces do not form one transaction.
 */
export function extendedShareMerkleRoot(
  job: ExtendedJobCoinbase,
  extranoncePrefix: Uint8Array,
  extranonce: Uint8Array,
): Uint8Array {
  const coinbase = assembleCoinbase(job.coinbaseTxPrefix, [extranoncePrefix, extranonce], job.coinbaseTxSuffix);
  return merkleRootFromPath(transactionId(coinbase), job.merklePath);
}

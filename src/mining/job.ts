/**
 * The one job shape every upstream hands the engine, and the one share shape the engine hands back.
 *
 * Four kinds of upstream feed the chips: an SV2 standard channel (the pool gives the merkle root), an SV2
 * extended channel and Stratum V1 (the pool gives coinbase pieces and a merkle path; the device fills in an
 * extranonce), and the owner's own templates (the device builds the whole coinbase). They differ only in
 * where a header's merkle root comes from, which `HeaderSource` says; everything else is the same block
 * header and the same share rules. Each protocol adapter turns its messages into a `MiningJob` and turns a
 * `MinedShare` back into its own submit message; the engine imports no protocol.
 */

/** Which version bits the upstream lets the device change. */
export interface VersionRollingRule {
  /** False when the upstream wants the job's version unchanged (SV2 REQUIRES_FIXED_VERSION, V1 without BIP310). */
  allowed: boolean;
  /** Bits the device may roll (0 when not allowed), e.g. BIP320's 0x1fffe000 or BIP323's 24 bits. */
  mask: number;
}

/** The merkle root is given: header-only mining (an SV2 standard channel). */
export interface FixedMerkleRoot {
  readonly kind: 'merkle-root';
  /** Internal byte order: goes into the header unchanged. */
  readonly merkleRoot: Uint8Array;
}

/**
 * The device completes the coinbase: `prefix ‖ extranonce ‖ suffix` is the coinbase transaction without its
 * witness, and the merkle root is that transaction's txid folded up `merklePath`. `extranonceSize` bytes are the
 * device's to roll; a share names the ones it used. Whatever the upstream fixed before them (V1's extranonce1,
 * an extended channel's extranonce_prefix) is the end of `prefix`.
 */
export interface CoinbaseHeaderSource {
  readonly kind: 'coinbase';
  readonly prefix: Uint8Array;
  readonly extranonceSize: number;
  readonly suffix: Uint8Array;
  /** Siblings of the coinbase at each level, bottom up, internal byte order. */
  readonly merklePath: readonly Uint8Array[];
}

export type HeaderSource = FixedMerkleRoot | CoinbaseHeaderSource;

/**
 * A job ready to hash: everything to rebuild the exact header plus the rules for shares. Immutable snapshot;
 * a later target change does not change `target` here (upstreams judge a job's shares by the target it had).
 */
export interface MiningJob {
  /** The upstream's channel the job belongs to (SV2 channel id; 0 where the protocol has none). */
  channelId: number;
  /** The upstream's id for the job (SV2: a u32; Stratum V1: the pool's job id string). */
  jobId: number | string;
  /** Base header version. */
  version: number;
  versionRolling: VersionRollingRule;
  header: HeaderSource;
  /** Header byte order: goes into the header unchanged. */
  prevHash: Uint8Array;
  nbits: number;
  /** Lowest ntime the upstream accepts for this job. */
  minNtime: number;
  /** Target the upstream applies to shares of this job. */
  target: bigint;
  targetLimbs: Uint32Array;
  /** When the job became active (ms): ntime may move on by the seconds since. */
  activatedAtMs: number;
}

/** A nonce that met a job's share target, on its way to the upstream. */
export interface MinedShare {
  job: MiningJob;
  nonce: number;
  ntime: number;
  /** The full header version the chip hashed. */
  version: number;
  /** The rolled extranonce bytes (`extranonceSize` of them) for a coinbase job; null for a fixed merkle root. */
  extranonce: Uint8Array | null;
}

/** What an upstream said about shares, in the terms the statistics need. */
export interface AnsweredShare {
  /** The target the share was judged against (its credit). */
  target: bigint;
  /** Answered after it had been given up as timed out. */
  late: boolean;
}

export type ShareAnswer =
  | {
      kind: 'accepted';
      /** The submitted shares this answer resolved (may be empty: an upstream acknowledging by count only). */
      shares: readonly AnsweredShare[];
      /** How many shares the upstream says it accepted (used when `shares` is empty). */
      count: number;
    }
  | { kind: 'rejected'; reason: string; share: AnsweredShare | null }
  | { kind: 'timeout'; count: number }
  | { kind: 'lost'; count: number };

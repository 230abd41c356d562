/**
 * The engine's view of an open mining channel and of the work it carries. Standard channels (header-only
 * mining, what a Bitaxe-class device uses) are built; extended channels (wave 2) will implement the same
 * `MiningChannelInfo` and add their coinbase pieces to `ActiveJob` as an `extended` member.
 */
import type { Work } from '../../mining/work.js';

export type ChannelKind = 'standard' | 'extended';

export interface VersionRollingRule {
  /** False when the server set REQUIRES_FIXED_VERSION: submit the job's version unchanged. */
  allowed: boolean;
  /** Bits the device may roll (0 when not allowed). Default BIP320 0x1fffe000. */
  mask: number;
}

export interface MiningChannelInfo {
  kind: ChannelKind;
  channelId: number;
  requestId: number;
  userIdentity: string;
  groupChannelId: number;
  /** Bytes the pool put in front of this channel's extranonce (informational for a header-only device). */
  extranoncePrefix: Uint8Array;
  /** Current target for jobs received from now on (little-endian number; hash ≤ target is a share). */
  target: bigint;
  /** The same target as 8 little-endian 32-bit limbs, for `stateWordsMeetTarget`. */
  targetLimbs: Uint32Array;
  /** DIFF1 / target: below 1 for tiny hash rates. */
  difficulty: number;
  versionRolling: VersionRollingRule;
}

/** The current block the pool mines on (from SetNewPrevHash). */
export interface ChainTip {
  /** Job the SetNewPrevHash activated. */
  jobId: number;
  /** Header byte order: goes into the header unchanged. */
  prevHash: Uint8Array;
  nbits: number;
  /** Shares must use ntime ≥ this. */
  minNtime: number;
  receivedAtMs: number;
}

/**
 * A job ready to hash: everything to rebuild the exact header plus the rules for shares. Immutable snapshot;
 * a later SetTarget does not change `target` here (the pool judges a job's shares by the target it had).
 */
export interface ActiveJob {
  kind: ChannelKind;
  channelId: number;
  jobId: number;
  /** Base header version. */
  version: number;
  versionRolling: VersionRollingRule;
  merkleRoot: Uint8Array;
  prevHash: Uint8Array;
  nbits: number;
  /** Lowest ntime the pool accepts for this job: max(job's min_ntime, the tip's min_ntime). */
  minNtime: number;
  /** Target the pool applies to shares of this job. */
  target: bigint;
  targetLimbs: Uint32Array;
  activatedAtMs: number;
}

/** Work for the chip drivers from an active job, with ntime chosen by the engine (≥ job.minNtime). */
export function activeJobToWork(job: ActiveJob, ntime: number = job.minNtime): Work {
  return {
    version: job.version,
    versionMask: job.versionRolling.allowed ? job.versionRolling.mask : 0,
    prevHash: job.prevHash,
    merkleRoot: job.merkleRoot,
    ntime: Math.max(ntime, job.minNtime) >>> 0,
    nbits: job.nbits,
  };
}

/**
 * An open SV2 mining channel and the jobs it carries, as the client tracks them. A job is the engine's
 * protocol-neutral `MiningJob` (src/mining/job.ts) with SV2's id and channel kind: a standard channel's job has
 * a fixed merkle root, an extended channel's a coinbase the device completes.
 */
import type { MiningJob, VersionRollingRule } from '../../mining/job.js';
import type { Work } from '../../mining/work.js';

export type { VersionRollingRule } from '../../mining/job.js';

export type ChannelKind = 'standard' | 'extended';

export interface MiningChannelInfo {
  kind: ChannelKind;
  channelId: number;
  requestId: number;
  userIdentity: string;
  groupChannelId: number;
  /** Bytes the pool put in front of this channel's extranonce (informational for a header-only device). */
  extranoncePrefix: Uint8Array;
  /** Bytes of extranonce the device rolls after the prefix (extended channels; 0 on a standard channel). */
  extranonceSize: number;
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
 * A job on an SV2 channel: the engine's `MiningJob` with SV2's u32 job id and the kind of channel it came on.
 * Standard channels carry a fixed merkle root; extended channels a coinbase the device completes.
 */
export interface ActiveJob extends MiningJob {
  kind: ChannelKind;
  jobId: number;
}

/** Work for the chip drivers from a standard-channel job, with ntime chosen by the caller (≥ job.minNtime). */
export function activeJobToWork(job: ActiveJob, ntime: number = job.minNtime): Work {
  if (job.header.kind !== 'merkle-root') throw new TypeError('activeJobToWork takes a job with a fixed merkle root');
  return {
    version: job.version,
    versionMask: job.versionRolling.allowed ? job.versionRolling.mask : 0,
    prevHash: job.prevHash,
    merkleRoot: job.header.merkleRoot,
    ntime: Math.max(ntime, job.minNtime) >>> 0,
    nbits: job.nbits,
  };
}

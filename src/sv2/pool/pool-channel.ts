/**
 * Server-side state of one channel on the local pool, standard or extended: the jobs it was given (with the target
 * and, for an extended channel, the extranonce prefix each carries), which are stale, the shares already seen, and
 * the acknowledgement batch. Validation follows SRI's pool: stale → unknown job → extranonce size → ntime → version
 * bits → block / target → duplicate. An extended share's header is rebuilt from the job's coinbase:
 * coinbase_tx_prefix ‖ extranonce_prefix ‖ the share's extranonce ‖ coinbase_tx_suffix, its txid folded up the
 * merkle path.
 *
 * A job is a `PoolJob` whatever made it (the synthetic chain's template today; a client's SetCustomMiningJob once a
 * job declarator serves one): `registerJob` takes any of them, and validation reads only the job.
 *
 * One departure from SRI, for shares that crossed a block change on the wire: the device sent them before our
 * SetNewPrevHash reached it, so it could not have known. A share for a job of the block just replaced is still
 * judged in full (and accepted when good, as work, never as a block) while it is plausibly in flight: within
 * `inFlightGraceMs` of the change and before the channel's first share on the new block (from then on the device
 * provably has the new tip). Anything older, later or after that first share is stale-share, as in SRI.
 */
import { difficultyFromTarget } from '../../bitcoin/index.js';
import { merkleRootOfCoinbase } from '../../bitcoin/merkle.js';
import { checkShare } from '../channel/share-check.js';
import { BIP323_VERSION_MASK } from '../channel/version-rolling.js';
import type { ChannelKind } from '../client/channel.js';
import { SubmitSharesErrorCode } from '../messages/error-codes.js';
import type { SubmitSharesExtended, SubmitSharesStandard } from '../messages/mining.js';
import type { BlockTemplate, SyntheticChain } from './synthetic-chain.js';

/** Jobs of the current block the pool still accepts shares for (older ones answer stale-share). */
export const MAX_JOBS_PER_BLOCK = 64;
/**
 * Accepted shares remembered for duplicate detection per block (FIFO beyond that). Each is one number (about
 * 40 bytes in a Set), so a block costs a channel at most ~2 MB even when a client floods it with easy shares.
 */
export const MAX_SEEN_SHARES = 50_000;
/**
 * Duplicate-detection memory shared by the channels of one pool. Past `max` a channel forgets its own oldest
 * share before it remembers a new one, so clients flooding easy shares on many channels cannot grow the pool
 * without bound; they only shorten how far back their own duplicates are caught.
 */
export interface SeenShareBudget {
  used: number;
  readonly max: number;
}

/** Bitcoin accepts block times up to two hours ahead. */
export const MAX_NTIME_AHEAD_SEC = 7200;

/** Where a job's merkle root comes from: given (standard), or the coinbase the device completes (extended). */
export type PoolJobHeader =
  | { kind: 'merkle-root'; merkleRoot: Uint8Array }
  | {
      kind: 'coinbase';
      /** coinbase_tx_prefix ‖ the channel's extranonce_prefix when the job was sent (non-witness serialization). */
      prefix: Uint8Array;
      suffix: Uint8Array;
      merklePath: readonly Uint8Array[];
    };

export interface PoolJob {
  jobId: number;
  /** The chain epoch (block) the job builds on: shares of another epoch are stale. */
  epoch: number;
  version: number;
  versionRollingAllowed: boolean;
  header: PoolJobHeader;
  prevHash: Uint8Array;
  nbits: number;
  minNtime: number;
  /** The target shares of this job are judged by (fixed when it was sent active). */
  target: bigint;
}

/** The wire pieces of an extended job (what NewExtendedMiningJob carries besides ids and times). */
export interface ExtendedJobPieces {
  coinbaseTxPrefix: Uint8Array;
  coinbaseTxSuffix: Uint8Array;
  merklePath: Uint8Array[];
}

/** Share fields a pool judges: SubmitSharesStandard, or SubmitSharesExtended with its extranonce. */
export type SubmittedShare = SubmitSharesStandard | SubmitSharesExtended;

/** How long after a block change a share of the replaced block counts as in flight (default). */
export const DEFAULT_IN_FLIGHT_GRACE_MS = 1000;

export type ShareJudgement =
  | {
      ok: true;
      blockFound: boolean;
      jobDifficulty: number;
      hash: Uint8Array;
      /** A share of the block just replaced that was in flight when it changed: work, but never a block. */
      inFlight: boolean;
    }
  | { ok: false; code: SubmitSharesErrorCode };

export interface ChannelStats {
  channelId: number;
  connectionId: number;
  kind: ChannelKind;
  /** The group the pool put the channel in (0: none). */
  groupChannelId: number;
  userIdentity: string;
  nominalHashRateHs: number;
  difficulty: number;
  accepted: number;
  /** Of `accepted`: shares of the replaced block that crossed a block change in flight. */
  acceptedInFlight: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  blocksFound: number;
  lastShareAtMs: number | null;
  /** False once the client closed the channel or its connection ended. */
  open: boolean;
}

export class PoolChannel {
  private jobs = new Map<number, PoolJob>();
  private lastJobId = 0;
  /** First job id sent under the current block: lower ids are stale (or in flight, see the file comment). */
  private epochFirstJobId = 1;
  /** The first 48 bits of each accepted share's header hash: the same share always hashes the same. */
  private seen = new Set<number>();
  /** The block just replaced: its jobs and accepted shares, kept only for shares in flight across the change. */
  private replacedJobs = new Map<number, PoolJob>();
  private replacedSeen = new Set<number>();
  private replacedAtMs = Number.NEGATIVE_INFINITY;
  /** A share naming a job of the current block arrived: the device has the new tip, in-flight time is over. */
  private newBlockShareSeen = false;
  target: bigint;
  /** Accepted since the last SubmitShares.Success, and the difficulty sum SRI reports. */
  batchCount = 0;
  batchDifficulty = 0;
  batchLastSequence = 0;
  readonly stats: ChannelStats;

  /** Bytes the client rolls (extended channels; 0 for standard). */
  readonly extranonceSize: number;
  groupChannelId = 0;

  constructor(
    readonly kind: ChannelKind,
    readonly channelId: number,
    readonly connectionId: number,
    readonly userIdentity: string,
    public extranoncePrefix: Uint8Array,
    public maxTarget: bigint,
    public nominalHashRateHs: number,
    initialTarget: bigint,
    readonly versionRollingAllowed: boolean,
    /** 0 = strict SRI behaviour: every share of a replaced block is stale-share. */
    readonly inFlightGraceMs = DEFAULT_IN_FLIGHT_GRACE_MS,
    private readonly seenBudget: SeenShareBudget = { used: 0, max: Number.POSITIVE_INFINITY },
    extranonceSize = 0,
  ) {
    this.extranonceSize = kind === 'extended' ? extranonceSize : 0;
    this.target = initialTarget;
    this.stats = {
      channelId,
      connectionId,
      kind,
      groupChannelId: 0,
      userIdentity,
      nominalHashRateHs,
      difficulty: difficultyFromTarget(initialTarget),
      accepted: 0,
      acceptedInFlight: 0,
      rejected: 0,
      rejectedByCode: {},
      blocksFound: 0,
      lastShareAtMs: null,
      open: true,
    };
  }

  setTarget(target: bigint): void {
    this.target = target;
    this.stats.difficulty = difficultyFromTarget(target);
  }

  /**
   * This channel's job from `template` under `jobId` (ids come from the connection, unique across its channels and
   * groups): for a standard channel the merkle root of its own coinbase, for an extended one the coinbase pieces
   * with its extranonce prefix. `pieces` are the extended job's wire pieces (shared by every member of a group).
   */
  jobFromTemplate(
    jobId: number,
    template: BlockTemplate,
    chain: SyntheticChain,
    pieces: ExtendedJobPieces | null,
  ): PoolJob {
    let header: PoolJobHeader;
    if (this.kind === 'extended') {
      if (pieces === null) throw new TypeError("an extended channel's job needs its coinbase pieces");
      const prefix = new Uint8Array(pieces.coinbaseTxPrefix.length + this.extranoncePrefix.length);
      prefix.set(pieces.coinbaseTxPrefix, 0);
      prefix.set(this.extranoncePrefix, pieces.coinbaseTxPrefix.length);
      header = { kind: 'coinbase', prefix, suffix: pieces.coinbaseTxSuffix, merklePath: pieces.merklePath };
    } else {
      header = { kind: 'merkle-root', merkleRoot: chain.coinbaseFor(template, this.extranoncePrefix).merkleRoot };
    }
    return {
      jobId,
      epoch: template.epoch,
      version: template.version,
      versionRollingAllowed: this.versionRollingAllowed,
      header,
      prevHash: template.prevHash,
      nbits: template.nbits,
      minNtime: template.minNtime,
      target: this.target,
    };
  }

  /**
   * Remembers a job sent to this channel. A `future` job (sent before SetNewPrevHash) starts a new block: every
   * earlier job becomes stale (bar the in-flight window) and duplicate tracking restarts.
   */
  registerJob(job: PoolJob, future: boolean, nowMs: number): void {
    if (job.jobId > this.lastJobId) this.lastJobId = job.jobId;
    if (future) {
      // The current block's tables become the replaced block's; the ones two blocks back are reused, empty.
      const jobs = this.replacedJobs;
      const seen = this.replacedSeen;
      this.replacedJobs = this.jobs;
      this.replacedSeen = this.seen;
      this.jobs = jobs;
      this.seen = seen;
      jobs.clear();
      this.forget(seen);
      this.replacedAtMs = nowMs;
      this.newBlockShareSeen = false;
      this.epochFirstJobId = job.jobId;
    }
    this.jobs.set(job.jobId, job);
    if (this.jobs.size > MAX_JOBS_PER_BLOCK) this.jobs.delete(this.jobs.keys().next().value as number);
  }

  /**
   * SetExtranoncePrefix: the channel's search space moved. Every job sent so far carried the old prefix; they are
   * stale from now on (no share with the old prefix is accepted), and the next job carries the new one.
   */
  setExtranoncePrefix(prefix: Uint8Array): void {
    this.extranoncePrefix = prefix.slice();
    this.jobs.clear();
    this.replacedJobs.clear();
    this.forget(this.replacedSeen);
    this.newBlockShareSeen = true;
    this.epochFirstJobId = this.lastJobId + 1;
  }

  job(jobId: number): PoolJob | undefined {
    return this.jobs.get(jobId);
  }

  validate(share: SubmittedShare, chain: SyntheticChain, nowMs: number): ShareJudgement {
    const jobId = share.jobId;
    if (jobId === 0 || jobId > this.lastJobId) return { ok: false, code: SubmitSharesErrorCode.invalidJobId };
    if (jobId >= this.epochFirstJobId) {
      const job = this.jobs.get(jobId);
      if (job === undefined || job.epoch !== chain.epoch) return { ok: false, code: SubmitSharesErrorCode.staleShare };
      if (!this.newBlockShareSeen) {
        // The device has the new tip: nothing of the replaced block can still be in flight.
        this.newBlockShareSeen = true;
        this.replacedJobs.clear();
        this.forget(this.replacedSeen);
      }
      return this.judge(share, job, this.seen, nowMs, false);
    }
    const job = this.replacedJobs.get(jobId);
    if (
      job === undefined ||
      job.epoch !== chain.epoch - 1 ||
      this.newBlockShareSeen ||
      nowMs - this.replacedAtMs >= this.inFlightGraceMs
    ) {
      return { ok: false, code: SubmitSharesErrorCode.staleShare };
    }
    return this.judge(share, job, this.replacedSeen, nowMs, true);
  }

  private judge(
    share: SubmittedShare,
    job: PoolJob,
    seen: Set<number>,
    nowMs: number,
    inFlight: boolean,
  ): ShareJudgement {
    let merkleRoot: Uint8Array;
    const header = job.header;
    if (header.kind === 'coinbase') {
      // SRI refuses an extranonce of any other length than the channel's extranonce_size.
      if (!('extranonce' in share) || share.extranonce.length !== this.extranonceSize) {
        return { ok: false, code: SubmitSharesErrorCode.badExtranonceSize };
      }
      merkleRoot = merkleRootOfCoinbase(header.prefix, share.extranonce, header.suffix, header.merklePath);
    } else {
      merkleRoot = header.merkleRoot;
    }
    const verdict = checkShare({
      jobVersion: job.version,
      merkleRoot,
      tip: { prevHash: job.prevHash, nbits: job.nbits, minNtime: job.minNtime },
      share,
      target: job.target,
      versionRollingAllowed: job.versionRollingAllowed,
      rollableMask: BIP323_VERSION_MASK,
      maxNtime: Math.floor(nowMs / 1000) + MAX_NTIME_AHEAD_SEC,
    });
    if (!verdict.ok) return { ok: false, code: verdict.code };
    const h = verdict.hash;
    // Identical shares give identical headers; 48 random bits make a false duplicate (p ≈ n² / 2^49) negligible.
    const key = h[0] + h[1] * 0x100 + h[2] * 0x10000 + h[3] * 0x1000000 + h[4] * 0x100000000 + h[5] * 0x10000000000;
    if (seen.has(key)) return { ok: false, code: SubmitSharesErrorCode.duplicateShare };
    seen.add(key);
    const budget = this.seenBudget;
    budget.used++;
    if (seen.size > 1 && (seen.size > MAX_SEEN_SHARES || budget.used > budget.max)) {
      seen.delete(seen.values().next().value as number);
      budget.used--;
    }
    return {
      ok: true,
      // A block on a tip the chain has already left is not a block any more.
      blockFound: verdict.blockFound && !inFlight,
      jobDifficulty: difficultyFromTarget(job.target),
      hash: verdict.hash,
      inFlight,
    };
  }

  /** Shares remembered for duplicate detection (both blocks). */
  get seenShares(): number {
    return this.seen.size + this.replacedSeen.size;
  }

  /** The channel closed: its duplicate memory goes back to the pool's budget. */
  release(): void {
    this.forget(this.seen);
    this.forget(this.replacedSeen);
    this.jobs.clear();
    this.replacedJobs.clear();
  }

  private forget(seen: Set<number>): void {
    this.seenBudget.used -= seen.size;
    seen.clear();
  }

  record(judgement: ShareJudgement, nowMs: number): void {
    this.stats.lastShareAtMs = nowMs;
    if (judgement.ok) {
      this.stats.accepted++;
      if (judgement.inFlight) this.stats.acceptedInFlight++;
      if (judgement.blockFound) this.stats.blocksFound++;
    } else {
      this.stats.rejected++;
      this.stats.rejectedByCode[judgement.code] = (this.stats.rejectedByCode[judgement.code] ?? 0) + 1;
    }
  }
}

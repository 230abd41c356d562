/**
 * Server-side state of one standard channel on the local pool: the jobs it was given (with the target each
 * carries), which are stale, the shares already seen, and the acknowledgement batch. Validation follows SRI's
 * pool: stale → unknown job → ntime → version bits → block / target → duplicate.
 */
import { difficultyFromTarget } from '../../bitcoin/index.js';
import { checkShare } from '../channel/share-check.js';
import { BIP323_VERSION_MASK } from '../channel/version-rolling.js';
import { SubmitSharesErrorCode } from '../messages/error-codes.js';
import type { NewMiningJob, SubmitSharesStandard } from '../messages/mining.js';
import type { BlockTemplate, SyntheticChain } from './synthetic-chain.js';

/** Jobs of the current block the pool still accepts shares for (older ones answer stale-share). */
export const MAX_JOBS_PER_BLOCK = 64;
/**
 * Accepted shares remembered for duplicate detection per block (FIFO beyond that). Each is one number (about
 * 30 bytes), so a channel costs at most ~1.5 MB even when a client floods it with shares at an easy target.
 */
export const MAX_SEEN_SHARES = 50_000;
/** Bitcoin accepts block times up to two hours ahead. */
export const MAX_NTIME_AHEAD_SEC = 7200;

export interface PoolJob {
  jobId: number;
  epoch: number;
  version: number;
  merkleRoot: Uint8Array;
  /** The coinbase of this job (for a found block). */
  coinbase: Uint8Array;
  /** The target shares of this job are judged by (fixed when it was sent active). */
  target: bigint;
  template: BlockTemplate;
}

export type ShareJudgement =
  | { ok: true; blockFound: boolean; jobDifficulty: number; hash: Uint8Array }
  | { ok: false; code: SubmitSharesErrorCode };

export interface ChannelStats {
  channelId: number;
  connectionId: number;
  userIdentity: string;
  nominalHashRateHs: number;
  difficulty: number;
  accepted: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  blocksFound: number;
  lastShareAtMs: number | null;
  /** False once the client closed the channel or its connection ended. */
  open: boolean;
}

export class PoolChannel {
  private readonly jobs = new Map<number, PoolJob>();
  private lastJobId = 0;
  /** First job id sent under the current block: lower ids are stale. */
  private epochFirstJobId = 1;
  /** The first 48 bits of each accepted share's header hash: the same share always hashes the same. */
  private readonly seen = new Set<number>();
  target: bigint;
  /** Accepted since the last SubmitShares.Success, and the difficulty sum SRI reports. */
  batchCount = 0;
  batchDifficulty = 0;
  batchLastSequence = 0;
  readonly stats: ChannelStats;

  constructor(
    readonly channelId: number,
    readonly connectionId: number,
    readonly userIdentity: string,
    readonly extranoncePrefix: Uint8Array,
    public maxTarget: bigint,
    public nominalHashRateHs: number,
    initialTarget: bigint,
    readonly versionRollingAllowed: boolean,
  ) {
    this.target = initialTarget;
    this.stats = {
      channelId,
      connectionId,
      userIdentity,
      nominalHashRateHs,
      difficulty: difficultyFromTarget(initialTarget),
      accepted: 0,
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
   * A job for this channel from `template`. `future` jobs (sent before SetNewPrevHash) start a new block:
   * every earlier job becomes stale and duplicate tracking restarts.
   */
  makeJob(chain: SyntheticChain, template: BlockTemplate, future: boolean, nowSec: number): NewMiningJob {
    const jobId = ++this.lastJobId;
    const cb = chain.coinbaseFor(template, this.extranoncePrefix);
    if (future) {
      this.jobs.clear();
      this.seen.clear();
      this.epochFirstJobId = jobId;
    }
    this.jobs.set(jobId, {
      jobId,
      epoch: template.epoch,
      version: template.version,
      merkleRoot: cb.merkleRoot,
      coinbase: cb.tx,
      target: this.target,
      template,
    });
    if (this.jobs.size > MAX_JOBS_PER_BLOCK) this.jobs.delete(this.jobs.keys().next().value as number);
    return {
      channelId: this.channelId,
      jobId,
      minNtime: future ? null : Math.max(template.minNtime, nowSec) >>> 0,
      version: template.version,
      merkleRoot: cb.merkleRoot,
    };
  }

  job(jobId: number): PoolJob | undefined {
    return this.jobs.get(jobId);
  }

  validate(share: SubmitSharesStandard, chain: SyntheticChain, nowSec: number): ShareJudgement {
    const jobId = share.jobId;
    if (jobId === 0 || jobId > this.lastJobId) return { ok: false, code: SubmitSharesErrorCode.invalidJobId };
    const job = this.jobs.get(jobId);
    if (job === undefined || jobId < this.epochFirstJobId || job.epoch !== chain.epoch) {
      return { ok: false, code: SubmitSharesErrorCode.staleShare };
    }
    const verdict = checkShare({
      jobVersion: job.version,
      merkleRoot: job.merkleRoot,
      tip: { prevHash: job.template.prevHash, nbits: job.template.nbits, minNtime: job.template.minNtime },
      share,
      target: job.target,
      versionRollingAllowed: this.versionRollingAllowed,
      rollableMask: BIP323_VERSION_MASK,
      maxNtime: nowSec + MAX_NTIME_AHEAD_SEC,
    });
    if (!verdict.ok) return { ok: false, code: verdict.code };
    const h = verdict.hash;
    // Identical shares give identical headers; 48 random bits make a false duplicate (p ≈ n² / 2^49) negligible.
    const key = h[0] + h[1] * 0x100 + h[2] * 0x10000 + h[3] * 0x1000000 + h[4] * 0x100000000 + h[5] * 0x10000000000;
    if (this.seen.has(key)) return { ok: false, code: SubmitSharesErrorCode.duplicateShare };
    this.seen.add(key);
    if (this.seen.size > MAX_SEEN_SHARES) this.seen.delete(this.seen.values().next().value as number);
    return {
      ok: true,
      blockFound: verdict.blockFound,
      jobDifficulty: difficultyFromTarget(job.target),
      hash: verdict.hash,
    };
  }

  record(judgement: ShareJudgement, nowMs: number): void {
    this.stats.lastShareAtMs = nowMs;
    if (judgement.ok) {
      this.stats.accepted++;
      if (judgement.blockFound) this.stats.blocksFound++;
    } else {
      this.stats.rejected++;
      this.stats.rejectedByCode[judgement.code] = (this.stats.rejectedByCode[judgement.code] ?? 0) + 1;
    }
  }
}

/**
 * Client-side state of one standard channel, mirroring what the pool tracks: future jobs waiting for a prev
 * hash, the active job, past jobs still valid under the current prev hash, and the target each job carries.
 * Pure (no I/O): the mining client feeds it decoded messages and emits what it returns.
 */
import { difficultyFromTarget, targetToLimbs } from '../../bitcoin/index.js';
import { targetFromU256 } from '../channel/target.js';
import type { NewMiningJob, SetNewPrevHash, SetTarget } from '../messages/mining.js';
import type { ActiveJob, ChainTip, MiningChannelInfo, VersionRollingRule } from './channel.js';

/** SRI keeps at most 16 future jobs per channel, dropping the oldest. */
export const MAX_FUTURE_JOBS = 16;
/** Past jobs under the current prev hash whose shares we still expect the pool to take. */
export const MAX_PAST_JOBS = 32;

interface StoredJob {
  jobId: number;
  version: number;
  merkleRoot: Uint8Array;
  minNtime: number | null;
}

export type JobOutcome =
  | { kind: 'future'; jobId: number }
  | { kind: 'active'; job: ActiveJob }
  | { kind: 'ignored'; jobId: number; reason: string };

export type PrevHashOutcome = { tip: ChainTip; job: ActiveJob | null; reason?: string };

export class StandardChannelState implements MiningChannelInfo {
  readonly kind = 'standard' as const;
  target: bigint;
  targetLimbs: Uint32Array;
  difficulty: number;
  tip: ChainTip | null = null;
  active: ActiveJob | null = null;
  private readonly future = new Map<number, StoredJob>();
  private readonly past = new Map<number, ActiveJob>();
  nextSequenceNumber = 0;

  constructor(
    readonly channelId: number,
    readonly requestId: number,
    readonly userIdentity: string,
    public extranoncePrefix: Uint8Array,
    readonly groupChannelId: number,
    initialTarget: bigint,
    readonly versionRolling: VersionRollingRule,
    /** Nominal hash rate this channel was opened (or last updated) with. */
    public nominalHashRateHs: number,
  ) {
    this.target = initialTarget;
    this.targetLimbs = targetToLimbs(initialTarget);
    this.difficulty = difficultyFromTarget(initialTarget);
  }

  /** A snapshot for events (copies the mutable fields). */
  info(): MiningChannelInfo {
    return {
      kind: 'standard',
      channelId: this.channelId,
      requestId: this.requestId,
      userIdentity: this.userIdentity,
      groupChannelId: this.groupChannelId,
      extranoncePrefix: this.extranoncePrefix,
      target: this.target,
      targetLimbs: this.targetLimbs.slice(),
      difficulty: this.difficulty,
      versionRolling: { ...this.versionRolling },
    };
  }

  private activate(stored: StoredJob, tip: ChainTip, nowMs: number): ActiveJob {
    return {
      kind: 'standard',
      channelId: this.channelId,
      jobId: stored.jobId,
      version: stored.version,
      versionRolling: this.versionRolling,
      header: { kind: 'merkle-root', merkleRoot: stored.merkleRoot },
      prevHash: tip.prevHash,
      nbits: tip.nbits,
      minNtime: Math.max(stored.minNtime ?? 0, tip.minNtime) >>> 0,
      target: this.target,
      targetLimbs: this.targetLimbs,
      activatedAtMs: nowMs,
    };
  }

  private retireActive(): void {
    if (this.active === null) return;
    this.past.set(this.active.jobId, this.active);
    if (this.past.size > MAX_PAST_JOBS) this.past.delete(this.past.keys().next().value as number);
  }

  onNewMiningJob(msg: NewMiningJob, nowMs: number): JobOutcome {
    const stored: StoredJob = {
      jobId: msg.jobId,
      version: msg.version,
      merkleRoot: msg.merkleRoot.slice(),
      minNtime: msg.minNtime,
    };
    if (msg.minNtime === null) {
      this.future.set(msg.jobId, stored);
      if (this.future.size > MAX_FUTURE_JOBS) this.future.delete(this.future.keys().next().value as number);
      return { kind: 'future', jobId: msg.jobId };
    }
    if (this.tip === null) {
      return {
        kind: 'ignored',
        jobId: msg.jobId,
        reason: 'active job before any SetNewPrevHash: no prev hash to mine on',
      };
    }
    this.retireActive();
    this.active = this.activate(stored, this.tip, nowMs);
    return { kind: 'active', job: this.active };
  }

  /**
   * A new block: the named future job becomes active, every other future job is dropped and every earlier
   * job turns stale. A prev hash naming a job we never saw still moves the tip (old work is stale either
   * way); there is then nothing to mine until the next job, and `job` is null with the reason.
   */
  onSetNewPrevHash(msg: SetNewPrevHash, nowMs: number): PrevHashOutcome {
    const tip: ChainTip = {
      jobId: msg.jobId,
      prevHash: msg.prevHash.slice(),
      nbits: msg.nbits,
      minNtime: msg.minNtime,
      receivedAtMs: nowMs,
    };
    this.tip = tip;
    const stored = this.future.get(msg.jobId);
    this.future.clear();
    this.past.clear();
    this.active = null;
    if (stored === undefined) {
      return { tip, job: null, reason: `SetNewPrevHash names job ${msg.jobId}, which this channel never received` };
    }
    this.active = this.activate(stored, tip, nowMs);
    return { tip, job: this.active };
  }

  /** Applies to jobs activated from now on; jobs already active keep theirs (as the pool does). */
  onSetTarget(msg: SetTarget): bigint {
    this.setTarget(targetFromU256(msg.maximumTarget));
    return this.target;
  }

  setTarget(target: bigint): void {
    this.target = target;
    this.targetLimbs = targetToLimbs(target);
    this.difficulty = difficultyFromTarget(target);
  }

  /** The job a share names, if it is still valid under the current prev hash. */
  jobForShare(jobId: number): ActiveJob | undefined {
    if (this.active !== null && this.active.jobId === jobId) return this.active;
    return this.past.get(jobId);
  }
}

/**
 * Client-side state of one mining channel, standard or extended, mirroring what the pool tracks: future jobs
 * waiting for a prev hash, the active job, past jobs still valid under the current prev hash, and the target each
 * job carries. Pure (no I/O): the mining client feeds it decoded messages (addressed to the channel itself or to
 * its group) and emits what it returns.
 *
 * The two kinds differ only in what a job's header comes from: a standard job carries its merkle root; an extended
 * job carries coinbase pieces, to which the channel adds the `extranonce_prefix` in force when the job arrived
 * (SetExtranoncePrefix applies to jobs sent after it, as the spec and SRI have it) and the device its extranonce.
 */
import { CoinbaseError } from '../../bitcoin/coinbase.js';
import { difficultyFromTarget, targetToLimbs } from '../../bitcoin/index.js';
import type { HeaderSource } from '../../mining/job.js';
import { targetFromU256 } from '../channel/target.js';
import type { NewExtendedMiningJob, NewMiningJob, SetNewPrevHash, SetTarget } from '../messages/mining.js';
import type { ActiveJob, ChainTip, ChannelKind, MiningChannelInfo, VersionRollingRule } from './channel.js';
import { extendedJobHeader } from './extended-job.js';

/** SRI keeps at most 16 future jobs per channel, dropping the oldest. */
export const MAX_FUTURE_JOBS = 16;
/** Past jobs under the current prev hash whose shares we still expect the pool to take. */
export const MAX_PAST_JOBS = 32;

interface StoredJob {
  jobId: number;
  version: number;
  /** The job's own permission (extended jobs carry one; standard jobs follow the channel). */
  versionRollingAllowed: boolean;
  header: HeaderSource;
  minNtime: number | null;
}

export type JobOutcome =
  | { kind: 'future'; jobId: number }
  | { kind: 'active'; job: ActiveJob }
  | { kind: 'ignored'; jobId: number; reason: string };

export type PrevHashOutcome = { tip: ChainTip; job: ActiveJob | null; reason?: string };

export interface ChannelOpening {
  kind: ChannelKind;
  channelId: number;
  requestId: number;
  userIdentity: string;
  extranoncePrefix: Uint8Array;
  /** Bytes the device rolls (0 on a standard channel). */
  extranonceSize: number;
  groupChannelId: number;
  target: bigint;
  /** What the connection allows (REQUIRES_FIXED_VERSION off) and the bits the device may roll. */
  versionRolling: VersionRollingRule;
  nominalHashRateHs: number;
}

export class ChannelState implements MiningChannelInfo {
  readonly kind: ChannelKind;
  readonly channelId: number;
  readonly requestId: number;
  readonly userIdentity: string;
  readonly extranonceSize: number;
  readonly versionRolling: VersionRollingRule;
  extranoncePrefix: Uint8Array;
  groupChannelId: number;
  /** Nominal hash rate this channel was opened (or last updated) with. */
  nominalHashRateHs: number;
  target: bigint;
  targetLimbs: Uint32Array;
  difficulty: number;
  tip: ChainTip | null = null;
  active: ActiveJob | null = null;
  nextSequenceNumber = 0;
  private readonly future = new Map<number, StoredJob>();
  private readonly past = new Map<number, ActiveJob>();

  constructor(o: ChannelOpening) {
    this.kind = o.kind;
    this.channelId = o.channelId;
    this.requestId = o.requestId;
    this.userIdentity = o.userIdentity;
    this.extranoncePrefix = o.extranoncePrefix.slice();
    this.extranonceSize = o.extranonceSize;
    this.groupChannelId = o.groupChannelId;
    this.versionRolling = { ...o.versionRolling };
    this.nominalHashRateHs = o.nominalHashRateHs;
    this.target = o.target;
    this.targetLimbs = targetToLimbs(o.target);
    this.difficulty = difficultyFromTarget(o.target);
  }

  /** A snapshot for events (copies the mutable fields). */
  info(): MiningChannelInfo {
    return {
      kind: this.kind,
      channelId: this.channelId,
      requestId: this.requestId,
      userIdentity: this.userIdentity,
      groupChannelId: this.groupChannelId,
      extranoncePrefix: this.extranoncePrefix.slice(),
      extranonceSize: this.extranonceSize,
      target: this.target,
      targetLimbs: this.targetLimbs.slice(),
      difficulty: this.difficulty,
      versionRolling: { ...this.versionRolling },
    };
  }

  /** NewMiningJob: a standard channel's job (its merkle root given). */
  onNewMiningJob(msg: NewMiningJob, nowMs: number): JobOutcome {
    if (this.kind !== 'standard') {
      return { kind: 'ignored', jobId: msg.jobId, reason: 'NewMiningJob on an extended channel (standard jobs only)' };
    }
    return this.onJob(
      {
        jobId: msg.jobId,
        version: msg.version,
        versionRollingAllowed: this.versionRolling.allowed,
        header: { kind: 'merkle-root', merkleRoot: msg.merkleRoot.slice() },
        minNtime: msg.minNtime,
      },
      nowMs,
    );
  }

  /** NewExtendedMiningJob, addressed to this channel or to its group. */
  onNewExtendedMiningJob(msg: NewExtendedMiningJob, nowMs: number): JobOutcome {
    if (this.kind !== 'extended') {
      return {
        kind: 'ignored',
        jobId: msg.jobId,
        reason: 'NewExtendedMiningJob for a standard channel (a header-only device cannot complete a coinbase)',
      };
    }
    let header: HeaderSource;
    try {
      header = extendedJobHeader(msg, this.extranoncePrefix, this.extranonceSize);
    } catch (err) {
      if (!(err instanceof CoinbaseError)) throw err;
      return { kind: 'ignored', jobId: msg.jobId, reason: `its coinbase is not one transaction: ${err.message}` };
    }
    return this.onJob(
      {
        jobId: msg.jobId,
        version: msg.version,
        versionRollingAllowed: this.versionRolling.allowed && msg.versionRollingAllowed,
        header,
        minNtime: msg.minNtime,
      },
      nowMs,
    );
  }

  private onJob(stored: StoredJob, nowMs: number): JobOutcome {
    if (stored.minNtime === null) {
      // A re-sent id replaces the old job and goes to the back of the eviction order.
      this.future.delete(stored.jobId);
      this.future.set(stored.jobId, stored);
      if (this.future.size > MAX_FUTURE_JOBS) this.future.delete(this.future.keys().next().value as number);
      return { kind: 'future', jobId: stored.jobId };
    }
    if (this.tip === null) {
      return {
        kind: 'ignored',
        jobId: stored.jobId,
        reason: 'active job before any SetNewPrevHash: no prev hash to mine on',
      };
    }
    this.retireActive();
    this.active = this.activate(stored, this.tip, nowMs);
    return { kind: 'active', job: this.active };
  }

  private activate(stored: StoredJob, tip: ChainTip, nowMs: number): ActiveJob {
    const allowed = stored.versionRollingAllowed;
    return {
      kind: this.kind,
      channelId: this.channelId,
      jobId: stored.jobId,
      version: stored.version,
      versionRolling: { allowed, mask: allowed ? this.versionRolling.mask : 0 },
      header: stored.header,
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

  /** SetExtranoncePrefix: jobs received from now on carry the new prefix. False when it would not fit. */
  setExtranoncePrefix(prefix: Uint8Array, maxTotal: number): boolean {
    if (prefix.length + this.extranonceSize > maxTotal) return false;
    this.extranoncePrefix = prefix.slice();
    return true;
  }

  /** The job a share names, if it is still valid under the current prev hash. */
  jobForShare(jobId: number): ActiveJob | undefined {
    if (this.active !== null && this.active.jobId === jobId) return this.active;
    return this.past.get(jobId);
  }
}

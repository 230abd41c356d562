/**
 * What a V1 subscription is at any moment, as the pool sees it: extranonce1 and the extranonce2 size, the share
 * difficulty, the version-rolling mask, the jobs. Pure (no I/O): the client feeds it decoded messages and emits
 * what it returns. Each mining.notify becomes the engine's neutral job with a coinbase header source
 * (`prefix = coinb1 ‖ extranonce1`, `extranonceSize = extranonce2_size`, `suffix = coinb2`, the merkle branches).
 *
 * Rules it keeps (shared/spec/sv1.md §5, §8):
 * - a job is a new tip (every older job stale) when it says clean_jobs, when its prev hash differs from the
 *   current job's, or when it is the first job of the subscription (public-pool's first job says false);
 * - a repeated job id with the same contents is ignored: restarting a job re-finds the same nonces, and every
 *   share would be a duplicate (ESP-Miner keeps 16 ids for this);
 * - a difficulty applies to jobs received after it; each job keeps the target it was received with;
 * - set_extranonce (NiceHash) replaces extranonce1 and the size: the current job is rebuilt on the new one and
 *   restarted as a new tip (so extranonce2 counts from 0 again and nothing built on the old one is submitted);
 * - set_version_mask replaces the mask at once: the current job is reissued under it.
 */
import { difficultyFromTarget, targetFromDifficulty, targetToLimbs } from '../../bitcoin/index.js';
import type { CoinbaseHeaderSource, MiningJob, VersionRollingRule } from '../../mining/job.js';
import { bytesToHex } from '../../util/hex.js';
import type { Notify } from '../messages.js';

/** Job ids remembered to catch a repeated notify. */
export const RECENT_JOB_IDS = 16;

/** A V1 job: the engine's job plus what the submit needs. */
export interface Sv1Job extends MiningJob {
  jobId: string;
  header: CoinbaseHeaderSource;
  /** The job id as JSON text, escaped once for every submit of it. */
  jobIdJson: string;
  /** Which subscription state built it (changes with set_extranonce): shares of an older one are not sent. */
  subscriptionEpoch: number;
  /** The pool's difficulty when the job arrived. */
  difficulty: number;
  cleanJobs: boolean;
}

export type NotifyOutcome =
  | { kind: 'new-tip'; job: Sv1Job }
  | { kind: 'job'; job: Sv1Job }
  | { kind: 'duplicate'; jobId: string };

export interface SubscriptionInfo {
  extranonce1: Uint8Array;
  extranonce2Size: number;
  difficulty: number;
  target: bigint;
  versionRolling: VersionRollingRule;
}

export class Sv1Subscription {
  extranonce1: Uint8Array;
  extranonce2Size: number;
  difficulty: number;
  target: bigint;
  targetLimbs: Uint32Array;
  versionRolling: VersionRollingRule;
  /** Bumped by set_extranonce. */
  epoch: number;
  current: Sv1Job | null = null;
  private currentNotify: Notify | null = null;
  /** job id → what it looked like, newest last. */
  private readonly recent = new Map<string, string>();

  constructor(
    extranonce1: Uint8Array,
    extranonce2Size: number,
    difficulty: number,
    versionRolling: VersionRollingRule,
    /** Distinguishes subscriptions across reconnects (jobs of an old connection are never submitted). */
    epochBase = 0,
  ) {
    this.extranonce1 = extranonce1;
    this.extranonce2Size = extranonce2Size;
    this.difficulty = difficulty;
    this.target = targetFromDifficulty(difficulty);
    this.targetLimbs = targetToLimbs(this.target);
    this.versionRolling = { ...versionRolling };
    this.epoch = epochBase;
  }

  info(): SubscriptionInfo {
    return {
      extranonce1: this.extranonce1,
      extranonce2Size: this.extranonce2Size,
      difficulty: this.difficulty,
      target: this.target,
      versionRolling: { ...this.versionRolling },
    };
  }

  /** mining.set_difficulty: for jobs received from now on. Returns the new target. */
  setDifficulty(difficulty: number): { target: bigint; difficulty: number } {
    this.difficulty = difficulty;
    this.target = targetFromDifficulty(difficulty);
    this.targetLimbs = targetToLimbs(this.target);
    // The target is what shares are judged by; report the difficulty it really stands for.
    return { target: this.target, difficulty: difficultyFromTarget(this.target) };
  }

  onNotify(n: Notify, nowMs: number): NotifyOutcome {
    const look = fingerprint(n);
    const seen = this.recent.get(n.jobId);
    if (seen === look) return { kind: 'duplicate', jobId: n.jobId };
    const newTip =
      this.current === null || n.cleanJobs || seen !== undefined || !sameBytes(n.prevhash, this.current.prevHash);
    this.remember(n.jobId, look);
    const job = this.build(n, nowMs);
    this.current = job;
    this.currentNotify = n;
    return { kind: newTip ? 'new-tip' : 'job', job };
  }

  /** mining.set_extranonce: the current job rebuilt on the new extranonce1, to restart as a new tip (or null). */
  setExtranonce(extranonce1: Uint8Array, extranonce2Size: number, nowMs: number): Sv1Job | null {
    this.extranonce1 = extranonce1;
    this.extranonce2Size = extranonce2Size;
    this.epoch++;
    this.recent.clear();
    const n = this.currentNotify;
    if (n === null) return null;
    this.remember(n.jobId, fingerprint(n));
    this.current = this.build(n, nowMs);
    return this.current;
  }

  /** mining.set_version_mask (or a late mining.configure answer): the current job reissued under it (or null). */
  setVersionRolling(rule: VersionRollingRule, nowMs: number): Sv1Job | null {
    this.versionRolling = { ...rule };
    const n = this.currentNotify;
    if (n === null) return null;
    const job = this.build(n, nowMs);
    // The reissued job keeps the target its notify had.
    const old = this.current;
    if (old !== null) {
      job.target = old.target;
      job.targetLimbs = old.targetLimbs;
      job.difficulty = old.difficulty;
    }
    this.current = job;
    return job;
  }

  private build(n: Notify, nowMs: number): Sv1Job {
    const prefix = new Uint8Array(n.coinb1.length + this.extranonce1.length);
    prefix.set(n.coinb1, 0);
    prefix.set(this.extranonce1, n.coinb1.length);
    return {
      channelId: 0,
      jobId: n.jobId,
      jobIdJson: JSON.stringify(n.jobId),
      version: n.version,
      versionRolling: { ...this.versionRolling },
      header: {
        kind: 'coinbase',
        prefix,
        extranonceSize: this.extranonce2Size,
        suffix: n.coinb2,
        merklePath: n.merkleBranch,
      },
      prevHash: n.prevhash,
      nbits: n.nbits,
      minNtime: n.ntime,
      target: this.target,
      targetLimbs: this.targetLimbs,
      activatedAtMs: nowMs,
      subscriptionEpoch: this.epoch,
      difficulty: this.difficulty,
      cleanJobs: n.cleanJobs,
    };
  }

  private remember(jobId: string, look: string): void {
    this.recent.delete(jobId);
    this.recent.set(jobId, look);
    if (this.recent.size > RECENT_JOB_IDS) this.recent.delete(this.recent.keys().next().value as string);
  }
}

/** What makes two notifies with one id the same job. */
function fingerprint(n: Notify): string {
  return `${bytesToHex(n.prevhash)}|${n.version}|${n.nbits}|${n.ntime}|${n.coinb1.length}|${n.coinb2.length}|${n.merkleBranch.length}|${bytesToHex(n.coinb2.subarray(Math.max(0, n.coinb2.length - 32)))}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

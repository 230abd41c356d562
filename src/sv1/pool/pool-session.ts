/**
 * One miner's connection to the local V1 pool: its handshake state, extranonce1, difficulty (vardiff), granted
 * version mask, the jobs it was sent (each with the extranonce1 and target it had), and the full judgement of
 * every mining.submit. It answers in the words and shapes of the pool it plays (quirk-profiles.ts).
 *
 * Staleness follows the SV2 local pool (pool-channel.ts): a clean job makes the earlier ones stale, except that a
 * share of the jobs just replaced that was plausibly in flight (within `inFlightGraceMs` and before the session's
 * first share on the new jobs) is judged in full and counted as work, never as a block.
 */
import { difficultyFromTarget, targetFromDifficulty } from '../../bitcoin/target.js';
import { bytesToHex } from '../../util/hex.js';
import type { Sv1Connection } from '../connection.js';
import type { Sv1Id, Sv1Message } from '../json-rpc.js';
import {
  Configure,
  Notify,
  Reconnect,
  SetDifficulty,
  SetExtranonce,
  SetVersionMask,
  ShowMessage,
  Submit,
  SuggestDifficulty,
} from '../messages.js';
import { DIFFICULTY } from '../param-types.js';
import { u32ToHex } from '../wire-format.js';
import type { QuirkProfile, RejectKind } from './quirk-profiles.js';
import { checkV1Share, type V1PoolJob } from './share-check.js';
import { Vardiff, type VardiffOptions } from './vardiff.js';

/** Jobs of the current block a session keeps (older ones answer stale). */
export const MAX_SESSION_JOBS = 64;
/** Accepted shares remembered per block for duplicate detection. */
export const MAX_SEEN_SHARES = 50_000;

export interface SessionHost {
  readonly profile: QuirkProfile;
  readonly inFlightGraceMs: number;
  readonly vardiffOptions: VardiffOptions;
  readonly startDifficulty: number;
  readonly silent: boolean;
  readonly answersShares: boolean;
  nowMs(): number;
  /** The newest job (a fresh id for the same template when `fresh`). */
  currentJob(fresh: boolean): V1PoolJob;
  /** True for a job id the pool ever issued (an unknown one is "invalid", an old one "stale"). */
  issuedJob(jobId: string): boolean;
  nextExtranonce1(): Uint8Array;
  onShare(session: PoolSession, outcome: ShareOutcome): void;
  onReady(session: PoolSession): void;
  log(message: string): void;
}

export type ShareOutcome =
  | { accepted: true; blockFound: boolean; inFlight: boolean; difficulty: number }
  | { accepted: false; kind: RejectKind; reason: string };

interface SessionJob {
  job: V1PoolJob;
  extranonce1: Uint8Array;
  target: bigint;
  difficulty: number;
}

export interface SessionStats {
  sessionId: number;
  remote: string;
  user: string | null;
  extranonce1: string;
  difficulty: number;
  accepted: number;
  acceptedInFlight: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  blocksFound: number;
  open: boolean;
}

export class PoolSession {
  extranonce1: Uint8Array;
  readonly extranonce2Size: number;
  private subscribed = false;
  private readonly workers = new Set<string>();
  private mask = 0;
  private difficulty: number;
  private readonly vardiff: Vardiff;
  private suggested = false;
  private extranonceSubscribed = false;
  private started = false;
  private jobs = new Map<string, SessionJob>();
  private replaced = new Map<string, SessionJob>();
  private replacedAtMs = Number.NEGATIVE_INFINITY;
  private newJobsShareSeen = true;
  private seen = new Set<number>();
  private replacedSeen = new Set<number>();
  readonly stats: SessionStats;

  constructor(
    readonly id: number,
    private readonly connection: Sv1Connection,
    private readonly host: SessionHost,
  ) {
    const p = host.profile;
    this.extranonce1 = host.nextExtranonce1();
    this.extranonce2Size = p.extranonce2Size;
    this.difficulty = host.startDifficulty;
    this.vardiff = new Vardiff(host.vardiffOptions, this.difficulty, host.nowMs());
    this.stats = {
      sessionId: id,
      remote: connection.remote,
      user: null,
      extranonce1: bytesToHex(this.extranonce1),
      difficulty: this.difficulty,
      accepted: 0,
      acceptedInFlight: 0,
      rejected: 0,
      rejectedByReason: {},
      blocksFound: 0,
      open: true,
    };
    connection.on('message', (m) => this.onMessage(m));
  }

  /** Subscribed, authorized and sent its first job: it takes new work. */
  get ready(): boolean {
    return this.started && !this.connection.closed;
  }

  close(code: string, reason: string): void {
    this.connection.close(code, reason);
  }

  // ---- work to the miner ----

  /** A job; `clean` makes every earlier job of this session stale (bar the in-flight window). */
  sendJob(job: V1PoolJob, clean: boolean): void {
    if (this.host.silent) return;
    if (clean) {
      this.replaced = this.jobs;
      this.replacedSeen = this.seen;
      this.jobs = new Map();
      this.seen = new Set();
      this.replacedAtMs = this.host.nowMs();
      this.newJobsShareSeen = false;
    }
    const target = targetFromDifficulty(this.difficulty);
    this.jobs.set(job.id, { job, extranonce1: this.extranonce1, target, difficulty: this.difficulty });
    if (this.jobs.size > MAX_SESSION_JOBS) this.jobs.delete(this.jobs.keys().next().value as string);
    const t = job.template;
    this.notify(
      Notify.line(
        null,
        {
          jobId: job.id,
          prevhash: t.prevHash,
          coinb1: job.coinb1,
          coinb2: job.coinb2,
          merkleBranch: t.merklePath,
          version: t.version,
          nbits: t.nbits,
          ntime: job.ntime,
          cleanJobs: clean,
        },
        { unpaddedHex: this.host.profile.unpaddedNotifyHex },
      ),
    );
  }

  /** A new difficulty, followed by fresh work as the profile does it. */
  setDifficulty(difficulty: number): void {
    this.difficulty = difficulty;
    this.stats.difficulty = difficultyFromTarget(targetFromDifficulty(difficulty));
    if (this.host.silent) return;
    this.notify(SetDifficulty.line(null, { difficulty }));
    if (this.started) this.sendJob(this.host.currentJob(true), this.host.profile.cleanAfterDifficulty);
  }

  /** The vardiff's turn (called every second). */
  tick(nowMs: number): void {
    if (!this.started) return;
    const next = this.vardiff.check(nowMs);
    if (next !== null) this.setDifficulty(next);
  }

  /** NiceHash's move: a new extranonce1 for a subscribed client, then a clean job built on it. */
  moveExtranonce(): boolean {
    if (!this.extranonceSubscribed || !this.started) return false;
    this.extranonce1 = this.host.nextExtranonce1();
    this.stats.extranonce1 = bytesToHex(this.extranonce1);
    this.notify(SetExtranonce.line(null, { extranonce1: this.extranonce1, extranonce2Size: this.extranonce2Size }));
    this.sendJob(this.host.currentJob(true), true);
    return true;
  }

  /** mining.set_version_mask mid-session (Braiins); the new mask applies to submits from now on. */
  setVersionMask(mask: number): void {
    this.mask = mask >>> 0;
    this.notify(SetVersionMask.line(null, { mask: this.mask }));
  }

  requestReconnect(host: string | null, port: number | null, waitSec: number | null): void {
    this.notify(
      Reconnect.line(null, {
        ...(host !== null ? { host } : { host: null }),
        ...(port !== null ? { port } : { port: null }),
        ...(waitSec !== null ? { wait: waitSec } : {}),
      }),
    );
  }

  /** Any raw line (tests that need a pool to misbehave in a precise way). */
  sendRaw(line: string): void {
    this.connection.send(line);
  }

  // ---- what the miner sends ----

  private onMessage(m: Sv1Message): void {
    if (m.kind === 'response') return; // answers to our pings: nothing to do
    const id = m.id;
    switch (m.method) {
      case Configure.method:
        this.onConfigure(id, m.params);
        return;
      case 'mining.subscribe':
        this.onSubscribe(id);
        return;
      case 'mining.authorize':
        this.onAuthorize(id, m.params);
        return;
      case SuggestDifficulty.method:
        this.onSuggest(id, m.params);
        return;
      case 'mining.extranonce.subscribe':
        if (this.host.profile.extranonceSubscribe) {
          this.extranonceSubscribed = true;
          this.result(id, 'true');
        }
        return;
      case Submit.method:
        this.onSubmit(id, m.params);
        return;
      default:
        // Real pools ignore methods they do not know (public-pool, ckpool): no answer.
        this.host.log(`session ${this.id}: unknown method ${JSON.stringify(m.method)} ignored`);
    }
  }

  private onConfigure(id: Sv1Id | null, params: readonly unknown[]): void {
    let asked = 0;
    let wanted = false;
    try {
      const c = Configure.decode(params);
      wanted = c.extensions.includes('version-rolling');
      const text = c.parameters['version-rolling.mask'];
      asked =
        typeof text === 'string' && /^[0-9a-fA-F]{1,8}$/.test(text) ? Number.parseInt(text, 16) >>> 0 : 0xffffffff;
    } catch (err) {
      this.reject(id, 'malformed', err instanceof Error ? err.message : String(err));
      return;
    }
    const p = this.host.profile;
    this.mask = wanted ? (p.grantWhateverAsked ? p.mask : (asked & p.mask) >>> 0) : 0;
    this.result(
      id,
      this.mask === 0
        ? '{"version-rolling":false}'
        : `{"version-rolling":true,"version-rolling.mask":"${u32ToHex(this.mask)}"}`,
    );
  }

  private onSubscribe(id: Sv1Id | null): void {
    const p = this.host.profile;
    if (p.earlyVersionMask) {
      // Braiins: the mask arrives before the subscribe answer, with id null (ESP-Miner issue #80).
      this.notify(SetVersionMask.line(null, { mask: this.mask !== 0 ? this.mask : p.mask }));
      if (this.mask === 0) this.mask = p.mask;
    }
    this.subscribed = true;
    const sid = bytesToHex(this.extranonce1);
    const subscriptions =
      p.name === 'public-pool'
        ? `[["mining.notify","${sid}"]]`
        : `[["mining.set_difficulty","${sid}"],["mining.notify","${sid}"]]`;
    this.result(id, `[${subscriptions},"${bytesToHex(this.extranonce1)}",${this.extranonce2Size}]`);
    this.maybeStart();
  }

  private onAuthorize(id: Sv1Id | null, params: readonly unknown[]): void {
    const p = this.host.profile;
    if (p.requireSubscribeBeforeAuthorize && !this.subscribed) {
      this.connection.close('protocol-error', 'mining.authorize before mining.subscribe (ckpool drops such clients)');
      return;
    }
    const user = params[0];
    if (typeof user !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(user)) {
      this.reject(id, 'unauthorized', 'worker name must be 1 to 255 printable characters');
      return;
    }
    this.workers.add(user);
    this.stats.user ??= user;
    this.result(id, 'true');
    if (p.greeting !== null) this.notify(ShowMessage.line(null, { message: p.greeting }));
    this.maybeStart();
  }

  private onSuggest(id: Sv1Id | null, params: readonly unknown[]): void {
    const p = this.host.profile;
    let d: number;
    try {
      d = DIFFICULTY.decode(params[0], 'difficulty');
    } catch (err) {
      if (p.name === 'public-pool') {
        // public-pool answers a bad suggestion with id null (seen live).
        this.connection.send(`{"id":null,"result":null,"error":[20,"Suggest difficulty validation error",""]}\n`);
      }
      this.host.log(`session ${this.id}: bad suggestion ignored (${err instanceof Error ? err.message : String(err)})`);
      return;
    }
    // No result line for the id whatever happens: the answer is a set_difficulty (public-pool, ckpool).
    void id;
    if (p.suggest === 'first-only' && this.suggested) return;
    if (p.suggest === 'integer-only' && !Number.isInteger(d)) return;
    const clamped = Math.min(
      this.host.vardiffOptions.maxDifficulty,
      Math.max(this.host.vardiffOptions.minDifficulty, d),
    );
    this.suggested = true;
    // The vardiff goes on from the suggestion, as public-pool's and ckpool's do.
    this.vardiff.set(clamped, this.host.nowMs());
    this.setDifficulty(this.vardiff.difficulty);
  }

  private maybeStart(): void {
    if (this.started || !this.subscribed || this.workers.size === 0) return;
    this.started = true;
    this.vardiff.set(this.difficulty, this.host.nowMs());
    if (!this.host.silent) {
      if (!this.suggested) this.notify(SetDifficulty.line(null, { difficulty: this.difficulty }));
      this.sendJob(this.host.currentJob(false), this.host.profile.firstJobClean);
    }
    this.host.onReady(this);
  }

  private onSubmit(id: Sv1Id | null, params: readonly unknown[]): void {
    const now = this.host.nowMs();
    let s: Submit;
    try {
      s = Submit.decode(params);
    } catch (err) {
      this.judged(id, { accepted: false, kind: 'malformed', reason: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (!this.started) {
      this.judged(id, { accepted: false, kind: 'unauthorized', reason: 'not subscribed and authorized' });
      return;
    }
    if (!this.workers.has(s.user)) {
      this.judged(id, { accepted: false, kind: 'worker-mismatch', reason: `worker ${s.user} not authorized here` });
      return;
    }
    let record = this.jobs.get(s.jobId);
    let inFlight = false;
    if (record === undefined) {
      const old = this.replaced.get(s.jobId);
      if (old !== undefined && !this.newJobsShareSeen && now - this.replacedAtMs < this.host.inFlightGraceMs) {
        record = old;
        inFlight = true;
      } else {
        const kind: RejectKind = this.host.issuedJob(s.jobId) ? 'stale' : 'unknown-job';
        this.judged(id, { accepted: false, kind, reason: `job ${s.jobId}` });
        return;
      }
    } else if (!this.newJobsShareSeen) {
      // The miner has the new jobs: nothing of the replaced ones can still be in flight.
      this.newJobsShareSeen = true;
      this.replaced = new Map();
      this.replacedSeen = new Set();
    }
    const p = this.host.profile;
    // A difficulty lowered since the job was sent counts at once (ckpool judges by the lower of the two).
    const current = targetFromDifficulty(this.difficulty);
    let target = record.target;
    if (current > target) target = current;
    const verdict = checkV1Share({
      job: record.job,
      extranonce1: record.extranonce1,
      extranonce2Size: this.extranonce2Size,
      extranonce2: s.extranonce2,
      ntime: s.ntime,
      nonce: s.nonce,
      versionBits: s.versionBits ?? null,
      mask: this.mask,
      versionRebuild: p.versionRebuild,
      checkVersionBits: p.checkVersionBits,
      target,
      nowSec: Math.floor(now / 1000),
      ntimeWindowSec: p.ntimeWindowSec,
    });
    if (!verdict.ok) {
      this.judged(id, { accepted: false, kind: verdict.kind, reason: verdict.detail });
      return;
    }
    const h = verdict.hash;
    const key = h[0] + h[1] * 0x100 + h[2] * 0x10000 + h[3] * 0x1000000 + h[4] * 0x100000000 + h[5] * 0x10000000000;
    const seen = inFlight ? this.replacedSeen : this.seen;
    if (seen.has(key)) {
      this.judged(id, { accepted: false, kind: 'duplicate', reason: 'the same header was accepted before' });
      return;
    }
    seen.add(key);
    if (seen.size > MAX_SEEN_SHARES) seen.delete(seen.values().next().value as number);
    this.vardiff.accepted();
    this.judged(id, {
      accepted: true,
      blockFound: verdict.blockFound && !inFlight,
      inFlight,
      difficulty: difficultyFromTarget(target),
    });
  }

  private judged(id: Sv1Id | null, outcome: ShareOutcome): void {
    if (outcome.accepted) {
      this.stats.accepted++;
      if (outcome.inFlight) this.stats.acceptedInFlight++;
      if (outcome.blockFound) this.stats.blocksFound++;
    } else {
      this.stats.rejected++;
      const text = this.host.profile.reasons[outcome.kind].message;
      this.stats.rejectedByReason[text] = (this.stats.rejectedByReason[text] ?? 0) + 1;
    }
    this.host.onShare(this, outcome);
    if (!this.host.answersShares || this.host.silent) return;
    if (outcome.accepted) this.result(id, 'true');
    else this.reject(id, outcome.kind, outcome.reason);
  }

  // ---- lines out, in the profile's shapes ----

  private notify(line: string): void {
    this.connection.send(this.host.profile.jsonRpc2 ? line.replace(/^\{/, '{"jsonrpc":"2.0",') : line);
  }

  private result(id: Sv1Id | null, resultJson: string): void {
    const idJson = JSON.stringify(id);
    const p = this.host.profile;
    if (p.jsonRpc2) this.connection.send(`{"jsonrpc":"2.0","id":${idJson},"result":${resultJson},"error":null}\n`);
    else if (p.name === 'ckpool') this.connection.send(`{"result":${resultJson},"error":null,"id":${idJson}}\n`);
    else this.connection.send(`{"id":${idJson},"error":null,"result":${resultJson}}\n`);
  }

  private reject(id: Sv1Id | null, kind: RejectKind, detail: string): void {
    const p = this.host.profile;
    const { code, message } = p.reasons[kind];
    const idJson = JSON.stringify(id);
    const text = JSON.stringify(message);
    this.host.log(`session ${this.id}: ${message} (${detail})`);
    switch (p.rejectShape) {
      case 'array':
        this.connection.send(
          `{"id":${idJson},"result":null,"error":[${code},${text},${p.arrayErrorData === null ? 'null' : '""'}]}\n`,
        );
        return;
      case 'reject-reason':
        // ckpool: a malformed submit gets its reason as a bare string; a judged share a reject-reason.
        if (kind === 'malformed' || kind === 'extranonce2-length' || kind === 'worker-mismatch') {
          this.connection.send(`{"result":false,"error":${text},"id":${idJson}}\n`);
        } else {
          this.connection.send(`{"result":false,"error":null,"reject-reason":${text},"id":${idJson}}\n`);
        }
        return;
      case 'object':
        this.connection.send(
          `{"jsonrpc":"2.0","id":${idJson},"result":null,"error":{"code":${code},"message":${text},"data":null}}\n`,
        );
        return;
    }
  }
}

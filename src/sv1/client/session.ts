/**
 * One connection's Stratum V1 conversation, from the handshake to the last share: requests out with their ids,
 * answers matched by id in any order, what the pool sends on its own (through the dispatcher's table), the
 * subscription state (subscription.ts), and shares out. The supervisor (mining-client.ts) makes one per
 * connection and owns what outlives it: the share table, liveness, reconnects, the end.
 *
 * Handshake (shared/spec/sv1.md §2), written back to back without waiting, as ESP-Miner does: mining.configure
 * (version rolling, asking for every bit; the mask the pool grants is the one used, never more), mining.subscribe
 * (user agent), mining.authorize. After the authorize answer: mining.suggest_difficulty when configured,
 * mining.extranonce.subscribe when asked; neither answer is waited for (pools often send none). Anything the pool
 * sends between the answers (a difficulty, Braiins' early set_version_mask, a job before the authorize answer) is
 * kept until the subscription can use it. The session opens on the first job once subscribed and authorized.
 */
import type { MinedShare, VersionRollingRule } from '../../mining/job.js';
import type { PoolLiveness } from '../../mining/pool-liveness.js';
import type { Clock } from '../../sv2/clock.js';
import type { Sv2Logger as Logger } from '../../sv2/logger.js';
import { bytesToHex } from '../../util/hex.js';
import { withoutControlCharacters } from '../../util/printable.js';
import type { Sv1Connection } from '../connection.js';
import { Sv1ProtocolError } from '../errors.js';
import { answerOf, type Sv1Id, type Sv1Message, type Sv1Response } from '../json-rpc.js';
import {
  Authorize,
  Configure,
  decodeConfigureResult,
  ExtranonceSubscribe,
  type Notify,
  type Reconnect,
  Submit,
  Subscribe,
  SubscribeResult,
  SuggestDifficulty,
  type VersionRollingGrant,
} from '../messages.js';
import { jobVersionBitsInMask, versionBitsForSubmit } from '../wire-format.js';
import { Sv1ClientError, type Sv1ClientErrorCode, type Sv1ClientEvents, type Sv1SessionInfo } from './client-events.js';
import { dispatchPoolMessage, type PoolMessageHandlers } from './dispatcher.js';
import type { PendingSubmits } from './pending-submits.js';
import { type Sv1Job, Sv1Subscription } from './subscription.js';

/** The most bits a header version may roll (BIP323's 24 general-purpose bits); a grant beyond is clamped. */
export const MAX_ROLLING_MASK = 0x1fffffe0;
/** What mining.configure asks for: everything, so the pool's answer is its whole grant (as ESP-Miner asks). */
export const REQUESTED_MASK = 0xffffffff;
/** Malformed jobs in a row after which a pool is taken as unusable. */
export const MAX_BAD_JOBS_IN_A_ROW = 3;

export interface SessionSettings {
  host: string;
  port: number;
  tls: boolean;
  user: string;
  password: string;
  userAgent: string;
  suggestDifficulty: number | null;
  extranonceSubscribe: boolean;
  /** From connect to the first job. */
  setupTimeoutMs: number;
  /** Makes this session's jobs distinct from every other session's (shares of an old one are never sent). */
  epochBase: number;
}

/** What a session needs from its supervisor. */
export interface SessionHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly pending: PendingSubmits;
  readonly liveness: PoolLiveness;
  emit<K extends keyof Sv1ClientEvents & string>(event: K, payload: Sv1ClientEvents[K]): void;
  warn(message: string): void;
  reconnect(request: Reconnect): void;
}

type RequestKind = 'configure' | 'subscribe' | 'authorize' | 'suggest' | 'extranonce-subscribe' | 'probe';

interface SetupState {
  resolve: (info: Sv1SessionInfo) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  authorized: boolean;
  /** Held until the subscription exists. */
  difficulty: number | null;
  rolling: VersionRollingRule | null;
  /** The newest job received before the pool could be mined (not yet subscribed or authorized). */
  notify: Notify | null;
}

export class Sv1Session {
  private readonly requests = new Map<number, RequestKind>();
  private subscription: Sv1Subscription | null = null;
  private setup: SetupState | null = null;
  private isOpen = false;
  private nextId = 1;
  private readonly warnedMethods = new Set<string>();
  private badJobsInARow = 0;
  private warnedVersionInMask = false;
  private readonly handlers: PoolMessageHandlers;
  /** Reused for every mining.submit: the share path allocates no message object. */
  private readonly submitMessage: Submit;

  constructor(
    readonly connection: Sv1Connection,
    private readonly settings: SessionSettings,
    private readonly host: SessionHost,
  ) {
    this.submitMessage = {
      user: settings.user,
      jobId: '',
      extranonce2: new Uint8Array(0),
      ntime: 0,
      nonce: 0,
      versionBits: undefined,
    };
    this.handlers = {
      notify: (n) => this.onNotify(n),
      setDifficulty: (m) => this.onSetDifficulty(m.difficulty),
      setExtranonce: (m) => this.onSetExtranonce(m.extranonce1, m.extranonce2Size),
      setVersionMask: (m) => this.onVersionRolling(rollingRule(m.mask, host.log), 'mining.set_version_mask'),
      reconnect: (m) => host.reconnect(m),
      ping: (id) => this.answer(id, '"pong"'),
      showMessage: (m) => this.onShowMessage(m.message),
      getVersion: (id) => this.answer(id, JSON.stringify(settings.userAgent)),
      unknown: (method) => this.onUnknownMethod(method),
    };
    connection.on('message', (m) => this.onMessage(m));
    connection.on('malformed', (e) => {
      host.liveness.heard(host.clock.nowMs());
      host.warn(`pool sent a line that is not Stratum V1; skipped: ${e.message}`);
    });
  }

  /** True once the pool gives work. */
  get open(): boolean {
    return this.isOpen && !this.connection.closed;
  }

  get info(): Sv1SessionInfo | null {
    return this.subscription === null ? null : this.sessionInfo(this.subscription);
  }

  /** Sends the pipelined handshake; resolves once the pool gives work, rejects with Sv1ClientError otherwise. */
  start(): Promise<Sv1SessionInfo> {
    const { host, port, setupTimeoutMs } = this.settings;
    const opened = new Promise<Sv1SessionInfo>((resolve, reject) => {
      this.setup = {
        resolve,
        reject,
        timer: setTimeout(
          () =>
            this.failSetup(
              'timeout',
              `${host}:${port} gave no work within ${setupTimeoutMs} ms (${this.setupMissing()})`,
            ),
          setupTimeoutMs,
        ),
        authorized: false,
        difficulty: null,
        rolling: null,
        notify: null,
      };
    });
    const configure = this.request('configure');
    const subscribe = this.request('subscribe');
    const authorize = this.request('authorize');
    this.connection.send(
      configureLine(configure) +
        Subscribe.line(subscribe, { userAgent: this.settings.userAgent }) +
        Authorize.line(authorize, { user: this.settings.user, password: this.settings.password }),
    );
    return opened;
  }

  /** The connection is gone: a handshake in progress fails with the reason. */
  closed(reason: string): void {
    this.isOpen = false;
    const s = this.setup;
    if (s === null) return;
    this.setup = null;
    clearTimeout(s.timer);
    s.reject(
      new Sv1ClientError('disconnected', `connection to ${this.settings.host}:${this.settings.port} closed: ${reason}`),
    );
  }

  /**
   * Sends a share; returns its request id at once. Refuses (throws Sv1ClientError) a share that cannot be
   * valid any more: not open, a job of an older subscription state, an extranonce of the wrong size, or version
   * bits outside the pool's mask.
   */
  submitShare(share: MinedShare): number {
    const sub = this.subscription;
    if (sub === null || !this.isOpen || this.connection.closed) {
      throw new Sv1ClientError('not-connected', 'cannot submit a share: not connected to the pool');
    }
    const job = share.job as Sv1Job;
    if (job.subscriptionEpoch !== sub.epoch || typeof job.jobId !== 'string') {
      throw new Sv1ClientError(
        'stale-job',
        `share of job ${String(job.jobId)} not sent: built for an earlier extranonce1 or connection`,
      );
    }
    const extranonce = share.extranonce;
    if (extranonce === null || extranonce.length !== sub.extranonce2Size) {
      throw new Sv1ClientError(
        'stale-job',
        `share of job ${job.jobId} not sent: extranonce2 of ${extranonce?.length ?? 0} bytes, the pool wants ${sub.extranonce2Size}`,
      );
    }
    const rolling = sub.versionRolling;
    const mask = rolling.allowed ? rolling.mask : 0;
    if (((share.version ^ job.version) & ~mask) !== 0) {
      throw new Sv1ClientError(
        'stale-job',
        `share of job ${job.jobId} not sent: version ${share.version.toString(16)} rolls bits outside the pool's mask ${mask.toString(16)}`,
      );
    }
    const id = this.nextId++;
    const m = this.submitMessage;
    m.jobId = job.jobId;
    m.extranonce2 = extranonce;
    m.ntime = share.ntime;
    m.nonce = share.nonce;
    m.versionBits = rolling.allowed ? versionBitsForSubmit(share.version, mask) : undefined;
    this.connection.send(Submit.line(id, m));
    const now = this.host.clock.nowMs();
    this.host.pending.add({ id, jobId: job.jobId, target: job.target, submittedAtMs: now });
    this.host.liveness.shareSubmitted(now);
    return id;
  }

  /**
   * The liveness probe (liveness.ts): mining.configure as in the handshake, its answer a sign of life only.
   * False when there is no open session to send it on.
   */
  sendProbe(): boolean {
    if (!this.open) return false;
    return this.connection.send(configureLine(this.request('probe')));
  }

  // ---- handshake ----

  private request(kind: RequestKind): number {
    const id = this.nextId++;
    this.requests.set(id, kind);
    return id;
  }

  private setupMissing(): string {
    if (this.subscription === null) return 'no answer to mining.subscribe';
    if (this.setup !== null && !this.setup.authorized) return 'no answer to mining.authorize';
    return 'no mining.notify';
  }

  private failSetup(code: Sv1ClientErrorCode, message: string): void {
    const s = this.setup;
    if (s === null) return;
    this.setup = null;
    clearTimeout(s.timer);
    s.reject(new Sv1ClientError(code, message));
    this.connection.close(code, message);
  }

  private onSubscribed(result: unknown): void {
    let decoded: SubscribeResult;
    try {
      decoded = SubscribeResult.decode(Array.isArray(result) ? result : [result]);
    } catch (err) {
      this.failSetup(
        'protocol',
        `pool's mining.subscribe answer is unusable: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    this.subscription = new Sv1Subscription(
      decoded.extranonce1,
      decoded.extranonce2Size,
      this.setup?.difficulty ?? 1,
      this.setup?.rolling ?? { allowed: false, mask: 0 },
      this.settings.epochBase,
    );
    this.tryOpen();
  }

  private onAuthorized(): void {
    const s = this.setup;
    if (s === null) return;
    s.authorized = true;
    let lines = '';
    if (this.settings.suggestDifficulty !== null) {
      lines += SuggestDifficulty.line(this.request('suggest'), { difficulty: this.settings.suggestDifficulty });
    }
    if (this.settings.extranonceSubscribe) lines += ExtranonceSubscribe.line(this.request('extranonce-subscribe'), {});
    if (lines !== '') this.connection.send(lines);
    this.tryOpen();
  }

  /** Opens once subscribed, authorized and given a job: `opened`, then the first job as a new tip. */
  private tryOpen(): void {
    const s = this.setup;
    const sub = this.subscription;
    if (s === null || sub === null || !s.authorized || s.notify === null) return;
    const now = this.host.clock.nowMs();
    if ([...this.requests.values()].includes('configure')) {
      this.host.log.info('pool has not answered mining.configure yet: no version rolling until it does', this.where());
    }
    const outcome = sub.onNotify(s.notify, now);
    if (outcome.kind === 'duplicate') return;
    this.setup = null;
    clearTimeout(s.timer);
    this.isOpen = true;
    this.host.liveness.connected(now);
    const info = this.sessionInfo(sub);
    this.host.emit('opened', info);
    s.resolve(info);
    this.checkJobVersion(outcome.job);
    this.host.emit('newTip', outcome.job);
  }

  private sessionInfo(sub: Sv1Subscription): Sv1SessionInfo {
    return {
      host: this.settings.host,
      port: this.settings.port,
      tls: this.settings.tls,
      extranonce1: sub.extranonce1,
      extranonce2Size: sub.extranonce2Size,
      difficulty: sub.difficulty,
      target: sub.target,
      versionRolling: { ...sub.versionRolling },
      description: `extranonce1 ${bytesToHex(sub.extranonce1) || '(empty)'}, ${sub.extranonce2Size}-byte extranonce2`,
    };
  }

  // ---- what arrives ----

  private onMessage(message: Sv1Message): void {
    this.host.liveness.heard(this.host.clock.nowMs());
    if (message.kind === 'response') {
      this.onResponse(message);
      return;
    }
    try {
      dispatchPoolMessage(message, this.handlers);
    } catch (err) {
      if (!(err instanceof Sv1ProtocolError)) throw err;
      this.onBadMessage(message.method, err);
    }
  }

  private onBadMessage(method: string, err: Sv1ProtocolError): void {
    if (method === 'mining.notify') {
      this.badJobsInARow++;
      if (!this.isOpen || this.badJobsInARow >= MAX_BAD_JOBS_IN_A_ROW) {
        const why = `pool sent ${this.isOpen ? `${this.badJobsInARow} malformed jobs in a row` : 'a malformed job'}: ${err.message}`;
        if (this.setup !== null) this.failSetup('protocol', why);
        else this.connection.close('protocol-error', why, err);
        return;
      }
    }
    if (method === 'mining.set_extranonce') {
      // The pool says our extranonce is something we cannot use: nothing it sends from now on can be mined.
      this.connection.close('protocol-error', `pool sent an unusable mining.set_extranonce: ${err.message}`, err);
      return;
    }
    this.host.warn(`pool sent a malformed ${method}; ignored: ${err.message}`);
  }

  private onResponse(r: Sv1Response): void {
    const now = this.host.clock.nowMs();
    if (r.id === null) {
      // public-pool reports a refused request it could not tie to an id with `id: null`.
      const a = answerOf(r, false);
      if (!a.ok) this.host.warn(`pool reported an error: ${a.reason}`);
      return;
    }
    const id = typeof r.id === 'number' ? r.id : /^\d{1,15}$/.test(r.id) ? Number(r.id) : Number.NaN;
    const pending = this.host.pending;
    if (pending.has(id)) {
      const a = answerOf(r, true);
      const share = pending.answer(id, a.ok, a.ok ? null : a.reason, now);
      if (share === null) return;
      this.host.liveness.shareAnswered(now, 1, share.late ? null : share.latencyMs);
      this.host.emit(
        'shareResult',
        a.ok
          ? { kind: 'accepted', id, target: share.target, late: share.late }
          : { kind: 'rejected', id, reason: a.reason, code: a.code, target: share.target, late: share.late },
      );
      return;
    }
    const kind = this.requests.get(id);
    if (kind === undefined) {
      this.host.warn(`pool answered request id ${JSON.stringify(r.id)}, which was never sent; ignored`);
      return;
    }
    this.requests.delete(id);
    switch (kind) {
      case 'probe':
        this.host.liveness.probeAnswered(now);
        return;
      case 'configure': {
        const a = answerOf(r, false);
        let grant: VersionRollingGrant;
        try {
          grant = a.ok ? decodeConfigureResult(a.result) : { granted: false, mask: 0, reason: a.reason };
        } catch (err) {
          grant = { granted: false, mask: 0, reason: err instanceof Error ? err.message : String(err) };
        }
        if (!grant.granted) this.host.log.info(`pool does not allow version rolling (${grant.reason})`, this.where());
        this.onVersionRolling(
          grant.granted ? rollingRule(grant.mask, this.host.log) : { allowed: false, mask: 0 },
          null,
        );
        return;
      }
      case 'subscribe': {
        const a = answerOf(r, true);
        if (a.ok) this.onSubscribed(a.result);
        else this.failSetup('subscribe-refused', `pool refused mining.subscribe: ${a.reason}`);
        return;
      }
      case 'authorize': {
        const a = answerOf(r, true);
        if (a.ok) this.onAuthorized();
        else
          this.failSetup('authorize-refused', `pool refused worker ${JSON.stringify(this.settings.user)}: ${a.reason}`);
        return;
      }
      case 'suggest':
      case 'extranonce-subscribe': {
        const a = answerOf(r, false);
        const what = kind === 'suggest' ? 'mining.suggest_difficulty' : 'mining.extranonce.subscribe';
        if (!a.ok || a.result === false) this.host.warn(`pool refused ${what}: ${a.ok ? 'false' : a.reason}`);
        return;
      }
    }
  }

  private onNotify(n: Notify): void {
    this.badJobsInARow = 0;
    const now = this.host.clock.nowMs();
    this.host.liveness.work(now);
    const s = this.setup;
    if (s !== null) {
      s.notify = n;
      this.tryOpen();
      return;
    }
    const sub = this.subscription;
    if (sub === null || !this.isOpen) return;
    const outcome = sub.onNotify(n, now);
    if (outcome.kind === 'duplicate') {
      this.host.log.debug(`job ${outcome.jobId} again with the same contents; ignored`, this.where());
      return;
    }
    this.checkJobVersion(outcome.job);
    this.host.emit(outcome.kind === 'new-tip' ? 'newTip' : 'job', outcome.job);
  }

  private onSetDifficulty(difficulty: number): void {
    this.host.liveness.work(this.host.clock.nowMs());
    const sub = this.subscription;
    if (sub === null) {
      if (this.setup !== null) this.setup.difficulty = difficulty;
      return;
    }
    const t = sub.setDifficulty(difficulty);
    if (this.isOpen) this.host.emit('target', t);
  }

  private onSetExtranonce(extranonce1: Uint8Array, extranonce2Size: number): void {
    const now = this.host.clock.nowMs();
    this.host.liveness.work(now);
    const sub = this.subscription;
    if (sub === null) {
      this.host.warn('pool sent mining.set_extranonce before its mining.subscribe answer; ignored');
      return;
    }
    this.host.log.info(
      `pool moved us to extranonce1 ${bytesToHex(extranonce1)} with a ${extranonce2Size}-byte extranonce2`,
      this.where(),
    );
    const job = sub.setExtranonce(extranonce1, extranonce2Size, now);
    if (this.isOpen && job !== null) this.host.emit('newTip', job);
  }

  /**
   * A mask from mining.set_version_mask or a mining.configure answer. A mask that takes bits away restarts the
   * current job under it (work rolled on those bits could only be refused); one that adds bits applies to the
   * next job (restarting would re-hash headers already searched).
   */
  private onVersionRolling(rule: VersionRollingRule, from: string | null): void {
    const now = this.host.clock.nowMs();
    if (from !== null) this.host.liveness.work(now);
    const sub = this.subscription;
    if (sub === null) {
      if (this.setup !== null) this.setup.rolling = rule;
      return;
    }
    const before = sub.versionRolling.allowed ? sub.versionRolling.mask : 0;
    const after = rule.allowed ? rule.mask : 0;
    if (before === after) return;
    if (from !== null) this.host.log.info(`pool set version mask 0x${after.toString(16)} (${from})`, this.where());
    if ((before & ~after) !== 0 && this.isOpen) {
      const job = sub.setVersionRolling(rule, now);
      if (job !== null) this.host.emit('newTip', job);
    } else {
      sub.versionRolling = { ...rule };
    }
  }

  private onShowMessage(text: string): void {
    const shown = text.length > 256 ? `${text.slice(0, 256)}…` : text;
    this.host.log.info(`pool says: ${withoutControlCharacters(shown)}`, this.where());
    this.host.emit('poolMessage', { text });
  }

  private onUnknownMethod(method: string): void {
    if (this.warnedMethods.has(method)) return;
    this.warnedMethods.add(method);
    this.host.warn(`pool sent an unknown method ${JSON.stringify(method.slice(0, 64))}; ignored`);
  }

  private answer(id: Sv1Id | null, resultJson: string): void {
    if (id === null) return;
    this.connection.send(`{"id":${JSON.stringify(id)},"result":${resultJson},"error":null}\n`);
  }

  private checkJobVersion(job: Sv1Job): void {
    if (this.warnedVersionInMask || !job.versionRolling.allowed) return;
    const inMask = jobVersionBitsInMask(job.version, job.versionRolling.mask);
    if (inMask === 0) return;
    this.warnedVersionInMask = true;
    this.host.warn(
      `job ${job.jobId}'s version 0x${job.version.toString(16)} has bits 0x${inMask.toString(16)} inside the rolling ` +
        'mask: pools rebuild such versions differently (BIP310 vs XOR), shares may be refused',
    );
  }

  private where(): { host: string; port: number } {
    return { host: this.settings.host, port: this.settings.port };
  }
}

/** mining.configure as the handshake sends it (version rolling, every bit asked, as ESP-Miner asks). */
function configureLine(id: number): string {
  return Configure.line(id, {
    extensions: ['version-rolling'],
    parameters: { 'version-rolling.mask': REQUESTED_MASK.toString(16) },
  });
}

/** The rule for a granted mask: at most the 24 bits a version may roll (a grant beyond is clamped, and said). */
function rollingRule(mask: number, log: Logger): VersionRollingRule {
  const usable = (mask & MAX_ROLLING_MASK) >>> 0;
  if (usable !== mask >>> 0) {
    log.warn(
      `pool allows version mask 0x${(mask >>> 0).toString(16)}: rolling only 0x${usable.toString(16)} ` +
        '(the other bits are not free for miners)',
    );
  }
  return usable === 0 ? { allowed: false, mask: 0 } : { allowed: true, mask: usable };
}

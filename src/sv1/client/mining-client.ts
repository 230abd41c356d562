/**
 * The mining-device side of Stratum V1: one connection to a pool (plain TCP or TLS), the subscription on it, and
 * typed events for the mining engine. Built as three parts, as the SV2 client should be:
 *
 * - this class, the connection supervisor: connect, the pipelined handshake, a pool-requested move
 *   (client.reconnect), liveness (liveness.ts), share timeouts, and the one `disconnected` at the end;
 * - the dispatcher (dispatcher.ts): what the pool sends on its own, by method, through the message table;
 * - the subscription (subscription.ts): extranonce1/2, difficulty, mask and jobs, pure.
 *
 *   const client = new Sv1MiningClient({ url: 'stratum+tcp://pool:3333', user: 'bc1q….rig1', userAgent: 'hashaxe/0.1.0' });
 *   client.on('newTip', (job) => engine.newTip(job));  client.on('job', (job) => engine.activeJob(job));
 *   client.on('target', (t) => engine.setTarget(t.target));  client.on('shareResult', (r) => …);
 *   const session = await client.connect();   // resolves with the first job (`opened` then `newTip`)
 *   const id = client.submitShare(share);
 *
 * Handshake (shared/spec/sv1.md §2), written back to back without waiting, as ESP-Miner does: mining.configure
 * (version rolling, asking for every bit; the mask the pool grants is the one used, never more), mining.subscribe
 * (user agent), mining.authorize. After the authorize answer: mining.suggest_difficulty when configured,
 * mining.extranonce.subscribe when asked; neither answer is waited for (pools often send none). Answers are matched
 * by id, in any order; anything the pool sends between them (a difficulty, Braiins' early set_version_mask, a job
 * before the authorize answer) is kept until the subscription can use it.
 */
import type { MinedShare, VersionRollingRule } from '../../mining/job.js';
import { type Clock, systemClock } from '../../sv2/clock.js';
import { type Sv2Logger as Logger, silentLogger } from '../../sv2/logger.js';
import { bytesToHex } from '../../util/hex.js';
import { withoutControlCharacters } from '../../util/printable.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { type Sv1CloseInfo, Sv1ConnectError, Sv1Connection } from '../connection.js';
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
import { parseSv1Url, type Sv1Endpoint } from '../url.js';
import { jobVersionBitsInMask, versionBitsForSubmit } from '../wire-format.js';
import { dispatchPoolMessage, type PoolMessageHandlers } from './dispatcher.js';
import { type LivenessVerdict, Sv1Liveness } from './liveness.js';
import { PendingSubmits, type SubmitStats } from './pending-submits.js';
import { type Sv1Job, Sv1Subscription } from './subscription.js';
import { caForPool } from './tls-trust.js';

/** The most bits a header version may roll (BIP323's 24 general-purpose bits); a grant beyond is clamped. */
export const MAX_ROLLING_MASK = 0x1fffffe0;
/** What mining.configure asks for: everything, so the pool's answer is its whole grant (as ESP-Miner asks). */
export const REQUESTED_MASK = 0xffffffff;

export interface Sv1ClientOptions {
  /** `stratum+tcp://host:port`, `stratum+ssl://host:port` or `stratum+tls://host:port` (`#xnsub` allowed). */
  url: string;
  /** Worker name for mining.authorize and every mining.submit (`address.worker` by convention). */
  user: string;
  /** Default "x". */
  password?: string;
  /** mining.subscribe's user agent (`hashaxe/<version>`). */
  userAgent: string;
  /** Sent as mining.suggest_difficulty after the authorize answer; fractions allowed. */
  suggestDifficulty?: number | null;
  /** Send mining.extranonce.subscribe (NiceHash); also on with a `#xnsub` URL. */
  extranonceSubscribe?: boolean;
  /** PEM certificate(s) trusted in addition to the system store, for a pool with a self-signed certificate. */
  tlsCa?: string | null;
  /** Follow client.reconnect to another host (default false: the same host, a new port allowed). */
  reconnectToOtherHosts?: boolean;
  /** Longest wait a client.reconnect is honoured with; a longer one is taken as "gone" (failover). Default 60 s. */
  maxReconnectWaitSec?: number;
  clock?: Clock;
  /** TCP connect plus TLS handshake. Default 10 s. */
  connectTimeoutMs?: number;
  /** From connect to the first job (subscribe and authorize answered, a mining.notify). Default 10 s. */
  setupTimeoutMs?: number;
  /** See liveness.ts. Default 180 s; 0 = never. */
  stallTimeoutMs?: number;
  /** A submit with no answer after this long counts as timed out. Default 120 s. */
  shareTimeoutMs?: number;
  /** See liveness.ts. Default 10 min; 0 = never. */
  unansweredSharesTimeoutMs?: number;
  checkIntervalMs?: number;
  maxLineBytes?: number;
  logger?: Logger;
}

export type Sv1ClientErrorCode =
  | 'config'
  | 'not-connected'
  | 'stale-job'
  | 'subscribe-refused'
  | 'authorize-refused'
  | 'protocol'
  | 'timeout'
  | 'disconnected';

/** A client-level failure: configuration, the pool saying no, or the connection going away. */
export class Sv1ClientError extends Error {
  override readonly name = 'Sv1ClientError';
  constructor(
    readonly code: Sv1ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What the client reports once the pool gives work. */
export interface Sv1SessionInfo {
  host: string;
  port: number;
  tls: boolean;
  extranonce1: Uint8Array;
  extranonce2Size: number;
  difficulty: number;
  target: bigint;
  versionRolling: VersionRollingRule;
  /** "extranonce1 0a0b0c0d, 4-byte extranonce2". */
  description: string;
}

export type Sv1ShareResult =
  | { kind: 'accepted'; id: number; target: bigint; late: boolean }
  | { kind: 'rejected'; id: number; reason: string; code: number | null; target: bigint; late: boolean }
  | { kind: 'timeout'; count: number }
  | { kind: 'lost'; count: number; why: string };

export interface Sv1DisconnectedEvent {
  code: string;
  reason: string;
  error?: Error;
  /** True when the client is about to connect again by itself (client.reconnect). */
  willReconnect: boolean;
}

export interface Sv1ClientEvents {
  connected: { host: string; port: number; tls: boolean };
  /** The subscription gives work: emitted once per connection, synchronously before its first `newTip`. */
  opened: Sv1SessionInfo;
  /** A job that makes every earlier one stale (clean_jobs, a new prev hash, the first job, a new extranonce1). */
  newTip: Sv1Job;
  /** A new job on the same block; earlier jobs stay valid. */
  job: Sv1Job;
  target: { target: bigint; difficulty: number };
  shareResult: Sv1ShareResult;
  stalled: LivenessVerdict;
  /** client.show_message. */
  poolMessage: { text: string };
  warning: { message: string };
  disconnected: Sv1DisconnectedEvent;
}

type RequestKind = 'configure' | 'subscribe' | 'authorize' | 'suggest' | 'extranonce-subscribe';

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

const DEFAULTS = {
  connectTimeoutMs: 10_000,
  setupTimeoutMs: 10_000,
  stallTimeoutMs: 180_000,
  shareTimeoutMs: 120_000,
  unansweredSharesTimeoutMs: 600_000,
  checkIntervalMs: 1_000,
  maxReconnectWaitSec: 60,
};

/** Malformed jobs in a row after which a pool is taken as unusable. */
const MAX_BAD_JOBS_IN_A_ROW = 3;

export class Sv1MiningClient extends TypedEmitter<Sv1ClientEvents> {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly endpoint: Sv1Endpoint;
  private readonly liveness: Sv1Liveness;
  private readonly pending = new PendingSubmits();
  private readonly requests = new Map<number, RequestKind>();
  private readonly userJson: string;
  private host: string;
  private port: number;
  private connection: Sv1Connection | null = null;
  private subscription: Sv1Subscription | null = null;
  private setup: SetupState | null = null;
  private isOpen = false;
  private nextId = 1;
  private connections = 0;
  private timer: NodeJS.Timeout | null = null;
  private closedByUser = false;
  private connecting: AbortController | null = null;
  private reconnecting = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly reconnectTimes: number[] = [];
  private readonly warnedMethods = new Set<string>();
  private badJobsInARow = 0;
  private warnedVersionInMask = false;
  private readonly handlers: PoolMessageHandlers;
  /** Reused for every mining.submit: the share path allocates no message object. */
  private readonly submitMessage: Submit;

  /** Throws Sv1ClientError('config') for a bad URL or option, before any connection. */
  constructor(private readonly options: Sv1ClientOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    try {
      this.endpoint = parseSv1Url(options.url);
    } catch (err) {
      throw new Sv1ClientError('config', err instanceof Error ? err.message : String(err));
    }
    if (!/^[\x21-\x7e]{1,255}$/.test(options.user)) {
      throw new Sv1ClientError('config', 'user must be 1 to 255 printable characters without spaces');
    }
    const suggest = options.suggestDifficulty;
    if (suggest !== undefined && suggest !== null && !(suggest > 0 && Number.isFinite(suggest))) {
      throw new Sv1ClientError('config', `suggested difficulty must be a number above 0, got ${suggest}`);
    }
    this.host = this.endpoint.host;
    this.port = this.endpoint.port;
    this.userJson = JSON.stringify(options.user);
    this.submitMessage = {
      user: options.user,
      jobId: '',
      extranonce2: new Uint8Array(0),
      ntime: 0,
      nonce: 0,
      versionBits: undefined,
    };
    this.liveness = new Sv1Liveness({
      stallTimeoutMs: options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
      unansweredSharesTimeoutMs: options.unansweredSharesTimeoutMs ?? DEFAULTS.unansweredSharesTimeoutMs,
    });
    this.handlers = {
      notify: (n) => this.onNotify(n),
      setDifficulty: (m) => this.onSetDifficulty(m.difficulty),
      setExtranonce: (m) => this.onSetExtranonce(m.extranonce1, m.extranonce2Size),
      setVersionMask: (m) => this.onVersionRolling(rollingRule(m.mask, this.log), 'mining.set_version_mask'),
      reconnect: (m) => this.onReconnect(m),
      ping: (id) => this.answer(id, '"pong"'),
      showMessage: (m) => this.onShowMessage(m.message),
      getVersion: (id) => this.answer(id, JSON.stringify(this.options.userAgent)),
      unknown: (method) => this.onUnknownMethod(method),
    };
  }

  get connected(): boolean {
    return this.connection !== null && !this.connection.closed;
  }

  /** True once the subscription gives work on the current connection. */
  get open(): boolean {
    return this.isOpen && this.connected;
  }

  /** True for TLS (the certificate was checked; plain TCP authenticates nothing). */
  get authenticated(): boolean {
    return this.endpoint.tls;
  }

  /** Where the client is connected (changes after a followed client.reconnect). */
  get endpointNow(): { host: string; port: number; tls: boolean } {
    return { host: this.host, port: this.port, tls: this.endpoint.tls };
  }

  /** The subscription now (tests, status). */
  get subscriptionInfo(): Sv1SessionInfo | null {
    return this.subscription === null ? null : this.sessionInfo(this.subscription);
  }

  shareStats(): SubmitStats {
    return this.pending.stats();
  }

  /**
   * Connects, handshakes and waits for the first job. Rejects with Sv1ConnectError (TCP, DNS, TLS) or
   * Sv1ClientError (the pool refused, timed out or sent something unusable).
   */
  async connect(): Promise<Sv1SessionInfo> {
    this.closedByUser = false;
    return this.connectTo(this.endpoint.host, this.endpoint.port);
  }

  private async connectTo(host: string, port: number): Promise<Sv1SessionInfo> {
    if (this.connected) throw new Sv1ClientError('config', 'already connected');
    const attempt = new AbortController();
    this.connecting = attempt;
    let connection: Sv1Connection;
    try {
      connection = await Sv1Connection.connect({
        host,
        port,
        tls: this.endpoint.tls ? { ca: caForPool(this.options.tlsCa ?? null) } : null,
        timeoutMs: this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
        signal: attempt.signal,
        ...(this.options.maxLineBytes !== undefined ? { maxLineBytes: this.options.maxLineBytes } : {}),
      });
    } finally {
      if (this.connecting === attempt) this.connecting = null;
    }
    if (attempt.signal.aborted || this.closedByUser) {
      connection.close('closed', 'closed by the device');
      throw new Sv1ConnectError('aborted', `connecting to ${host}:${port} was cancelled`);
    }
    this.host = host;
    this.port = port;
    this.connection = connection;
    this.connections++;
    this.nextId = 1;
    this.requests.clear();
    this.subscription = null;
    this.isOpen = false;
    this.badJobsInARow = 0;
    this.warnedMethods.clear();
    this.warnedVersionInMask = false;
    this.liveness.reset(this.clock.nowMs());
    const setupMs = this.options.setupTimeoutMs ?? DEFAULTS.setupTimeoutMs;
    const opened = new Promise<Sv1SessionInfo>((resolve, reject) => {
      this.setup = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const what = this.setupMissing();
          this.failSetup('timeout', `${host}:${port} gave no work within ${setupMs} ms (${what})`);
        }, setupMs),
        authorized: false,
        difficulty: null,
        rolling: null,
        notify: null,
      };
    });
    connection.on('message', (m) => this.onMessage(connection, m));
    connection.on('malformed', (e) => {
      if (connection === this.connection) this.warn(`pool sent a line that is not Stratum V1; skipped: ${e.message}`);
    });
    connection.on('close', (info) => this.onClose(connection, info));
    connection.start();
    this.startTimer();
    this.emit('connected', { host, port, tls: this.endpoint.tls });
    // Pipelined, as ESP-Miner does: configure, subscribe, authorize in one write.
    const configure = this.request('configure');
    const subscribe = this.request('subscribe');
    const authorize = this.request('authorize');
    connection.send(
      Configure.line(configure, {
        extensions: ['version-rolling'],
        parameters: { 'version-rolling.mask': REQUESTED_MASK.toString(16) },
      }) +
        Subscribe.line(subscribe, { userAgent: this.options.userAgent }) +
        Authorize.line(authorize, { user: this.options.user, password: this.options.password ?? 'x' }),
    );
    return opened;
  }

  /**
   * Sends a share; returns its request id at once. Refuses (throws Sv1ClientError) a share that cannot be
   * valid any more: not connected, a job of an older subscription state, an extranonce of the wrong size, or
   * version bits outside the pool's mask.
   */
  submitShare(share: MinedShare): number {
    const connection = this.connection;
    const sub = this.subscription;
    if (connection === null || connection.closed || sub === null || !this.isOpen) {
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
    connection.send(Submit.line(id, m));
    const now = this.clock.nowMs();
    this.pending.add({ id, jobId: job.jobId, target: job.target, submittedAtMs: now });
    this.liveness.submitted(now);
    return id;
  }

  /** Closes the connection for good (no reconnect); a connect() in progress rejects at once. */
  close(reason = 'closed by the device'): void {
    this.closedByUser = true;
    this.connecting?.abort();
    if (this.reconnectTimer !== null) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      if (this.reconnecting) {
        this.reconnecting = false;
        this.emit('disconnected', { code: 'closed', reason, willReconnect: false });
      }
    }
    this.connection?.close('closed', reason);
    this.stopTimer();
  }

  // ---- handshake ----

  private request(kind: RequestKind): number {
    const id = this.nextId++;
    this.requests.set(id, kind);
    return id;
  }

  private setupMissing(): string {
    const s = this.setup;
    if (this.subscription === null) return 'no answer to mining.subscribe';
    if (s !== null && !s.authorized) return 'no answer to mining.authorize';
    return 'no mining.notify';
  }

  private failSetup(code: Sv1ClientErrorCode, message: string): void {
    const s = this.setup;
    if (s === null) return;
    this.setup = null;
    clearTimeout(s.timer);
    s.reject(new Sv1ClientError(code, message));
    this.connection?.close(code, message);
  }

  private onSubscribed(result: unknown): void {
    const s = this.setup;
    let decoded: SubscribeResult;
    try {
      decoded = SubscribeResult.decode(Array.isArray(result) ? result : [result]);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.failSetup('protocol', `pool's mining.subscribe answer is unusable: ${why}`);
      return;
    }
    const pendingRule = s?.rolling ?? null;
    this.subscription = new Sv1Subscription(
      decoded.extranonce1,
      decoded.extranonce2Size,
      s?.difficulty ?? 1,
      pendingRule ?? { allowed: false, mask: 0 },
      this.connections * 1_000_000,
    );
    this.tryOpen();
  }

  private onAuthorized(): void {
    const s = this.setup;
    if (s === null) return;
    s.authorized = true;
    const connection = this.connection;
    if (connection !== null) {
      let lines = '';
      const suggest = this.options.suggestDifficulty;
      if (suggest !== undefined && suggest !== null) {
        lines += SuggestDifficulty.line(this.request('suggest'), { difficulty: suggest });
      }
      if (this.options.extranonceSubscribe === true || this.endpoint.extranonceSubscribe) {
        lines += ExtranonceSubscribe.line(this.request('extranonce-subscribe'), {});
      }
      if (lines !== '') connection.send(lines);
    }
    this.tryOpen();
  }

  /** Opens once subscribed, authorized and given a job: `opened`, then the first job as a new tip. */
  private tryOpen(): void {
    const s = this.setup;
    const sub = this.subscription;
    if (s === null || sub === null || !s.authorized || s.notify === null) return;
    const now = this.clock.nowMs();
    if ([...this.requests.values()].includes('configure')) {
      this.log.info('pool has not answered mining.configure yet: no version rolling until it does', this.where());
    }
    const outcome = sub.onNotify(s.notify, now);
    if (outcome.kind === 'duplicate') return;
    this.setup = null;
    clearTimeout(s.timer);
    this.isOpen = true;
    this.liveness.activity(now);
    const info = this.sessionInfo(sub);
    this.emit('opened', info);
    s.resolve(info);
    this.checkJobVersion(outcome.job);
    this.emit('newTip', outcome.job);
  }

  private sessionInfo(sub: Sv1Subscription): Sv1SessionInfo {
    return {
      host: this.host,
      port: this.port,
      tls: this.endpoint.tls,
      extranonce1: sub.extranonce1,
      extranonce2Size: sub.extranonce2Size,
      difficulty: sub.difficulty,
      target: sub.target,
      versionRolling: { ...sub.versionRolling },
      description: `extranonce1 ${bytesToHex(sub.extranonce1) || '(empty)'}, ${sub.extranonce2Size}-byte extranonce2`,
    };
  }

  // ---- what arrives ----

  private onMessage(connection: Sv1Connection, message: Sv1Message): void {
    if (connection !== this.connection) return;
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
        else this.connection?.close('protocol-error', why, err);
        return;
      }
    }
    if (method === 'mining.set_extranonce') {
      // The pool says our extranonce is something we cannot use: nothing it sends from now on can be mined.
      this.connection?.close('protocol-error', `pool sent an unusable mining.set_extranonce: ${err.message}`, err);
      return;
    }
    this.warn(`pool sent a malformed ${method}; ignored: ${err.message}`);
  }

  private onResponse(r: Sv1Response): void {
    const now = this.clock.nowMs();
    if (r.id === null) {
      // public-pool reports a refused request it could not tie to an id with `id: null`.
      const a = answerOf(r, false);
      if (!a.ok) this.warn(`pool reported an error: ${a.reason}`);
      return;
    }
    const id = typeof r.id === 'number' ? r.id : /^\d{1,15}$/.test(r.id) ? Number(r.id) : Number.NaN;
    if (this.pending.has(id)) {
      const a = answerOf(r, true);
      const share = this.pending.answer(id, a.ok, a.ok ? null : a.reason, now);
      if (share === null) return;
      this.liveness.answered(now);
      this.emit(
        'shareResult',
        a.ok
          ? { kind: 'accepted', id, target: share.target, late: share.late }
          : { kind: 'rejected', id, reason: a.reason, code: a.code, target: share.target, late: share.late },
      );
      return;
    }
    const kind = this.requests.get(id);
    if (kind === undefined) {
      this.warn(`pool answered request id ${JSON.stringify(r.id)}, which was never sent; ignored`);
      return;
    }
    this.requests.delete(id);
    switch (kind) {
      case 'configure': {
        const a = answerOf(r, false);
        let grant: VersionRollingGrant;
        try {
          grant = a.ok ? decodeConfigureResult(a.result) : { granted: false, mask: 0, reason: a.reason };
        } catch (err) {
          grant = { granted: false, mask: 0, reason: err instanceof Error ? err.message : String(err) };
        }
        if (!grant.granted) this.log.info(`pool does not allow version rolling (${grant.reason})`, this.where());
        this.onVersionRolling(grant.granted ? rollingRule(grant.mask, this.log) : { allowed: false, mask: 0 }, null);
        return;
      }
      case 'subscribe': {
        const a = answerOf(r, true);
        if (!a.ok) {
          this.failSetup('subscribe-refused', `pool refused mining.subscribe: ${a.reason}`);
          return;
        }
        this.onSubscribed(a.result);
        return;
      }
      case 'authorize': {
        const a = answerOf(r, true);
        if (!a.ok) {
          this.failSetup('authorize-refused', `pool refused worker ${this.userJson}: ${a.reason}`);
          return;
        }
        this.onAuthorized();
        return;
      }
      case 'suggest':
      case 'extranonce-subscribe': {
        const a = answerOf(r, false);
        const what = kind === 'suggest' ? 'mining.suggest_difficulty' : 'mining.extranonce.subscribe';
        if (!a.ok || a.result === false) this.warn(`pool refused ${what}: ${a.ok ? 'false' : a.reason}`);
        return;
      }
    }
  }

  private onNotify(n: Notify): void {
    this.badJobsInARow = 0;
    const now = this.clock.nowMs();
    this.liveness.activity(now);
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
      this.log.debug(`job ${outcome.jobId} again with the same contents; ignored`, this.where());
      return;
    }
    this.checkJobVersion(outcome.job);
    this.emit(outcome.kind === 'new-tip' ? 'newTip' : 'job', outcome.job);
  }

  private onSetDifficulty(difficulty: number): void {
    this.liveness.activity(this.clock.nowMs());
    const sub = this.subscription;
    if (sub === null) {
      if (this.setup !== null) this.setup.difficulty = difficulty;
      return;
    }
    const t = sub.setDifficulty(difficulty);
    if (this.isOpen) this.emit('target', t);
  }

  private onSetExtranonce(extranonce1: Uint8Array, extranonce2Size: number): void {
    const now = this.clock.nowMs();
    this.liveness.activity(now);
    const sub = this.subscription;
    if (sub === null) {
      this.warn('pool sent mining.set_extranonce before its mining.subscribe answer; ignored');
      return;
    }
    this.log.info(
      `pool moved us to extranonce1 ${bytesToHex(extranonce1)} with a ${extranonce2Size}-byte extranonce2`,
      this.where(),
    );
    const job = sub.setExtranonce(extranonce1, extranonce2Size, now);
    if (this.isOpen && job !== null) this.emit('newTip', job);
  }

  /**
   * A mask from mining.set_version_mask or a mining.configure answer. A mask that takes bits away restarts the
   * current job under it (work rolled on those bits could only be refused); one that adds bits applies to the
   * next job (restarting would re-hash headers already searched).
   */
  private onVersionRolling(rule: VersionRollingRule, from: string | null): void {
    const now = this.clock.nowMs();
    if (from !== null) this.liveness.activity(now);
    const sub = this.subscription;
    if (sub === null) {
      if (this.setup !== null) this.setup.rolling = rule;
      return;
    }
    const before = sub.versionRolling.allowed ? sub.versionRolling.mask : 0;
    const after = rule.allowed ? rule.mask : 0;
    if (before === after) return;
    if (from !== null) this.log.info(`pool set version mask 0x${after.toString(16)} (${from})`, this.where());
    if ((before & ~after) !== 0 && this.isOpen) {
      const job = sub.setVersionRolling(rule, now);
      if (job !== null) this.emit('newTip', job);
    } else {
      sub.versionRolling = { ...rule };
    }
  }

  private onShowMessage(text: string): void {
    const shown = text.length > 256 ? `${text.slice(0, 256)}…` : text;
    this.log.info(`pool says: ${withoutControlCharacters(shown)}`, this.where());
    this.emit('poolMessage', { text });
  }

  private onUnknownMethod(method: string): void {
    if (this.warnedMethods.has(method)) return;
    this.warnedMethods.add(method);
    this.warn(`pool sent an unknown method ${JSON.stringify(method.slice(0, 64))}; ignored`);
  }

  private answer(id: Sv1Id | null, resultJson: string): void {
    if (id === null) return;
    this.connection?.send(`{"id":${JSON.stringify(id)},"result":${resultJson},"error":null}\n`);
  }

  private checkJobVersion(job: Sv1Job): void {
    if (this.warnedVersionInMask || !job.versionRolling.allowed) return;
    const inMask = jobVersionBitsInMask(job.version, job.versionRolling.mask);
    if (inMask === 0) return;
    this.warnedVersionInMask = true;
    this.warn(
      `job ${job.jobId}'s version 0x${job.version.toString(16)} has bits 0x${inMask.toString(16)} inside the rolling ` +
        'mask: pools rebuild such versions differently (BIP310 vs XOR), shares may be refused',
    );
  }

  // ---- client.reconnect ----

  private onReconnect(m: Reconnect): void {
    const connection = this.connection;
    if (connection === null) return;
    let host = m.host ?? this.host;
    let port = m.port ?? this.port;
    if (host !== this.host && !this.options.reconnectToOtherHosts) {
      this.warn(
        `pool asked us to move to ${host}:${port}; moving to another host is off (reconnectToOtherHosts), ` +
          `reconnecting to ${this.host}:${this.port}`,
      );
      host = this.host;
      port = this.port;
    }
    const now = this.clock.nowMs();
    while (this.reconnectTimes.length > 0 && now - this.reconnectTimes[0] > 60_000) this.reconnectTimes.shift();
    if (this.reconnectTimes.length >= 3) {
      this.warn('pool asked to reconnect more than 3 times in a minute; ignoring to avoid a reconnect storm');
      return;
    }
    this.reconnectTimes.push(now);
    const waitSec = m.wait ?? 0;
    const maxWait = this.options.maxReconnectWaitSec ?? DEFAULTS.maxReconnectWaitSec;
    if (waitSec > maxWait) {
      connection.close(
        'reconnect-later',
        `pool asked us to come back in ${Math.round(waitSec)} s (more than ${maxWait} s): leaving it for now`,
      );
      return;
    }
    this.reconnecting = true;
    connection.close(
      'reconnect',
      `pool asked us to reconnect to ${host}:${port}${waitSec > 0 ? ` in ${waitSec} s` : ''}`,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connectTo(host, port).then(
        () => {
          this.reconnecting = false;
        },
        (err: unknown) => {
          this.reconnecting = false;
          const e = err instanceof Error ? err : new Error(String(err));
          // A close() during the attempt already reported the end.
          if (this.closedByUser) return;
          this.emit('disconnected', {
            code: 'reconnect-failed',
            reason: `reconnect to ${host}:${port} failed: ${e.message}`,
            error: e,
            willReconnect: false,
          });
        },
      );
    }, waitSec * 1000);
  }

  // ---- timers and the end ----

  private startTimer(): void {
    this.stopTimer();
    this.timer = setInterval(() => this.check(), this.options.checkIntervalMs ?? DEFAULTS.checkIntervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    const now = this.clock.nowMs();
    const expired = this.pending.expire(now, this.options.shareTimeoutMs ?? DEFAULTS.shareTimeoutMs);
    if (expired > 0) this.emit('shareResult', { kind: 'timeout', count: expired });
    const connection = this.connection;
    if (connection === null || connection.closed || !this.isOpen) return;
    const verdict = this.liveness.check(now);
    if (verdict === null) return;
    this.emit('stalled', verdict);
    connection.close(
      'stalled',
      verdict.reason === 'silent'
        ? `pool sent no job, difficulty or share answer for ${Math.round(verdict.silentForMs / 1000)} s`
        : `pool answered none of the last ${verdict.unansweredShares} shares, though it still sends work`,
    );
  }

  private onClose(connection: Sv1Connection, info: Sv1CloseInfo): void {
    if (connection !== this.connection) return;
    this.connection = null;
    this.isOpen = false;
    this.subscription = null;
    this.requests.clear();
    const s = this.setup;
    if (s !== null) {
      this.setup = null;
      clearTimeout(s.timer);
      s.reject(new Sv1ClientError('disconnected', `connection to ${this.host}:${this.port} closed: ${info.message}`));
    }
    const lost = this.pending.loseAll();
    if (lost > 0)
      this.emit('shareResult', { kind: 'lost', count: lost, why: `the connection closed (${info.message})` });
    if (!this.reconnecting) this.stopTimer();
    this.emit('disconnected', {
      code: info.code,
      reason: info.message,
      ...(info.error !== undefined ? { error: info.error } : {}),
      willReconnect: this.reconnecting && !this.closedByUser,
    });
  }

  private warn(message: string): void {
    this.log.warn(message, this.where());
    this.emit('warning', { message });
  }

  private where(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }

  protected override onListenerError(event: string, err: unknown): void {
    // A consumer's bug must not kill the connection loop; report it and carry on.
    this.log.error(`a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}`);
  }
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

/**
 * The mining-device side of Stratum V1: one connection to a pool (plain TCP or TLS), the subscription on it, and
 * typed events for the mining engine. Built in the shape STYLE.md asks of the SV2 client:
 *
 * - this class, the connection supervisor: connect, a pool-requested move (client.reconnect through
 *   reconnect-policy.ts), liveness (liveness.ts), share timeouts, and the one `disconnected` at the end;
 * - the session (session.ts): one connection's conversation — the pipelined handshake, answers by id, shares out;
 * - the dispatcher (dispatcher.ts): what the pool sends on its own, by method, through the message table;
 * - the subscription (subscription.ts): extranonce1/2, difficulty, mask and jobs, pure.
 *
 *   const client = new Sv1MiningClient({ url: 'stratum+tcp://pool:3333', user: 'bc1q….rig1', userAgent: 'hashaxe/0.1.0' });
 *   client.on('newTip', (job) => engine.newTip(job));  client.on('job', (job) => engine.activeJob(job));
 *   client.on('target', (t) => engine.setTarget(t.target));  client.on('shareResult', (r) => …);
 *   const session = await client.connect();   // resolves with the first job (`opened` then `newTip`)
 *   const id = client.submitShare(share);
 */
import type { MinedShare } from '../../mining/job.js';
import { type LivenessSnapshot, type LivenessTuning, PoolLiveness } from '../../mining/pool-liveness.js';
import { type Clock, systemClock } from '../../sv2/clock.js';
import { type Sv2Logger as Logger, silentLogger } from '../../sv2/logger.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { type Sv1CloseInfo, Sv1ConnectError, Sv1Connection } from '../connection.js';
import type { Reconnect } from '../messages.js';
import { parseSv1Url, type Sv1Endpoint } from '../url.js';
import { Sv1ClientError, type Sv1ClientEvents, type Sv1SessionInfo } from './client-events.js';
import { PROBE_NAME } from './liveness.js';
import { PendingSubmits, type SubmitStats } from './pending-submits.js';
import { ReconnectPolicy } from './reconnect-policy.js';
import { type SessionHost, Sv1Session } from './session.js';
import { caForPool } from './tls-trust.js';

export {
  Sv1ClientError,
  type Sv1ClientErrorCode,
  type Sv1ClientEvents,
  type Sv1DisconnectedEvent,
  type Sv1SessionInfo,
  type Sv1ShareResult,
} from './client-events.js';
export { MAX_ROLLING_MASK, REQUESTED_MASK } from './session.js';

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
  /**
   * The frozen-pool rule (src/mining/pool-liveness.ts): a pool that answered a liveness probe (mining.configure)
   * once and then stops sending anything is judged frozen within `frozenWithinMs` (27 s). 0 = never probe.
   */
  liveness?: LivenessTuning;
  /** Nothing at all from the pool for this long: stalled. Default 180 s; 0 = never. */
  stallTimeoutMs?: number;
  /** No job, difficulty or share answer for this long, though the pool still talks: stalled. Default 10 min; 0 = never. */
  workTimeoutMs?: number;
  /** A submit with no answer after this long counts as timed out. Default 120 s. */
  shareTimeoutMs?: number;
  /** See src/mining/share-answer-watch.ts. Default 10 min; 0 = never. */
  unansweredSharesTimeoutMs?: number;
  checkIntervalMs?: number;
  maxLineBytes?: number;
  logger?: Logger;
}

const DEFAULTS = {
  connectTimeoutMs: 10_000,
  setupTimeoutMs: 10_000,
  stallTimeoutMs: 180_000,
  workTimeoutMs: 600_000,
  shareTimeoutMs: 120_000,
  unansweredSharesTimeoutMs: 600_000,
  checkIntervalMs: 1_000,
  maxReconnectWaitSec: 60,
};

export class Sv1MiningClient extends TypedEmitter<Sv1ClientEvents> {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly endpoint: Sv1Endpoint;
  private readonly liveness: PoolLiveness;
  private readonly pending = new PendingSubmits();
  private readonly reconnects: ReconnectPolicy;
  private readonly sessionHost: SessionHost;
  private host: string;
  private port: number;
  private session: Sv1Session | null = null;
  private connections = 0;
  private timer: NodeJS.Timeout | null = null;
  private closedByUser = false;
  private connecting: AbortController | null = null;
  private reconnecting = false;
  private reconnectTimer: NodeJS.Timeout | null = null;

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
    this.liveness = new PoolLiveness({
      checkIntervalMs: options.checkIntervalMs ?? DEFAULTS.checkIntervalMs,
      stallTimeoutMs: options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
      workTimeoutMs: options.workTimeoutMs ?? DEFAULTS.workTimeoutMs,
      unansweredSharesTimeoutMs: options.unansweredSharesTimeoutMs ?? DEFAULTS.unansweredSharesTimeoutMs,
      ...options.liveness,
      probeName: PROBE_NAME,
    });
    this.reconnects = new ReconnectPolicy(
      options.reconnectToOtherHosts === true,
      options.maxReconnectWaitSec ?? DEFAULTS.maxReconnectWaitSec,
    );
    this.sessionHost = {
      clock: this.clock,
      log: this.log,
      pending: this.pending,
      liveness: this.liveness,
      emit: (event, payload) => this.emit(event, payload),
      warn: (message) => this.warn(message),
      reconnect: (request) => this.onReconnect(request),
    };
  }

  get connected(): boolean {
    return this.session !== null && !this.session.connection.closed;
  }

  /** True once the subscription gives work on the current connection. */
  get open(): boolean {
    return this.session?.open ?? false;
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
    return this.session?.info ?? null;
  }

  shareStats(): SubmitStats {
    return this.pending.stats();
  }

  /** What the liveness rule knows of this pool: whether it answers probes, its answer times, its batch size. */
  livenessSnapshot(): LivenessSnapshot {
    return this.liveness.snapshot();
  }

  /**
   * Connects, handshakes and waits for the first job. Rejects with Sv1ConnectError (TCP, DNS, TLS) or
   * Sv1ClientError (the pool refused, timed out or sent something unusable).
   */
  async connect(): Promise<Sv1SessionInfo> {
    this.closedByUser = false;
    return this.connectTo(this.endpoint.host, this.endpoint.port);
  }

  /**
   * Sends a share; returns its request id at once. Throws Sv1ClientError when it cannot be valid any more (see
   * Sv1Session.submitShare) or there is no open session.
   */
  submitShare(share: MinedShare): number {
    const session = this.session;
    if (session === null) throw new Sv1ClientError('not-connected', 'cannot submit a share: not connected to the pool');
    return session.submitShare(share);
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
    this.session?.connection.close('closed', reason);
    this.stopTimer();
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
    this.connections++;
    const session = new Sv1Session(
      connection,
      {
        host,
        port,
        tls: this.endpoint.tls,
        user: this.options.user,
        password: this.options.password ?? 'x',
        userAgent: this.options.userAgent,
        suggestDifficulty: this.options.suggestDifficulty ?? null,
        extranonceSubscribe: this.options.extranonceSubscribe === true || this.endpoint.extranonceSubscribe,
        setupTimeoutMs: this.options.setupTimeoutMs ?? DEFAULTS.setupTimeoutMs,
        epochBase: this.connections * 1_000_000,
      },
      this.sessionHost,
    );
    this.session = session;
    this.liveness.connected(this.clock.nowMs());
    connection.on('close', (info) => this.onClose(session, info));
    const opened = session.start();
    connection.start();
    this.startTimer();
    this.emit('connected', { host, port, tls: this.endpoint.tls });
    return opened;
  }

  private onReconnect(request: Reconnect): void {
    const session = this.session;
    if (session === null) return;
    const decision = this.reconnects.decide(request, { host: this.host, port: this.port }, this.clock.nowMs());
    if (decision.kind === 'ignore') {
      this.warn(decision.warning);
      return;
    }
    if (decision.kind === 'leave') {
      session.connection.close('reconnect-later', decision.reason);
      return;
    }
    if (decision.warning !== null) this.warn(decision.warning);
    const { host, port, waitMs } = decision;
    this.reconnecting = true;
    session.connection.close(
      'reconnect',
      `pool asked us to reconnect to ${host}:${port}${waitMs > 0 ? ` in ${waitMs / 1000} s` : ''}`,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connectTo(host, port).then(
        () => {
          this.reconnecting = false;
        },
        (err: unknown) => {
          this.reconnecting = false;
          // A close() during the attempt already reported the end.
          if (this.closedByUser) return;
          const e = err instanceof Error ? err : new Error(String(err));
          this.emit('disconnected', {
            code: 'reconnect-failed',
            reason: `reconnect to ${host}:${port} failed: ${e.message}`,
            error: e,
            willReconnect: false,
          });
        },
      );
    }, waitMs);
  }

  private startTimer(): void {
    this.stopTimer();
    this.timer = setInterval(() => this.checkLiveness(), this.options.checkIntervalMs ?? DEFAULTS.checkIntervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * One round of share timeouts and the liveness rule on an open session (the timer's, every `checkIntervalMs`;
   * a caller that moves a manual clock may run it at a known moment).
   */
  checkLiveness(): void {
    const now = this.clock.nowMs();
    const expired = this.pending.expire(now, this.options.shareTimeoutMs ?? DEFAULTS.shareTimeoutMs);
    if (expired > 0) this.emit('shareResult', { kind: 'timeout', count: expired });
    const session = this.session;
    if (session === null || !session.open) return;
    const action = this.liveness.check(now);
    if (action.kind === 'probe') {
      if (session.sendProbe()) this.liveness.probeSent(now);
      return;
    }
    if (action.kind !== 'dead') return;
    this.emit('stalled', action.verdict);
    session.connection.close('stalled', action.verdict.message);
  }

  private onClose(session: Sv1Session, info: Sv1CloseInfo): void {
    if (session !== this.session) return;
    this.session = null;
    session.closed(info.message);
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
    this.log.warn(message, { host: this.host, port: this.port });
    this.emit('warning', { message });
  }

  protected override onListenerError(event: string, err: unknown): void {
    // A consumer's bug must not kill the connection loop; report it and carry on.
    this.log.error(`a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}`);
  }
}

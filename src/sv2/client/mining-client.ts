/**
 * The mining-device side of Stratum V2: one encrypted connection to a pool, standard channels on it, and typed
 * events for the mining engine.
 *
 *   const client = new Sv2MiningClient({ url: 'sv2+tcp://pool:34254/9auq…', userIdentity: 'me.rig1',
 *                                        nominalHashRateHs: 1.2e12, device: { vendor: 'hashaxe', … } });
 *   client.on('prevHash', (e) => e.job && engine.switchTo(e.job));   // new block: drop everything else
 *   client.on('job', (e) => e.active && engine.switchTo(e.active));  // new work on the same block
 *   client.on('target', (e) => …);  client.on('shareResult', (r) => …);  client.on('disconnected', (d) => …);
 *   const channel = await client.connect();
 *   const seq = client.submitShare({ channelId, jobId, nonce, ntime, version });
 *
 * Order of events after connect: `connected`, `channelOpened`, then typically `job` (future) and `prevHash`
 * naming it. A job's `target` is fixed when it activates; `target` events apply to jobs activated later.
 */
import { targetToLimbs } from '../../bitcoin/index.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { MAX_TARGET, targetFromU256, targetToU256 } from '../channel/target.js';
import { BIP320_VERSION_MASK } from '../channel/version-rolling.js';
import { type Clock, systemClock } from '../clock.js';
import { Sv2ProtocolError } from '../codec/errors.js';
import type { Sv2Frame } from '../codec/frame.js';
import { type Sv2Logger, silentLogger } from '../logger.js';
import {
  PROTOCOL_MINING,
  Reconnect,
  SetupConnection,
  SetupConnectionError,
  SetupConnectionSuccess,
  SV2_PROTOCOL_VERSION,
} from '../messages/common.js';
import { REQUIRES_FIXED_VERSION, REQUIRES_STANDARD_JOBS, REQUIRES_VERSION_ROLLING } from '../messages/flags.js';
import {
  CloseChannel,
  NewMiningJob,
  OpenMiningChannelError,
  OpenStandardMiningChannel,
  OpenStandardMiningChannelSuccess,
  SetExtranoncePrefix,
  SetNewPrevHash,
  SetTarget,
  SubmitSharesError,
  type SubmitSharesStandard,
  SubmitSharesStandard as SubmitSharesStandardDef,
  SubmitSharesSuccess,
  UpdateChannel,
  UpdateChannelError,
} from '../messages/mining.js';
import { parseAuthorityKey } from '../noise/authority-key.js';
import { type ClockSyncCheck, DEFAULT_CERTIFICATE_LEEWAY_SEC } from '../noise/certificate.js';
import { type CloseInfo, type ConnectionLimits, Sv2ConnectError, Sv2Connection } from '../transport/connection.js';
import type { ActiveJob, ChainTip, MiningChannelInfo } from './channel.js';
import { PendingShares, type ResolvedShare, type ShareStats } from './pending-shares.js';
import { ShareAnswerWatch } from './share-answer-watch.js';
import { StandardChannelState } from './standard-channel.js';
import { parseSv2Url } from './url.js';

export interface DeviceInfo {
  /** Maker and firmware line (the spec requires it), e.g. "hashaxe". */
  vendor: string;
  hardwareVersion: string;
  firmware: string;
  /** Empty unless the device sends telemetry. */
  deviceId?: string;
}

export interface MiningClientOptions {
  /** `sv2+tcp://host:port[/authority-key]`. */
  url: string;
  /** Authority key (base58check or 32 raw bytes); overrides the one in the URL. */
  authorityKey?: string | Uint8Array;
  /**
   * Accept any server certificate when no authority key is configured (trust on first use). Only for a LAN;
   * without it a missing key is a configuration error.
   */
  allowUnauthenticated?: boolean;
  userIdentity: string;
  /** What the device really hashes; the pool derives the first target from it. */
  nominalHashRateHs: number;
  /** Easiest target the device can handle (default: any). */
  maxTarget?: bigint;
  device: DeviceInfo;
  /** Ask the pool to only send jobs that allow version rolling (SetupConnection flag). Default false. */
  requireVersionRolling?: boolean;
  /** Bits the device rolls when the pool allows it (default BIP320 0x1fffe000). */
  versionRollingMask?: number;
  clock?: Clock;
  certificateLeewaySec?: number;
  /**
   * Whether this machine's clock is synchronised: a certificate outside its window while it is not fails with
   * code 'clock-not-synchronised' (retry the same pool later) instead of 'certificate-not-yet-valid'.
   */
  clockSynchronised?: ClockSyncCheck;
  /** Connect + handshake. */
  handshakeTimeoutMs?: number;
  /** SetupConnection and OpenStandardMiningChannel answers. */
  setupTimeoutMs?: number;
  /**
   * A pool that sends no job, prev hash, target or share answer for this long is treated as stalled:
   * `stalled` is emitted and the connection is closed (code 'stalled') so the daemon can fail over. 0 = never.
   */
  stallTimeoutMs?: number;
  /** Pending shares with no answer after this long resolve as `timeout`. */
  shareTimeoutMs?: number;
  /**
   * A pool that still sends work but has answered none of the shares submitted over this long (and at least
   * 20, or twice its largest acknowledgement batch) is treated as stalled too (see share-answer-watch.ts).
   * Default 10 min; 0 = never.
   */
  unansweredSharesTimeoutMs?: number;
  /** How often the stall and share timeouts are checked. */
  checkIntervalMs?: number;
  /** Follow the pool's Reconnect message (same authority key). Default true. */
  followReconnect?: boolean;
  maxPayloadBytes?: number;
  logger?: Sv2Logger;
}

export interface ConnectedEvent {
  host: string;
  port: number;
  /** The pool's static key, authenticated by its certificate (when an authority key was configured). */
  serverStaticKey: Uint8Array;
  authenticated: boolean;
  usedVersion: number;
  /** Server flags from SetupConnection.Success (only REQUIRES_FIXED_VERSION and REQUIRES_EXTENDED_CHANNELS mean anything). */
  serverFlags: number;
}

export interface JobEvent {
  channelId: number;
  jobId: number;
  /** True when the job arrived without min_ntime: it waits for a SetNewPrevHash naming it. */
  future: boolean;
  version: number;
  merkleRoot: Uint8Array;
  /** Set for a job active right away (it replaces the current job on the same prev hash). */
  active: ActiveJob | null;
}

export interface PrevHashEvent {
  channelId: number;
  tip: ChainTip;
  /** The job this prev hash activates; null when it names a job we never received (nothing to mine yet). */
  job: ActiveJob | null;
}

export interface TargetEvent {
  channelId: number;
  target: bigint;
  targetLimbs: Uint32Array;
  difficulty: number;
}

export type ShareResultEvent =
  | {
      kind: 'accepted';
      channelId: number;
      lastSequenceNumber: number;
      newSubmitsAcceptedCount: number;
      newSharesSum: bigint;
      /** The pending shares this Success resolved (may be empty when they were already given up). */
      shares: ResolvedShare[];
    }
  | { kind: 'rejected'; channelId: number; sequenceNumber: number; errorCode: string; share: ResolvedShare | null }
  | { kind: 'timeout'; shares: ResolvedShare[] }
  | { kind: 'lost'; shares: ResolvedShare[] };

export type DisconnectCode =
  | 'closed'
  | 'stalled'
  | 'reconnect'
  | 'reconnect-failed'
  | 'protocol-error'
  | 'peer-closed'
  | 'socket-error'
  | 'frame-auth-failed'
  | 'frame-too-large'
  | (string & {});

export interface DisconnectedEvent {
  code: DisconnectCode;
  reason: string;
  error?: Error;
  /** True when the client is about to connect again by itself (pool-requested Reconnect). */
  willReconnect: boolean;
}

export interface StalledEvent {
  /** `silent`: nothing at all from the pool; `unanswered-shares`: work still comes, share answers do not. */
  reason: 'silent' | 'unanswered-shares';
  silentForMs: number;
  lastActivityAtMs: number;
  /** Shares submitted since the pool last answered one (0 for `silent`). */
  unansweredShares: number;
}

export interface ChannelClosedEvent {
  channelId: number;
  reason: string;
}

export interface WarningEvent {
  message: string;
}

export interface MiningClientEvents {
  connected: ConnectedEvent;
  channelOpened: MiningChannelInfo;
  job: JobEvent;
  prevHash: PrevHashEvent;
  target: TargetEvent;
  shareResult: ShareResultEvent;
  channelClosed: ChannelClosedEvent;
  stalled: StalledEvent;
  disconnected: DisconnectedEvent;
  warning: WarningEvent;
  /** Every decrypted frame, before it is decoded and acted on (tracing and latency measurement). */
  frame: FrameEvent;
}

export interface FrameEvent {
  extensionType: number;
  msgType: number;
  payloadBytes: number;
}

export type Sv2ClientErrorCode =
  | 'config'
  | 'not-connected'
  | 'unknown-channel'
  | 'setup-rejected'
  | 'channel-rejected'
  | 'timeout'
  | 'disconnected';

/** A client-level failure: configuration, the pool saying no, or the connection going away. */
export class Sv2ClientError extends Error {
  override readonly name = 'Sv2ClientError';
  constructor(
    readonly code: Sv2ClientErrorCode,
    message: string,
    /** The pool's error code when it refused (SetupConnection.Error / OpenMiningChannel.Error). */
    readonly poolErrorCode: string | null = null,
  ) {
    super(message);
  }
}

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULTS = {
  setupTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  stallTimeoutMs: 180_000,
  shareTimeoutMs: 120_000,
  unansweredSharesTimeoutMs: 600_000,
  checkIntervalMs: 1_000,
};

export class Sv2MiningClient extends TypedEmitter<MiningClientEvents> {
  private readonly clock: Clock;
  private readonly log: Sv2Logger;
  private readonly authorityKey: Uint8Array | null;
  private host: string;
  private port: number;
  private connection: Sv2Connection | null = null;
  private readonly channels = new Map<number, StandardChannelState>();
  private readonly pending = new PendingShares();
  private readonly answerWatch: ShareAnswerWatch;
  private nextRequestId = 1;
  private setupWaiter: Waiter<SetupConnectionSuccess> | null = null;
  private readonly openWaiters = new Map<number, Waiter<StandardChannelState>>();
  private serverFlags = 0;
  private lastActivityMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private closedByUser = false;
  /** Cancels the TCP connect + handshake in progress, so close() does not wait for the handshake timeout. */
  private connecting: AbortController | null = null;
  private reconnecting = false;
  private readonly reconnectTimes: number[] = [];
  /** Reused for every SubmitSharesStandard: the hot path allocates no message object. */
  private readonly shareMsg: SubmitSharesStandard = {
    channelId: 0,
    sequenceNumber: 0,
    jobId: 0,
    nonce: 0,
    ntime: 0,
    version: 0,
  };

  constructor(private readonly options: MiningClientOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.answerWatch = new ShareAnswerWatch(options.unansweredSharesTimeoutMs ?? DEFAULTS.unansweredSharesTimeoutMs);
    let endpoint: ReturnType<typeof parseSv2Url>;
    try {
      endpoint = parseSv2Url(options.url);
    } catch (err) {
      throw new Sv2ClientError('config', err instanceof Error ? err.message : String(err));
    }
    this.host = endpoint.host;
    this.port = endpoint.port;
    let key = endpoint.authorityKey;
    if (options.authorityKey !== undefined) {
      try {
        key =
          typeof options.authorityKey === 'string'
            ? parseAuthorityKey(options.authorityKey)
            : options.authorityKey.slice();
      } catch (err) {
        throw new Sv2ClientError('config', err instanceof Error ? err.message : String(err));
      }
      if (key.length !== 32) throw new Sv2ClientError('config', 'authority key must be a 32-byte x-only key');
    }
    if (key === null && !options.allowUnauthenticated) {
      throw new Sv2ClientError(
        'config',
        `no authority key for ${this.host}:${this.port}: add it to the URL (sv2+tcp://host:port/<key>) or set ` +
          'allowUnauthenticated for a pool on your own LAN',
      );
    }
    if (!Number.isFinite(options.nominalHashRateHs) || options.nominalHashRateHs < 0) {
      throw new Sv2ClientError('config', `nominal hash rate must be ≥ 0 H/s, got ${options.nominalHashRateHs}`);
    }
    this.authorityKey = key;
  }

  get connected(): boolean {
    return this.connection !== null && !this.connection.closed;
  }

  /** True when the pool's certificate is checked against an authority key (not trust on first use). */
  get authenticated(): boolean {
    return this.authorityKey !== null;
  }

  /** Where the client connects (changes after a pool-requested Reconnect). */
  get endpoint(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }

  /** Open channels (snapshots). */
  channelInfos(): MiningChannelInfo[] {
    return [...this.channels.values()].map((c) => c.info());
  }

  /** The job currently active on a channel, if any. */
  activeJob(channelId: number): ActiveJob | null {
    return this.channels.get(channelId)?.active ?? null;
  }

  /** The target the pool applies to shares of `jobId` (undefined when the job is not valid any more). */
  targetForJob(channelId: number, jobId: number): bigint | undefined {
    return this.channels.get(channelId)?.jobForShare(jobId)?.target;
  }

  shareStats(): ShareStats {
    return this.pending.stats();
  }

  /**
   * Connects, authenticates the pool, sets up the mining protocol and opens one standard channel.
   * Rejects with Sv2ConnectError (TCP/handshake/certificate; see `.cause`) or Sv2ClientError.
   */
  async connect(): Promise<MiningChannelInfo> {
    this.closedByUser = false;
    const channel = await this.connectAndOpen(this.options.userIdentity, this.options.nominalHashRateHs);
    return channel.info();
  }

  private async connectAndOpen(userIdentity: string, nominalHashRateHs: number): Promise<StandardChannelState> {
    if (this.connected) throw new Sv2ClientError('config', 'already connected');
    const limits: Partial<ConnectionLimits> = {
      handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
    };
    if (this.options.maxPayloadBytes !== undefined) limits.maxPayloadBytes = this.options.maxPayloadBytes;
    const attempt = new AbortController();
    this.connecting = attempt;
    let opened: Awaited<ReturnType<typeof Sv2Connection.connect>>;
    try {
      opened = await Sv2Connection.connect({
        host: this.host,
        port: this.port,
        initiator: {
          authorityKey: this.authorityKey,
          nowSec: () => this.clock.nowMs() / 1000,
          certificateLeewaySec: this.options.certificateLeewaySec ?? DEFAULT_CERTIFICATE_LEEWAY_SEC,
          ...(this.options.clockSynchronised !== undefined
            ? { clockSynchronised: this.options.clockSynchronised }
            : {}),
        },
        limits,
        signal: attempt.signal,
      });
    } finally {
      if (this.connecting === attempt) this.connecting = null;
    }
    const { connection, handshake } = opened;
    if (attempt.signal.aborted) {
      // close() ran between the handshake finishing and this line: honour it.
      connection.close('closed', 'closed by the device');
      throw new Sv2ConnectError('aborted', `connecting to ${this.host}:${this.port} was cancelled`);
    }
    this.connection = connection;
    this.channels.clear();
    this.answerWatch.reset();
    connection.on('frame', (frame) => this.onFrame(connection, frame));
    connection.on('close', (info) => this.onClose(connection, info));
    connection.start();
    this.touch();
    this.startTimer();
    const flags = REQUIRES_STANDARD_JOBS | (this.options.requireVersionRolling ? REQUIRES_VERSION_ROLLING : 0);
    const device = this.options.device;
    const setup = this.waitFor<SetupConnectionSuccess>((w) => {
      this.setupWaiter = w;
    }, 'SetupConnection');
    connection.send(SetupConnection, {
      protocol: PROTOCOL_MINING,
      minVersion: SV2_PROTOCOL_VERSION,
      maxVersion: SV2_PROTOCOL_VERSION,
      flags,
      endpointHost: this.host,
      endpointPort: this.port,
      vendor: device.vendor,
      hardwareVersion: device.hardwareVersion,
      firmware: device.firmware,
      deviceId: device.deviceId ?? '',
    });
    const success = await setup;
    this.serverFlags = success.flags;
    this.emit('connected', {
      host: this.host,
      port: this.port,
      serverStaticKey: handshake.serverStaticKey,
      authenticated: this.authorityKey !== null,
      usedVersion: success.usedVersion,
      serverFlags: success.flags,
    });
    return this.openStandardChannel(userIdentity, nominalHashRateHs);
  }

  /** Opens another standard channel on this connection. */
  async openStandardChannel(userIdentity: string, nominalHashRateHs: number): Promise<StandardChannelState> {
    const connection = this.requireConnection();
    const requestId = this.nextRequestId++ >>> 0;
    const opened = this.waitFor<StandardChannelState>((w) => {
      this.openWaiters.set(requestId, w);
    }, 'OpenStandardMiningChannel');
    connection.send(OpenStandardMiningChannel, {
      requestId,
      userIdentity,
      nominalHashRate: nominalHashRateHs,
      maxTarget: targetToU256(this.options.maxTarget ?? MAX_TARGET),
    });
    return opened;
  }

  /**
   * Submits a share; returns its sequence number at once. The hot path: the message object is reused and the
   * frame is encoded and encrypted in place. Throws Sv2ClientError when not connected or the channel is unknown.
   */
  submitShare(share: { channelId: number; jobId: number; nonce: number; ntime: number; version: number }): number {
    const connection = this.connection;
    if (connection === null || connection.closed) {
      throw new Sv2ClientError('not-connected', 'cannot submit a share: not connected to the pool');
    }
    const channel = this.channels.get(share.channelId);
    if (channel === undefined) {
      throw new Sv2ClientError('unknown-channel', `cannot submit a share: no open channel ${share.channelId}`);
    }
    const seq = channel.nextSequenceNumber;
    channel.nextSequenceNumber = (seq + 1) >>> 0;
    const m = this.shareMsg;
    m.channelId = share.channelId;
    m.sequenceNumber = seq;
    m.jobId = share.jobId;
    m.nonce = share.nonce >>> 0;
    m.ntime = share.ntime >>> 0;
    m.version = share.version >>> 0;
    connection.send(SubmitSharesStandardDef, m);
    const now = this.clock.nowMs();
    this.answerWatch.submitted(now);
    this.pending.add({
      channelId: share.channelId,
      sequenceNumber: seq,
      jobId: share.jobId,
      nonce: m.nonce,
      ntime: m.ntime,
      version: m.version,
      target: channel.jobForShare(share.jobId)?.target ?? channel.target,
      submittedAtMs: now,
    });
    return seq;
  }

  /** Tells the pool the device's hash rate changed a lot (it answers with SetTarget). */
  updateNominalHashRate(channelId: number, nominalHashRateHs: number): void {
    const channel = this.channels.get(channelId);
    if (channel === undefined) throw new Sv2ClientError('unknown-channel', `no open channel ${channelId}`);
    channel.nominalHashRateHs = nominalHashRateHs;
    this.requireConnection().send(UpdateChannel, {
      channelId,
      nominalHashRate: nominalHashRateHs,
      maximumTarget: targetToU256(this.options.maxTarget ?? MAX_TARGET),
    });
  }

  closeChannel(channelId: number, reason = 'closed by device'): void {
    if (!this.channels.delete(channelId)) return;
    this.connection?.send(CloseChannel, { channelId, reasonCode: reason });
    this.emit('channelClosed', { channelId, reason });
  }

  /** Closes the connection for good (no reconnect); a connect() in progress rejects at once (Sv2ConnectError 'aborted'). */
  close(reason = 'closed by the device'): void {
    this.closedByUser = true;
    this.connecting?.abort();
    this.connection?.close('closed', reason);
    this.stopTimer();
  }

  private requireConnection(): Sv2Connection {
    if (this.connection === null || this.connection.closed) {
      throw new Sv2ClientError('not-connected', 'not connected to the pool');
    }
    return this.connection;
  }

  private waitFor<T>(register: (w: Waiter<T>) => void, what: string): Promise<T> {
    const ms = this.options.setupTimeoutMs ?? DEFAULTS.setupTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Sv2ClientError('timeout', `no answer to ${what} within ${ms} ms`));
        this.connection?.close('timeout', `no answer to ${what} within ${ms} ms`);
      }, ms);
      register({ resolve, reject, timer });
    });
  }

  private touch(): void {
    this.lastActivityMs = this.clock.nowMs();
  }

  private startTimer(): void {
    this.stopTimer();
    const interval = this.options.checkIntervalMs ?? DEFAULTS.checkIntervalMs;
    this.timer = setInterval(() => this.check(), interval);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    const now = this.clock.nowMs();
    const expired = this.pending.expire(now, this.options.shareTimeoutMs ?? DEFAULTS.shareTimeoutMs);
    if (expired.length > 0) this.emit('shareResult', { kind: 'timeout', shares: expired });
    const stall = this.options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs;
    const conn = this.connection;
    if (conn === null || conn.closed) return;
    const silentForMs = now - this.lastActivityMs;
    if (stall > 0 && silentForMs >= stall) {
      this.emit('stalled', {
        reason: 'silent',
        silentForMs,
        lastActivityAtMs: this.lastActivityMs,
        unansweredShares: 0,
      });
      conn.close(
        'stalled',
        `pool sent no job, prev hash, target or share answer for ${Math.round(silentForMs / 1000)} s`,
      );
      return;
    }
    const unanswered = this.answerWatch.check(now);
    if (unanswered > 0) {
      this.emit('stalled', {
        reason: 'unanswered-shares',
        silentForMs,
        lastActivityAtMs: this.lastActivityMs,
        unansweredShares: unanswered,
      });
      conn.close('stalled', `pool answered none of the last ${unanswered} shares, though it still sends work`);
    }
  }

  private warn(message: string): void {
    this.log.warn(message, { host: this.host, port: this.port });
    this.emit('warning', { message });
  }

  private onFrame(connection: Sv2Connection, frame: Sv2Frame): void {
    if (connection !== this.connection) return;
    const { header, payload } = frame;
    if (this.listenerCount('frame') > 0) {
      this.emit('frame', {
        extensionType: header.extensionType,
        msgType: header.msgType,
        payloadBytes: payload.length,
      });
    }
    if (header.extensionType !== 0) {
      // Unknown extensions: the spec says drop (a device never forwards by channel).
      this.log.debug('dropping a frame of an extension we did not negotiate', { extension: header.extensionType });
      return;
    }
    try {
      this.dispatch(header.msgType, payload);
    } catch (err) {
      if (err instanceof Sv2ProtocolError) {
        connection.close('protocol-error', `pool sent a malformed message: ${err.message}`, err);
        return;
      }
      throw err;
    }
  }

  private dispatch(msgType: number, payload: Uint8Array): void {
    const now = this.clock.nowMs();
    switch (msgType) {
      case SetupConnectionSuccess.msgType: {
        const msg = SetupConnectionSuccess.decode(payload);
        const w = this.takeSetupWaiter();
        if (w) w.resolve(msg);
        return;
      }
      case SetupConnectionError.msgType: {
        const msg = SetupConnectionError.decode(payload);
        const w = this.takeSetupWaiter();
        const text = `pool refused SetupConnection: ${msg.errorCode}${msg.flags ? ` (unsupported flags 0x${msg.flags.toString(16)})` : ''}`;
        w?.reject(new Sv2ClientError('setup-rejected', text, msg.errorCode));
        this.connection?.close('setup-rejected', text);
        return;
      }
      case OpenStandardMiningChannelSuccess.msgType: {
        const msg = OpenStandardMiningChannelSuccess.decode(payload);
        const w = this.openWaiters.get(msg.requestId);
        if (w === undefined) {
          this.warn(`OpenStandardMiningChannel.Success for request ${msg.requestId} we did not send`);
          return;
        }
        this.openWaiters.delete(msg.requestId);
        clearTimeout(w.timer);
        const fixed = (this.serverFlags & REQUIRES_FIXED_VERSION) !== 0;
        const mask = this.options.versionRollingMask ?? BIP320_VERSION_MASK;
        const channel = new StandardChannelState(
          msg.channelId,
          msg.requestId,
          this.options.userIdentity,
          msg.extranoncePrefix.slice(),
          msg.groupChannelId,
          targetFromU256(msg.target),
          { allowed: !fixed, mask: fixed ? 0 : mask },
          this.options.nominalHashRateHs,
        );
        this.channels.set(msg.channelId, channel);
        this.touch();
        this.emit('channelOpened', channel.info());
        w.resolve(channel);
        return;
      }
      case OpenMiningChannelError.msgType: {
        const msg = OpenMiningChannelError.decode(payload);
        const w = this.openWaiters.get(msg.requestId);
        this.openWaiters.delete(msg.requestId);
        if (w) {
          clearTimeout(w.timer);
          w.reject(new Sv2ClientError('channel-rejected', `pool refused the channel: ${msg.errorCode}`, msg.errorCode));
        }
        return;
      }
      case NewMiningJob.msgType: {
        const msg = NewMiningJob.decode(payload);
        const channel = this.channelFor(msg.channelId, 'NewMiningJob');
        if (channel === undefined) return;
        this.touch();
        const outcome = channel.onNewMiningJob(msg, now);
        if (outcome.kind === 'ignored') {
          this.warn(`channel ${msg.channelId} job ${msg.jobId} ignored: ${outcome.reason}`);
          return;
        }
        this.emit('job', {
          channelId: msg.channelId,
          jobId: msg.jobId,
          future: msg.minNtime === null,
          version: msg.version,
          merkleRoot: msg.merkleRoot,
          active: outcome.kind === 'active' ? outcome.job : null,
        });
        return;
      }
      case SetNewPrevHash.msgType: {
        const msg = SetNewPrevHash.decode(payload);
        const channel = this.channelFor(msg.channelId, 'SetNewPrevHash');
        if (channel === undefined) return;
        this.touch();
        const outcome = channel.onSetNewPrevHash(msg, now);
        if (outcome.reason)
          this.warn(`channel ${msg.channelId}: ${outcome.reason}; old work is stale, waiting for a job`);
        this.emit('prevHash', { channelId: msg.channelId, tip: outcome.tip, job: outcome.job });
        return;
      }
      case SetTarget.msgType: {
        const msg = SetTarget.decode(payload);
        const channel = this.channelFor(msg.channelId, 'SetTarget');
        if (channel === undefined) return;
        this.touch();
        let target = channel.onSetTarget(msg);
        const max = this.options.maxTarget ?? MAX_TARGET;
        if (target > max) {
          this.warn(`pool set a target easier than our max_target on channel ${msg.channelId}; using max_target`);
          channel.setTarget(max);
          target = max;
        }
        this.emit('target', {
          channelId: msg.channelId,
          target,
          targetLimbs: targetToLimbs(target),
          difficulty: channel.difficulty,
        });
        return;
      }
      case SubmitSharesSuccess.msgType: {
        const msg = SubmitSharesSuccess.decode(payload);
        this.touch();
        const shares = this.pending.acceptUpTo(msg.channelId, msg.lastSequenceNumber, now);
        this.answerWatch.answered(msg.newSubmitsAcceptedCount);
        this.emit('shareResult', {
          kind: 'accepted',
          channelId: msg.channelId,
          lastSequenceNumber: msg.lastSequenceNumber,
          newSubmitsAcceptedCount: msg.newSubmitsAcceptedCount,
          newSharesSum: msg.newSharesSum,
          shares,
        });
        return;
      }
      case SubmitSharesError.msgType: {
        const msg = SubmitSharesError.decode(payload);
        this.touch();
        const share = this.pending.reject(msg.channelId, msg.sequenceNumber, msg.errorCode, now);
        this.answerWatch.answered(0);
        this.emit('shareResult', {
          kind: 'rejected',
          channelId: msg.channelId,
          sequenceNumber: msg.sequenceNumber,
          errorCode: msg.errorCode,
          share,
        });
        return;
      }
      case SetExtranoncePrefix.msgType: {
        const msg = SetExtranoncePrefix.decode(payload);
        const channel = this.channelFor(msg.channelId, 'SetExtranoncePrefix');
        if (channel) channel.extranoncePrefix = msg.extranoncePrefix.slice();
        return;
      }
      case CloseChannel.msgType: {
        const msg = CloseChannel.decode(payload);
        if (this.channels.delete(msg.channelId)) {
          this.emit('channelClosed', { channelId: msg.channelId, reason: msg.reasonCode });
        }
        return;
      }
      case UpdateChannelError.msgType: {
        const msg = UpdateChannelError.decode(payload);
        this.warn(`pool refused UpdateChannel on channel ${msg.channelId}: ${msg.errorCode}`);
        return;
      }
      case Reconnect.msgType: {
        const msg = Reconnect.decode(payload);
        this.onReconnect(msg.newHost, msg.newPort);
        return;
      }
      default:
        // Messages a standard-jobs device should not get (extended jobs, group channels, JD/TD): log, carry on.
        this.log.debug('ignoring message', { msgType });
    }
  }

  private channelFor(channelId: number, what: string): StandardChannelState | undefined {
    const channel = this.channels.get(channelId);
    if (channel === undefined) this.warn(`${what} for channel ${channelId}, which is not open here; ignored`);
    return channel;
  }

  private takeSetupWaiter(): Waiter<SetupConnectionSuccess> | null {
    const w = this.setupWaiter;
    this.setupWaiter = null;
    if (w) clearTimeout(w.timer);
    return w;
  }

  private onReconnect(newHost: string, newPort: number): void {
    if (this.options.followReconnect === false) {
      this.warn('pool asked us to reconnect; following Reconnect is disabled');
      return;
    }
    const now = this.clock.nowMs();
    while (this.reconnectTimes.length > 0 && now - this.reconnectTimes[0] > 60_000) this.reconnectTimes.shift();
    if (this.reconnectTimes.length >= 3) {
      this.warn('pool asked to reconnect more than 3 times in a minute; ignoring to avoid a reconnect storm');
      return;
    }
    this.reconnectTimes.push(now);
    const host = newHost === '' ? this.host : newHost;
    const port = newPort === 0 ? this.port : newPort;
    const reopen = [...this.channels.values()].map((c) => ({ user: c.userIdentity, rate: c.nominalHashRateHs }));
    this.reconnecting = true;
    this.connection?.close('reconnect', `pool asked us to reconnect to ${host}:${port}`);
    this.host = host;
    this.port = port;
    void (async () => {
      try {
        const first = reopen[0] ?? { user: this.options.userIdentity, rate: this.options.nominalHashRateHs };
        await this.connectAndOpen(first.user, first.rate);
        for (const extra of reopen.slice(1)) await this.openStandardChannel(extra.user, extra.rate);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        this.emit('disconnected', {
          code: 'reconnect-failed',
          reason: `reconnect to ${host}:${port} failed: ${e.message}`,
          error: e,
          willReconnect: false,
        });
      } finally {
        this.reconnecting = false;
      }
    })();
  }

  private onClose(connection: Sv2Connection, info: CloseInfo): void {
    if (connection !== this.connection) return;
    const error = new Sv2ClientError('disconnected', `connection to ${this.host}:${this.port} closed: ${info.message}`);
    const setup = this.takeSetupWaiter();
    setup?.reject(error);
    for (const w of this.openWaiters.values()) {
      clearTimeout(w.timer);
      w.reject(error);
    }
    this.openWaiters.clear();
    this.channels.clear();
    const lost = this.pending.loseAll(this.clock.nowMs());
    if (lost.length > 0) this.emit('shareResult', { kind: 'lost', shares: lost });
    if (!this.reconnecting) this.stopTimer();
    this.emit('disconnected', {
      code: info.code,
      reason: info.message,
      error: info.error,
      willReconnect: this.reconnecting && !this.closedByUser,
    });
  }

  protected override onListenerError(event: string, err: unknown): void {
    // A consumer's bug must not kill the connection loop; report it and carry on.
    this.log.error(`a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}`);
  }
}

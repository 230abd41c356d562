/**
 * The mining-device side of Stratum V2: one encrypted connection to a pool, an extended or a standard channel on
 * it (or several, grouped by the pool), and typed events for the mining engine.
 *
 *   const client = new Sv2MiningClient({ url: 'sv2+tcp://pool:34254/9auq…', userIdentity: 'me.rig1',
 *                                        nominalHashRateHs: 1.2e12, device: { vendor: 'hashaxe', … } });
 *   client.on('prevHash', (e) => e.job && engine.newTip(e.job));   // new block: drop everything else
 *   client.on('job', (e) => e.active && engine.activeJob(e.active)); // new work on the same block
 *   client.on('target', (e) => …);  client.on('shareResult', (r) => …);  client.on('disconnected', (d) => …);
 *   const channel = await client.connect();
 *   const seq = client.submitShare({ channelId, jobId, nonce, ntime, version, extranonce });
 *
 * Order of events after connect: `connected`, `channelOpened`, then typically `job` (future) and `prevHash`
 * naming it. A job's `target` is fixed when it activates; `target` events apply to jobs activated later. A job,
 * prev hash or target addressed to a group reaches every member channel: one event per member.
 *
 * The parts: the connection supervisor (this file: connect with the channel choice's fallback, setup, reconnect,
 * close) with liveness-watch.ts (is the pool alive, src/mining/pool-liveness.ts; its probe's answer and the share
 * answers in answer-messages.ts); the dispatcher (mining-dispatcher.ts: message type →
 * handler); the channels (channel-opener.ts: open requests and answers; channel-state.ts: jobs per channel;
 * channel-registry.ts: which channels a group id reaches; channel-messages.ts: jobs, prev hashes, targets,
 * prefixes and groups applied to them); and the shares (share-sender.ts: the submit hot path;
 * pending-shares.ts: what became of each share).
 */

import type { LivenessSnapshot } from '../../mining/pool-liveness.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { MAX_TARGET, targetToU256 } from '../channel/target.js';
import { BIP323_VERSION_MASK } from '../channel/version-rolling.js';
import { type Clock, systemClock } from '../clock.js';
import { Sv2ProtocolError } from '../codec/errors.js';
import type { Sv2Frame } from '../codec/frame.js';
import { type Sv2Logger, silentLogger } from '../logger.js';
import {
  type ChannelEndpointChanged,
  PROTOCOL_MINING,
  type Reconnect,
  SetupConnection,
  type SetupConnectionError,
  type SetupConnectionSuccess,
  SV2_PROTOCOL_VERSION,
} from '../messages/common.js';
import {
  REQUIRES_EXTENDED_CHANNELS,
  REQUIRES_FIXED_VERSION,
  REQUIRES_STANDARD_JOBS,
  REQUIRES_VERSION_ROLLING,
} from '../messages/flags.js';
import {
  CloseChannel,
  type OpenExtendedMiningChannelSuccess,
  type OpenMiningChannelError,
  type OpenStandardMiningChannelSuccess,
  UpdateChannel,
} from '../messages/mining.js';
import { DEFAULT_CERTIFICATE_LEEWAY_SEC } from '../noise/certificate.js';
import { type CloseInfo, type ConnectionLimits, Sv2ConnectError, Sv2Connection } from '../transport/connection.js';
import { answerMessageHandlers } from './answer-messages.js';
import type { ActiveJob, ChannelKind, MiningChannelInfo } from './channel.js';
import { channelMessageHandlers } from './channel-messages.js';
import { ChannelOpener, type ChannelRequest } from './channel-opener.js';
import { ChannelRegistry } from './channel-registry.js';
import type { ChannelState } from './channel-state.js';
import { checkClientOptions } from './client-options.js';
import { LivenessWatch } from './liveness-watch.js';
import {
  type ChannelChoice,
  type MiningClientEvents,
  type MiningClientOptions,
  Sv2ClientError,
} from './mining-client-types.js';
import { dispatchMiningMessage, type MiningClientHandlers } from './mining-dispatcher.js';
import { PendingShares, type ShareStats } from './pending-shares.js';
import { ShareSender, type ShareToSubmit } from './share-sender.js';

export * from './mining-client-types.js';

interface Waiter<T> {
  resolve: (v: T) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const DEFAULTS = {
  setupTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  stallTimeoutMs: 180_000,
  workTimeoutMs: 600_000,
  shareTimeoutMs: 120_000,
  unansweredSharesTimeoutMs: 600_000,
  checkIntervalMs: 1_000,
};

export type { ShareToSubmit } from './share-sender.js';

export class Sv2MiningClient extends TypedEmitter<MiningClientEvents> {
  private readonly clock: Clock;
  private readonly log: Sv2Logger;
  private readonly authorityKey: Uint8Array | null;
  private readonly choice: ChannelChoice;
  /** `auto`: the kind tried first (the one that worked last). */
  private preferred: ChannelKind;
  private host: string;
  private port: number;
  private connection: Sv2Connection | null = null;
  private readonly channels = new ChannelRegistry();
  private readonly pending = new PendingShares();
  private readonly liveness: LivenessWatch;
  private readonly handlers: MiningClientHandlers;
  private readonly opener: ChannelOpener;
  private readonly shares: ShareSender;
  private setupWaiter: Waiter<SetupConnectionSuccess> | null = null;
  private serverFlags = 0;
  /** REQUIRES_VERSION_ROLLING is asked for (cleared after a pool refused it: see connectOrClose). */
  private askVersionRolling: boolean;
  /** The flags a SetupConnection.Error named as unsupported (0 when none). */
  private refusedFlags = 0;
  private closedByUser = false;
  /** A connection closed on purpose to try the other channel kind: its close is not news. */
  private quietClose: Sv2Connection | null = null;
  /** Cancels the TCP connect + handshake in progress, so close() does not wait for the handshake timeout. */
  private connecting: AbortController | null = null;
  private reconnecting = false;
  private readonly reconnectTimes: number[] = [];
  constructor(private readonly options: MiningClientOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    const checked = checkClientOptions(options);
    this.choice = checked.choice;
    this.preferred = this.choice === 'standard' ? 'standard' : 'extended';
    this.askVersionRolling = options.requireVersionRolling === true;
    this.liveness = new LivenessWatch(
      {
        clock: this.clock,
        stallTimeoutMs: options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
        workTimeoutMs: options.workTimeoutMs ?? DEFAULTS.workTimeoutMs,
        shareTimeoutMs: options.shareTimeoutMs ?? DEFAULTS.shareTimeoutMs,
        unansweredSharesTimeoutMs: options.unansweredSharesTimeoutMs ?? DEFAULTS.unansweredSharesTimeoutMs,
        checkIntervalMs: options.checkIntervalMs ?? DEFAULTS.checkIntervalMs,
        ...options.liveness,
      },
      this.pending,
      {
        expired: (shares) => this.emit('shareResult', { kind: 'timeout', shares }),
        connected: () => this.connected,
        probe: (channelId) => this.sendProbe(channelId),
        stalled: (verdict) => {
          this.emit('stalled', verdict);
          this.connection?.close('stalled', verdict.message);
        },
      },
    );
    this.handlers = this.makeHandlers();
    this.shares = new ShareSender(this.clock, this.pending, this.liveness);
    this.opener = new ChannelOpener({
      timeoutMs: options.setupTimeoutMs ?? DEFAULTS.setupTimeoutMs,
      ...(options.maxTarget !== undefined ? { maxTarget: options.maxTarget } : {}),
      minExtranonceSize: checked.minExtranonceSize,
      onTimeout: (message) => this.connection?.close('timeout', message),
    });
    this.host = checked.host;
    this.port = checked.port;
    this.authorityKey = checked.authorityKey;
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

  /** The channel choice as configured (`auto`, `extended` or `standard`). */
  get channelChoice(): ChannelChoice {
    return this.choice;
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

  /** What the liveness rule knows of this pool: whether it answers probes, its answer times, its batch size. */
  livenessSnapshot(): LivenessSnapshot {
    return this.liveness.snapshot();
  }

  /**
   * One round of the liveness and share-timeout checks, as the client's timer runs it every `checkIntervalMs`
   * (for a caller that moves a manual clock and wants the round at a known moment).
   */
  checkLiveness(): void {
    this.liveness.check();
  }

  /**
   * Connects, authenticates the pool, sets up the mining protocol and opens one channel of the configured kind
   * (`auto`: extended, then standard if the pool refuses it, or the other way round).
   * Rejects with Sv2ConnectError (TCP/handshake/certificate; see `.cause`) or Sv2ClientError.
   */
  async connect(): Promise<MiningChannelInfo> {
    this.closedByUser = false;
    const kind = this.choice === 'auto' ? this.preferred : this.choice;
    const channel = await this.connectWithFallback({
      kind,
      userIdentity: this.options.userIdentity,
      nominalHashRateHs: this.options.nominalHashRateHs,
    });
    return channel.info();
  }

  /** Connects and opens `request`; with `auto`, a refusal of that kind is followed by a try of the other. */
  private async connectWithFallback(request: ChannelRequest): Promise<ChannelState> {
    if (this.choice !== 'auto') return this.connectOrClose(request);
    const first = request.kind;
    const second: ChannelKind = first === 'extended' ? 'standard' : 'extended';
    try {
      const channel = await this.connectAndOpen(request);
      this.preferred = first;
      return channel;
    } catch (err) {
      if (!(err instanceof Sv2ClientError) || err.code !== 'channel-rejected' || this.closedByUser) throw err;
      this.warn(`pool refused an ${first} channel (${err.message}); trying a ${second} channel`);
      this.quietClose = this.connection;
      this.connection?.close('closed', `switching to a ${second} channel`);
      try {
        const channel = await this.connectOrClose({ ...request, kind: second });
        this.preferred = second;
        return channel;
      } catch (err2) {
        if (err2 instanceof Sv2ClientError && err2.code === 'channel-rejected') {
          throw new Sv2ClientError(
            'channel-rejected',
            `pool refused both channel kinds: ${first}: ${err.message}; ${second}: ${err2.message}`,
            err2.poolErrorCode,
          );
        }
        throw err2;
      }
    }
  }

  /**
   * connectAndOpen, closing the connection when the pool refused the channel (nothing to mine on it). A pool that
   * refuses REQUIRES_VERSION_ROLLING (it only offers fixed versions) is asked once more without it: mining with a
   * fixed version is less efficient for chips that roll versions themselves, but better than not mining there.
   */
  private async connectOrClose(request: ChannelRequest): Promise<ChannelState> {
    try {
      return await this.connectAndOpen(request);
    } catch (err) {
      if (
        err instanceof Sv2ClientError &&
        err.code === 'setup-rejected' &&
        this.askVersionRolling &&
        (this.refusedFlags & REQUIRES_VERSION_ROLLING) !== 0 &&
        !this.closedByUser
      ) {
        this.askVersionRolling = false;
        this.warn('pool refused REQUIRES_VERSION_ROLLING (fixed versions only); connecting again without it');
        return this.connectOrClose(request);
      }
      if (err instanceof Sv2ClientError && err.code === 'channel-rejected') {
        this.connection?.close('channel-rejected', err.message);
      }
      throw err;
    }
  }

  private async connectAndOpen(request: ChannelRequest): Promise<ChannelState> {
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
    connection.on('frame', (frame) => this.onFrame(connection, frame));
    connection.on('close', (info) => this.onClose(connection, info));
    connection.start();
    this.liveness.restart();
    // A header-only device says so; an extended channel's connection may get extended and group jobs.
    const flags =
      (request.kind === 'standard' ? REQUIRES_STANDARD_JOBS : 0) |
      (this.askVersionRolling ? REQUIRES_VERSION_ROLLING : 0);
    this.refusedFlags = 0;
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
    // Only the two server bits mean anything (SRI pools have echoed the client's flags: sv2-apps #265).
    this.serverFlags = success.flags & (REQUIRES_FIXED_VERSION | REQUIRES_EXTENDED_CHANNELS);
    if (this.askVersionRolling && (this.serverFlags & REQUIRES_FIXED_VERSION) !== 0) {
      // The spec forbids this answer to REQUIRES_VERSION_ROLLING; a pool echoing our flags would not set bit 0.
      this.warn('pool set REQUIRES_FIXED_VERSION although we require version rolling; mining with fixed versions');
    }
    this.emit('connected', {
      host: this.host,
      port: this.port,
      serverStaticKey: handshake.serverStaticKey,
      authenticated: this.authorityKey !== null,
      usedVersion: success.usedVersion,
      serverFlags: success.flags,
    });
    if (request.kind === 'standard' && (this.serverFlags & REQUIRES_EXTENDED_CHANNELS) !== 0) {
      throw new Sv2ClientError(
        'channel-rejected',
        'pool requires extended channels (REQUIRES_EXTENDED_CHANNELS) and refuses standard ones',
        'REQUIRES_EXTENDED_CHANNELS',
      );
    }
    return this.openChannel(request);
  }

  /** Opens another standard channel on this connection (a connection set up for standard jobs). */
  openStandardChannel(userIdentity: string, nominalHashRateHs: number): Promise<ChannelState> {
    return this.openChannel({ kind: 'standard', userIdentity, nominalHashRateHs });
  }

  /** Opens another extended channel on this connection (one not set up with REQUIRES_STANDARD_JOBS). */
  openExtendedChannel(userIdentity: string, nominalHashRateHs: number): Promise<ChannelState> {
    return this.openChannel({ kind: 'extended', userIdentity, nominalHashRateHs });
  }

  private openChannel(request: ChannelRequest): Promise<ChannelState> {
    return this.opener.open(this.requireConnection(), request);
  }

  /**
   * Submits a share; returns its sequence number at once. The hot path: the message object is reused and the
   * frame is encoded and encrypted in place. Throws Sv2ClientError when not connected, the channel is unknown,
   * or an extended channel's share does not carry exactly `extranonce_size` bytes.
   */
  submitShare(share: ShareToSubmit): number {
    const connection = this.connection;
    if (connection === null || connection.closed) {
      throw new Sv2ClientError('not-connected', 'cannot submit a share: not connected to the pool');
    }
    const channel = this.channels.get(share.channelId);
    if (channel === undefined) {
      throw new Sv2ClientError('unknown-channel', `cannot submit a share: no open channel ${share.channelId}`);
    }
    return this.shares.send(connection, channel, share);
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
    if (this.channels.remove(channelId).length === 0) return;
    this.connection?.send(CloseChannel, { channelId, reasonCode: reason });
    this.emit('channelClosed', { channelId, reason });
  }

  /** Closes the connection for good (no reconnect); a connect() in progress rejects at once (Sv2ConnectError 'aborted'). */
  close(reason = 'closed by the device'): void {
    this.closedByUser = true;
    this.connecting?.abort();
    this.connection?.close('closed', reason);
    this.liveness.stop();
  }

  /** The liveness probe (liveness-watch.ts): UpdateChannel naming `channelId`, which must not be one of ours. */
  private sendProbe(channelId: number): boolean {
    const connection = this.connection;
    if (connection === null || connection.closed || this.channels.size === 0) return false;
    if (this.channels.get(channelId) !== undefined || this.channels.isGroup(channelId)) return false;
    return connection.send(UpdateChannel, {
      channelId,
      nominalHashRate: this.options.nominalHashRateHs,
      maximumTarget: targetToU256(this.options.maxTarget ?? MAX_TARGET),
    });
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

  private warn(message: string): void {
    this.log.warn(message, { host: this.host, port: this.port });
    this.emit('warning', { message });
  }

  private onFrame(connection: Sv2Connection, frame: Sv2Frame): void {
    if (connection !== this.connection) return;
    this.liveness.heard();
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
      dispatchMiningMessage(header.msgType, payload, this.handlers);
    } catch (err) {
      if (err instanceof Sv2ProtocolError) {
        connection.close('protocol-error', `pool sent a malformed message: ${err.message}`, err);
        return;
      }
      throw err;
    }
  }

  private makeHandlers(): MiningClientHandlers {
    const channelHandlers = channelMessageHandlers({
      channels: this.channels,
      clock: this.clock,
      liveness: this.liveness,
      maxTarget: this.options.maxTarget ?? MAX_TARGET,
      emit: (event, payload) => this.emit(event, payload),
      warn: (message) => this.warn(message),
    });
    return {
      ...channelHandlers,
      ...answerMessageHandlers({
        channels: this.channels,
        clock: this.clock,
        liveness: this.liveness,
        pending: this.pending,
        setTarget: channelHandlers.setTarget,
        emit: (event, payload) => this.emit(event, payload),
        warn: (message) => this.warn(message),
      }),
      setupSuccess: (msg: SetupConnectionSuccess) => this.takeSetupWaiter()?.resolve(msg),
      setupError: (msg: SetupConnectionError) => {
        const w = this.takeSetupWaiter();
        this.refusedFlags = msg.flags;
        const text = `pool refused SetupConnection: ${msg.errorCode}${msg.flags ? ` (unsupported flags 0x${msg.flags.toString(16)})` : ''}`;
        w?.reject(new Sv2ClientError('setup-rejected', text, msg.errorCode));
        this.connection?.close('setup-rejected', text);
      },
      openStandardSuccess: (msg: OpenStandardMiningChannelSuccess) => this.onChannelOpened('standard', msg, 0),
      openExtendedSuccess: (msg: OpenExtendedMiningChannelSuccess) =>
        this.onChannelOpened('extended', msg, msg.extranonceSize),
      openError: (msg: OpenMiningChannelError) => this.opener.refused(msg),
      channelEndpointChanged: (msg: ChannelEndpointChanged) =>
        // We negotiate no extension, so there is no per-channel extension state to reset.
        this.log.info('pool says the far end of a channel changed', { channel: msg.channelId }),
      reconnect: (msg: Reconnect) => this.onReconnect(msg.newHost, msg.newPort),
      unexpected: (msgType: number) => this.log.debug('ignoring message', { msgType }),
    };
  }

  private onChannelOpened(
    kind: ChannelKind,
    msg: OpenStandardMiningChannelSuccess | OpenExtendedMiningChannelSuccess,
    extranonceSize: number,
  ): void {
    const fixed = (this.serverFlags & REQUIRES_FIXED_VERSION) !== 0;
    const mask = (this.options.versionRollingMask ?? BIP323_VERSION_MASK) & BIP323_VERSION_MASK;
    const opened = this.opener.succeeded(kind, msg, extranonceSize, {
      allowed: !fixed,
      mask: fixed ? 0 : mask >>> 0,
    });
    if (opened.channel === null) {
      if (opened.problem !== null) this.warn(opened.problem);
      return;
    }
    this.channels.add(opened.channel);
    this.liveness.touch();
    this.emit('channelOpened', opened.channel.info());
    opened.resolve();
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
    const reopen: ChannelRequest[] = [...this.channels.values()].map((c) => ({
      kind: c.kind,
      userIdentity: c.userIdentity,
      nominalHashRateHs: c.nominalHashRateHs,
    }));
    this.reconnecting = true;
    this.connection?.close('reconnect', `pool asked us to reconnect to ${host}:${port}`);
    this.host = host;
    this.port = port;
    void (async () => {
      try {
        const first = reopen[0] ?? {
          kind: this.preferred,
          userIdentity: this.options.userIdentity,
          nominalHashRateHs: this.options.nominalHashRateHs,
        };
        const opened = await this.connectWithFallback(first);
        for (const extra of reopen.slice(1)) await this.openChannel({ ...extra, kind: opened.kind });
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
    this.opener.failAll(error);
    this.channels.clear();
    const lost = this.pending.loseAll(this.clock.nowMs());
    if (lost.length > 0) {
      this.emit('shareResult', { kind: 'lost', shares: lost, why: `the connection closed (${info.message})` });
    }
    if (this.quietClose === connection) {
      // Closed to try the other channel kind: nothing was mining on it, the next connect follows at once.
      this.quietClose = null;
      return;
    }
    if (!this.reconnecting) this.liveness.stop();
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

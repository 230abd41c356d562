/**
 * A small but honest Stratum V2 pool for the embedded default upstream and for tests: Noise with its own static
 * key and a certificate signed by an authority key it prints, SetupConnection, extended channels (by default, as
 * SRI's pool) and standard ones on request, group channels for a connection with several, SetExtranoncePrefix,
 * jobs from a synthetic chain, and full validation of every share (header rebuilt — for an extended share from
 * the coinbase prefix ‖ extranonce ‖ suffix — SHA-256d, target, stale, duplicate).
 *
 *   const pool = await LocalPool.start({ port: 0, sharesPerMinute: 20, prevHashIntervalMs: 2000 });
 *   pool.url            // sv2+tcp://127.0.0.1:41234/9b…  (authority key included: hand it to Sv2MiningClient)
 *   pool.on('share', (s) => …); pool.on('block', (b) => …);
 *   pool.stats()        // accepted / rejected by reason, per channel, chain height, frames received
 *   await pool.close();
 *
 * Every previous-hash interval the chain moves to a new random tip: each channel gets a future job and the
 * SetNewPrevHash naming it, and shares of older jobs become stale-share, except those still in flight across the
 * change (see pool-channel.ts; `inFlightGraceMs`). `newBlock()` / `newJobs()` do the same
 * on demand (tests run with both intervals 0).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { bytesToHexReversed } from '../../util/hex.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { formatSv2Url } from '../client/url.js';
import { type Clock, systemClock } from '../clock.js';
import { type Sv2Logger, silentLogger } from '../logger.js';
import { encodeAuthorityKey } from '../noise/authority-key.js';
import { signCertificate } from '../noise/certificate.js';
import { createNoiseKeypair, type NoiseKeypair } from '../noise/keys.js';
import { type ConnectionLimits, Sv2Connection } from '../transport/connection.js';
import { ConnectionGate, DEFAULT_GATE_LIMITS, type GateStats, normalizeAddress, type Slot } from './connection-gate.js';
import {
  type ChannelStats,
  DEFAULT_IN_FLIGHT_GRACE_MS,
  type PoolChannel,
  type SeenShareBudget,
  type ShareJudgement,
  type SubmittedShare,
} from './pool-channel.js';
import { PoolSession, type SessionHost } from './pool-session.js';
import { type BlockTemplate, SyntheticChain } from './synthetic-chain.js';

export interface LocalPoolOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port; read it from `pool.port`. */
  port?: number;
  /** Authority secret (32 bytes); random per start when absent, so pass one to keep the printed key stable. */
  authoritySecretKey?: Uint8Array;
  /** Noise static secret; random when absent. */
  staticSecretKey?: Uint8Array;
  /** Certificate validity from the moment of each handshake (SRI example: 3600 s). */
  certificateValiditySec?: number;
  /** Target share rate per channel for the initial target (SRI's shares_per_minute). Default 6. */
  sharesPerMinute?: number;
  /** A new random previous hash this often (ms). Default 60 000; 0 = only on `newBlock()`. */
  prevHashIntervalMs?: number;
  /** A new active job on the same block this often (ms). Default 30 000; 0 = only on `newJobs()`. */
  jobIntervalMs?: number;
  /** Network target of the synthetic chain (compact). Default 0x1d00ffff (difficulty 1). */
  nbits?: number;
  /** Allow version rolling (BIP323 bits). Default true; false sets REQUIRES_FIXED_VERSION. */
  versionRolling?: boolean;
  /** Serve extended channels. Default true; false refuses them with `extended-channels-not-supported`. */
  extendedChannels?: boolean;
  /**
   * Serve standard channels. Default true; false sets REQUIRES_EXTENDED_CHANNELS and refuses them with
   * `standard-channels-not-supported`.
   */
  standardChannels?: boolean;
  /** Extranonce bytes an extended channel rolls when it asks for fewer (min_extranonce_size). Default 8. */
  extendedExtranonceSize?: number;
  /**
   * After a block change, how long a share of the replaced block still counts as in flight (sent before the
   * device could see the change) and is judged rather than refused as stale. Default 1000; 0 = strict, as SRI.
   */
  inFlightGraceMs?: number;
  /**
   * Accepted shares the whole pool remembers to catch duplicates (about 40 bytes each); past it every channel
   * forgets its oldest first. Default 1,000,000.
   */
  maxSeenShares?: number;
  /** Accepted shares per SubmitShares.Success. Default 1 (answer every share at once). */
  shareBatchSize?: number;
  /** Connections at once; a newcomer replaces the least valuable one when full (connection-gate.ts). Default 64. */
  maxConnections?: number;
  /** Connections from one address at once. Default 16. */
  maxConnectionsPerAddress?: number;
  maxChannelsPerConnection?: number;
  /** Largest frame payload a client may announce (client messages are small). Default 64 KiB. */
  maxPayloadBytes?: number;
  /** From TCP connect to an open channel (the Noise handshake alone gets as long). Default 10 s; 0 = never. */
  handshakeTimeoutMs?: number;
  /** A connection that sends no SetupConnection within this after the Noise handshake is closed. Default 10 s. */
  setupTimeoutMs?: number;
  /** A connection with a channel that submits no share for this long is closed. Default 300 s; 0 = never. */
  idleTimeoutMs?: number;
  clock?: Clock;
  random?: (n: number) => Uint8Array;
  logger?: Sv2Logger;
}

export interface PoolStats {
  connections: {
    open: number;
    total: number;
    closedByCode: Record<string, number>;
    /** Connections refused at the door (every slot mining from its own address; an address at its limit). */
    refused: number;
    /** Open connections by stage, and how many addresses they come from. */
    gate: GateStats;
  };
  /** Frames received from clients and delivered to their sessions (after decryption). */
  framesReceived: number;
  /** Accepted shares remembered for duplicate detection, pool-wide, and the cap. */
  seenShares: { held: number; max: number };
  shares: {
    accepted: number;
    /** Of `accepted`: shares of a replaced block that crossed the block change in flight. */
    acceptedInFlight: number;
    rejected: number;
    rejectedByCode: Record<string, number>;
    blocksFound: number;
  };
  /** Open channels, then up to MAX_CLOSED_CHANNEL_STATS recently closed ones (oldest first). */
  channels: ChannelStats[];
  chain: { height: number; prevHash: string; nbits: number; blocks: number };
  channelBitMismatches: number;
}

export interface PoolConnectionEvent {
  connectionId: number;
  remote: string;
}

export interface PoolConnectionClosedEvent extends PoolConnectionEvent {
  code: string;
  message: string;
}

export interface PoolShareEvent {
  connectionId: number;
  channelId: number;
  sequenceNumber: number;
  jobId: number;
  /** The full extranonce an extended share's coinbase was rebuilt with (the channel's prefix ‖ the share's bytes). */
  extranonce: Uint8Array | null;
  accepted: boolean;
  errorCode: string | null;
  blockFound: boolean;
  /** Accepted as a share of the block just replaced, in flight when it changed. */
  inFlight: boolean;
}

export interface PoolEvents {
  connection: PoolConnectionEvent;
  /** A connection turned away at once (see connection-gate.ts). */
  refused: { remote: string; reason: string };
  connectionClosed: PoolConnectionClosedEvent;
  channelOpened: ChannelStats;
  share: PoolShareEvent;
  block: { height: number; prevHash: string };
  /** New work on the chain (`clean`: a new block), for other servers on the same chain (the V1 port). */
  template: { template: BlockTemplate; clean: boolean };
}

export const DEFAULT_MAX_SEEN_SHARES = 1_000_000;

/** Closed channels whose statistics are kept (a client opening and closing channels forever costs nothing). */
export const MAX_CLOSED_CHANNEL_STATS = 64;

// A P2WPKH output to a fixed, unspendable-looking hash: the synthetic chain pays nobody real.
const PAYOUT_SCRIPT = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(0x48));

export class LocalPool extends TypedEmitter<PoolEvents> implements SessionHost {
  readonly chain: SyntheticChain;
  readonly sharesPerMinute: number;
  readonly versionRolling: boolean;
  readonly extendedChannels: boolean;
  readonly standardChannels: boolean;
  readonly extendedExtranonceSize: number;
  readonly shareBatchSize: number;
  readonly maxChannelsPerConnection: number;
  readonly inFlightGraceMs: number;
  readonly seenShareBudget: SeenShareBudget;
  /** x-only authority public key clients verify the certificate with. */
  readonly authorityPublicKey: Uint8Array;
  /** The authority key in the spec's base58check form (what users paste). */
  readonly authorityKeyText: string;
  private readonly authoritySecret: Uint8Array;
  private readonly staticKey: NoiseKeypair;
  private readonly clock: Clock;
  private readonly log: Sv2Logger;
  private readonly sessions = new Map<number, PoolSession>();
  /** Connection slots (the gate) by session id. */
  private readonly slots = new Map<number, Slot>();
  private readonly gate: ConnectionGate;
  /** Sockets still in the handshake (not yet sessions), so close() can end them too. */
  private readonly handshaking = new Set<Socket>();
  /** Sockets the gate closed during their handshake, with its code (the handshake's own error says less). */
  private readonly gateClosedInHandshake = new Map<Socket, { code: string; reason: string }>();
  private refused = 0;
  private readonly openChannelStats = new Map<PoolChannel, ChannelStats>();
  private readonly closedChannelStats: ChannelStats[] = [];
  private framesReceived = 0;
  private readonly closedByCode: Record<string, number> = {};
  private readonly rejectedByCode: Record<string, number> = {};
  private accepted = 0;
  private acceptedInFlight = 0;
  private rejected = 0;
  private blocksFound = 0;
  private mismatches = 0;
  private totalConnections = 0;
  private sessionCounter = 0;
  private channelCounter = 0;
  private readonly instanceTag: Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  private template: BlockTemplate;
  private server: Server | null = null;
  private timers: NodeJS.Timeout[] = [];
  private silentMode = false;
  private answerShares = true;
  private boundPort = 0;

  private constructor(private readonly options: LocalPoolOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    const random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    this.random = random;
    this.sharesPerMinute = options.sharesPerMinute ?? 6;
    if (!(this.sharesPerMinute > 0) || !Number.isFinite(this.sharesPerMinute)) {
      throw new RangeError(`shares per minute must be > 0, got ${this.sharesPerMinute}`);
    }
    this.versionRolling = options.versionRolling ?? true;
    this.extendedChannels = options.extendedChannels ?? true;
    this.standardChannels = options.standardChannels ?? true;
    if (!this.extendedChannels && !this.standardChannels) {
      throw new RangeError('a pool must serve extended or standard channels (or both)');
    }
    this.extendedExtranonceSize = options.extendedExtranonceSize ?? 8;
    if (
      !Number.isInteger(this.extendedExtranonceSize) ||
      this.extendedExtranonceSize < 1 ||
      this.extendedExtranonceSize > 24
    ) {
      throw new RangeError(`extended extranonce size must be 1..24 bytes, got ${this.extendedExtranonceSize}`);
    }
    this.shareBatchSize = Math.max(1, options.shareBatchSize ?? 1);
    this.maxChannelsPerConnection = options.maxChannelsPerConnection ?? 16;
    this.inFlightGraceMs = options.inFlightGraceMs ?? DEFAULT_IN_FLIGHT_GRACE_MS;
    if (!(this.inFlightGraceMs >= 0) || !Number.isFinite(this.inFlightGraceMs)) {
      throw new RangeError(`in-flight grace must be ≥ 0 ms, got ${this.inFlightGraceMs}`);
    }
    const maxSeen = options.maxSeenShares ?? DEFAULT_MAX_SEEN_SHARES;
    if (!(maxSeen >= 1) || !Number.isInteger(maxSeen)) {
      throw new RangeError(`maxSeenShares must be a positive integer, got ${maxSeen}`);
    }
    this.seenShareBudget = { used: 0, max: maxSeen };
    const authority = createNoiseKeypair(options.authoritySecretKey, random(32));
    this.authoritySecret = authority.secret;
    this.authorityPublicKey = authority.xOnly;
    this.authorityKeyText = encodeAuthorityKey(authority.xOnly);
    this.staticKey = createNoiseKeypair(options.staticSecretKey, random(32));
    this.instanceTag = random(4);
    this.chain = new SyntheticChain({
      clock: this.clock,
      random,
      nbits: options.nbits ?? 0x1d00ffff,
      version: 0x20000000,
      startHeight: 900_000,
      payoutScript: PAYOUT_SCRIPT,
      tag: new TextEncoder().encode('/hashaxe-local-pool/'),
      txCountRange: [2, 6],
      blockRewardSats: 312_500_000n,
    });
    this.template = this.chain.newTemplate();
    this.gate = new ConnectionGate(
      {
        maxConnections: options.maxConnections ?? DEFAULT_GATE_LIMITS.maxConnections,
        maxPerAddress: options.maxConnectionsPerAddress ?? DEFAULT_GATE_LIMITS.maxPerAddress,
        handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_GATE_LIMITS.handshakeTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_GATE_LIMITS.idleTimeoutMs,
      },
      this.clock,
    );
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: LocalPoolOptions = {}): Promise<LocalPool> {
    const pool = new LocalPool(options);
    await pool.listen();
    return pool;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get port(): number {
    return this.boundPort;
  }

  /** `sv2+tcp://host:port/<authority key>`: everything a client needs. */
  get url(): string {
    return formatSv2Url(this.host, this.port, this.authorityKeyText);
  }

  get silent(): boolean {
    return this.silentMode;
  }

  get answersShares(): boolean {
    return this.answerShares;
  }

  nowMs(): number {
    return this.clock.nowMs();
  }

  nextChannelId(): number {
    this.channelCounter = (this.channelCounter + 1) >>> 0 || 1;
    return this.channelCounter;
  }

  /** 8 bytes unique per channel: this pool instance's tag, then the channel id. */
  extranoncePrefixFor(channelId: number): Uint8Array {
    return Uint8Array.of(...this.instanceTag, channelId >>> 24, channelId >>> 16, channelId >>> 8, channelId);
  }

  currentTemplate(): BlockTemplate {
    return this.template;
  }

  private listen(): Promise<void> {
    // No server.maxConnections: a full pool would refuse every newcomer; the gate makes room instead.
    const server = createServer((socket) => this.onSocket(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error(`pool listener error: ${err.message}`));
        const address = server.address();
        this.boundPort = typeof address === 'object' && address !== null ? address.port : 0;
        const prevHashMs = this.options.prevHashIntervalMs ?? 60_000;
        const jobMs = this.options.jobIntervalMs ?? 30_000;
        if (prevHashMs > 0) this.timers.push(setInterval(() => this.newBlock(), prevHashMs));
        if (jobMs > 0) this.timers.push(setInterval(() => this.newJobs(), jobMs));
        const sweep = setInterval(() => this.gate.sweep(), 1000);
        sweep.unref();
        this.timers.push(sweep);
        this.log.info('local pool listening', { url: this.url });
        resolve();
      });
    });
  }

  private onSocket(socket: Socket): void {
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    // Errors before the handshake settles are handled by the handshake; this guard keeps a late reset from
    // ever becoming an unhandled 'error' event.
    socket.on('error', () => {});
    if (this.server === null) {
      socket.destroy();
      return;
    }
    const id = ++this.sessionCounter;
    // The gate may close this connection later (a newer one needs its slot, a deadline passed): in the handshake
    // the socket goes, afterwards the session closes with the gate's code.
    const admission = this.gate.admit(normalizeAddress(socket.remoteAddress), (code, reason) => {
      const session = this.sessions.get(id);
      if (session !== undefined) {
        session.close(code, reason);
        return;
      }
      this.gateClosedInHandshake.set(socket, { code, reason });
      socket.destroy();
    });
    if (!admission.admitted) {
      this.refused++;
      this.closedByCode.refused = (this.closedByCode.refused ?? 0) + 1;
      this.log.warn('connection refused', { remote, reason: admission.reason });
      this.emit('refused', { remote, reason: admission.reason });
      socket.destroy();
      return;
    }
    const slot = admission.slot;
    this.slots.set(id, slot);
    this.handshaking.add(socket);
    this.totalConnections++;
    const limits: Partial<ConnectionLimits> = {
      maxPayloadBytes: this.options.maxPayloadBytes ?? 64 * 1024,
      handshakeTimeoutMs: this.gate.limits.handshakeTimeoutMs > 0 ? this.gate.limits.handshakeTimeoutMs : 10_000,
    };
    Sv2Connection.accept(socket, {
      responder: {
        staticKey: this.staticKey,
        certificate: () => {
          const now = Math.floor(this.clock.nowMs() / 1000);
          return signCertificate(
            { version: 0, validFrom: now, notValidAfter: now + (this.options.certificateValiditySec ?? 3600) },
            this.staticKey.xOnly,
            this.authoritySecret,
          );
        },
      },
      limits,
    }).then(
      (connection) => {
        this.handshaking.delete(socket);
        if (this.server === null) {
          this.release(id);
          connection.close('shutdown', 'pool is shutting down');
          return;
        }
        const session = new PoolSession(id, connection, this, this.options.setupTimeoutMs ?? 10_000);
        this.sessions.set(id, session);
        connection.on('close', (info) => {
          this.sessions.delete(id);
          this.release(id);
          this.closedByCode[info.code] = (this.closedByCode[info.code] ?? 0) + 1;
          this.log.info('connection closed', { connection: id, remote, code: info.code, reason: info.message });
          this.emit('connectionClosed', { connectionId: id, remote, code: info.code, message: info.message });
        });
        connection.on('frame', () => {
          this.framesReceived++;
        });
        this.emit('connection', { connectionId: id, remote });
        connection.start();
      },
      (err: unknown) => {
        this.handshaking.delete(socket);
        this.release(id);
        const byGate = this.gateClosedInHandshake.get(socket);
        this.gateClosedInHandshake.delete(socket);
        const code = byGate?.code ?? (err as { code?: string }).code ?? 'handshake-failed';
        const message = byGate?.reason ?? (err instanceof Error ? err.message : String(err));
        this.closedByCode[code] = (this.closedByCode[code] ?? 0) + 1;
        this.log.info('handshake failed', { connection: id, remote, code, reason: message });
        this.emit('connectionClosed', { connectionId: id, remote, code, message });
      },
    );
  }

  private release(id: number): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    this.slots.delete(id);
    this.gate.release(slot);
  }

  onChannelOpened(channel: PoolChannel): void {
    const slot = this.slots.get(channel.connectionId);
    if (slot !== undefined) this.gate.ready(slot);
    this.openChannelStats.set(channel, channel.stats);
    this.log.info('channel opened', {
      channel: channel.channelId,
      user: channel.userIdentity,
      difficulty: channel.stats.difficulty,
    });
    this.emit('channelOpened', channel.stats);
  }

  onChannelClosed(channel: PoolChannel): void {
    channel.release();
    if (!this.openChannelStats.delete(channel)) return;
    channel.stats.open = false;
    this.closedChannelStats.push(channel.stats);
    if (this.closedChannelStats.length > MAX_CLOSED_CHANNEL_STATS) this.closedChannelStats.shift();
  }

  onShare(channel: PoolChannel, share: SubmittedShare, judgement: ShareJudgement): void {
    const slot = this.slots.get(channel.connectionId);
    if (slot !== undefined) this.gate.share(slot, judgement.ok);
    if (judgement.ok) {
      this.accepted++;
      if (judgement.inFlight) this.acceptedInFlight++;
      if (judgement.blockFound) {
        this.blocksFound++;
        this.log.info('block found (synthetic chain)', { channel: channel.channelId, height: this.chain.height });
      }
    } else {
      this.rejected++;
      this.rejectedByCode[judgement.code] = (this.rejectedByCode[judgement.code] ?? 0) + 1;
    }
    this.emit('share', {
      connectionId: channel.connectionId,
      channelId: channel.channelId,
      sequenceNumber: share.sequenceNumber,
      jobId: share.jobId,
      extranonce: 'extranonce' in share ? Uint8Array.of(...channel.extranoncePrefix, ...share.extranonce) : null,
      accepted: judgement.ok,
      errorCode: judgement.ok ? null : judgement.code,
      blockFound: judgement.ok && judgement.blockFound,
      inFlight: judgement.ok && judgement.inFlight,
    });
  }

  onChannelMismatch(sessionId: number, message: string): void {
    this.mismatches++;
    this.log.warn('channel bit mismatch', { connection: sessionId, message });
  }

  /** A new block now: random prev hash; every channel gets a future job and SetNewPrevHash. */
  newBlock(): void {
    this.chain.newBlock();
    this.template = this.chain.newTemplate();
    this.emit('block', { height: this.chain.height, prevHash: bytesToHexReversed(this.chain.prevHash) });
    for (const session of this.sessions.values()) session.newBlock(this.template);
    this.emit('template', { template: this.template, clean: true });
  }

  /** New work on the current block for every channel (active jobs, min_ntime = now). */
  newJobs(): void {
    this.template = this.chain.newTemplate();
    for (const session of this.sessions.values()) session.newJobs(this.template);
    this.emit('template', { template: this.template, clean: false });
  }

  /**
   * Sends SetExtranoncePrefix on a channel (tests, operators): a fresh prefix of the same length (a new random tag,
   * then the channel id, so it stays unique), every earlier job of the channel stale, and a job with the new prefix
   * at once. Returns the new prefix, or null for an unknown channel.
   */
  changeExtranoncePrefix(channelId: number): Uint8Array | null {
    for (const session of this.sessions.values()) {
      const channel = session.channels.get(channelId);
      if (channel === undefined) continue;
      const prefix = this.extranoncePrefixFor(channelId);
      let tag = this.random(4);
      while (tag.every((b, i) => b === channel.extranoncePrefix[i])) tag = this.random(4);
      prefix.set(tag, 0);
      return session.changeExtranoncePrefix(channel, prefix) ? prefix : null;
    }
    return null;
  }

  /** Sends SetTarget on a channel (tests, operators). Returns false for an unknown channel. */
  setChannelTarget(channelId: number, target: bigint): boolean {
    for (const session of this.sessions.values()) {
      const channel = session.channels.get(channelId);
      if (channel) {
        session.setTarget(channel, target);
        return true;
      }
    }
    return false;
  }

  /** Stops sending jobs and share answers while keeping connections open (to test stall detection). */
  setSilent(silent: boolean): void {
    this.silentMode = silent;
  }

  /** Keeps sending jobs but stops answering shares (to test the unanswered-share watch). */
  setAnswerShares(answer: boolean): void {
    this.answerShares = answer;
  }

  /** Asks every client to reconnect (empty host / port 0 = same). Returns how many were asked. */
  requestReconnect(newHost = '', newPort = 0): number {
    for (const session of this.sessions.values()) session.sendReconnect(newHost, newPort);
    return this.sessions.size;
  }

  /** Closes every client connection (they see the socket close). */
  dropConnections(reason = 'dropped by the pool'): void {
    for (const session of [...this.sessions.values()]) session.close('dropped', reason);
  }

  stats(): PoolStats {
    return {
      connections: {
        open: this.sessions.size,
        total: this.totalConnections,
        closedByCode: { ...this.closedByCode },
        refused: this.refused,
        gate: this.gate.stats(),
      },
      framesReceived: this.framesReceived,
      seenShares: { held: this.seenShareBudget.used, max: this.seenShareBudget.max },
      shares: {
        accepted: this.accepted,
        acceptedInFlight: this.acceptedInFlight,
        rejected: this.rejected,
        rejectedByCode: { ...this.rejectedByCode },
        blocksFound: this.blocksFound,
      },
      channels: [...this.openChannelStats.values(), ...this.closedChannelStats].map((c) => ({
        ...c,
        rejectedByCode: { ...c.rejectedByCode },
      })),
      chain: {
        height: this.chain.height,
        prevHash: bytesToHexReversed(this.chain.prevHash),
        nbits: this.chain.nbits,
        blocks: this.chain.epoch,
      },
      channelBitMismatches: this.mismatches,
    };
  }

  /** Stops listening, closes every connection and timer. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const server = this.server;
    this.server = null;
    for (const session of [...this.sessions.values()]) session.close('shutdown', 'pool is shutting down');
    // A handshake in progress would otherwise hold server.close() open until its timeout.
    for (const socket of this.handshaking) socket.destroy();
    this.handshaking.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * The local pool's Stratum V1 port: plain TCP (or TLS with a given key and certificate), mining.configure with
 * version rolling, subscribe, authorize, suggest_difficulty, vardiff, jobs from the SAME synthetic chain as the SV2
 * port (it follows the SV2 pool's templates: a new block there is a clean job here), and full validation of every
 * share (coinbase rebuilt from coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2, merkle root, header, SHA-256d against
 * the session's difficulty, stale, duplicate). It talks like the pool named by its quirk profile.
 *
 *   const sv2 = await LocalPool.start({ port: 0 });
 *   const v1 = await Sv1Pool.start({ feed: sv2, port: 0, sharesPerMinute: 20 });
 *   v1.url   // stratum+tcp://127.0.0.1:41235
 *   v1.stats()
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { type Clock, systemClock } from '../../sv2/clock.js';
import { type Sv2Logger as Logger, silentLogger } from '../../sv2/logger.js';
import {
  ConnectionGate,
  DEFAULT_GATE_LIMITS,
  type GateStats,
  normalizeAddress,
  type Slot,
} from '../../sv2/pool/connection-gate.js';
import type { BlockTemplate, SyntheticChain } from '../../sv2/pool/synthetic-chain.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { Sv1Connection } from '../connection.js';
import { formatSv1Url } from '../url.js';
import { PoolSession, type SessionHost, type SessionStats, type ShareOutcome } from './pool-session.js';
import { QUIRK_PROFILES, type QuirkProfile, type QuirkProfileName } from './quirk-profiles.js';
import { makePoolJob, type V1PoolJob } from './share-check.js';
import { DEFAULT_VARDIFF, type VardiffOptions } from './vardiff.js';

/** Where the jobs come from: the SV2 local pool (its chain and templates), so both ports mine one chain. */
export interface TemplateFeed {
  readonly chain: SyntheticChain;
  currentTemplate(): BlockTemplate;
  on(event: 'template', listener: (e: { template: BlockTemplate; clean: boolean }) => void): unknown;
  off(event: 'template', listener: (e: { template: BlockTemplate; clean: boolean }) => void): unknown;
}

export interface Sv1PoolOptions {
  feed: TemplateFeed;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  profile?: QuirkProfileName;
  /** What vardiff steers each connection toward. Default 6. */
  sharesPerMinute?: number;
  /**
   * A connection's first difficulty (until a suggestion or the vardiff moves it). Default: what an emulated chip
   * at 1 MH/s (hashaxe's embedded default) needs for `sharesPerMinute`.
   */
  startDifficulty?: number;
  vardiff?: Partial<Omit<VardiffOptions, 'sharesPerMinute'>>;
  /** See pool-session.ts. Default 1000; 0 = strict (every share of a replaced job is stale). */
  inFlightGraceMs?: number;
  /** Serve TLS (stratum+ssl://) with this key and certificate (PEM). */
  tls?: { key: string; cert: string } | null;
  /** Connections at once; a newcomer replaces the least valuable one when full (connection-gate.ts). Default 64. */
  maxConnections?: number;
  /** Connections from one address at once. Default 16. */
  maxConnectionsPerAddress?: number;
  /** From TCP connect (and TLS) to subscribed and authorized. Default 10 s; 0 = never. */
  handshakeTimeoutMs?: number;
  /** An authorized connection that submits no share for this long is closed. Default 300 s; 0 = never. */
  idleTimeoutMs?: number;
  clock?: Clock;
  random?: (n: number) => Uint8Array;
  logger?: Logger;
}

export interface Sv1PoolStats {
  profile: QuirkProfileName;
  connections: {
    open: number;
    total: number;
    closedByCode: Record<string, number>;
    /** Connections refused at the door (every slot mining from its own address; an address at its limit). */
    refused: number;
    gate: GateStats;
  };
  shares: {
    accepted: number;
    acceptedInFlight: number;
    rejected: number;
    rejectedByReason: Record<string, number>;
    blocksFound: number;
  };
  /** Open sessions, then up to 64 recently closed ones. */
  sessions: SessionStats[];
}

export interface Sv1PoolEvents {
  connection: { sessionId: number; remote: string };
  /** A connection turned away at once (see connection-gate.ts). */
  refused: { remote: string; reason: string };
  connectionClosed: { sessionId: number; remote: string; code: string; message: string };
  /** A session subscribed and authorized: it gets work now. */
  ready: { sessionId: number; user: string | null; difficulty: number };
  share: { sessionId: number; accepted: boolean; reason: string | null; blockFound: boolean; inFlight: boolean };
}

/** A connection's slot, and its session once it has one (the gate closes whichever exists). */
interface Door {
  slot: Slot;
  session: PoolSession | null;
  /** The TCP socket (under TLS, the one beneath it). */
  raw: Socket;
}

function remoteKey(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

/** The rate of hashaxe's embedded emulated chip (1 MH/s), which a default start difficulty is sized for. */
const EMULATED_RATE_HS = 1e6;

export class Sv1Pool extends TypedEmitter<Sv1PoolEvents> implements SessionHost {
  readonly profile: QuirkProfile;
  readonly inFlightGraceMs: number;
  readonly vardiffOptions: VardiffOptions;
  readonly startDifficulty: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: (n: number) => Uint8Array;
  private readonly feed: TemplateFeed;
  private readonly sessions = new Map<number, PoolSession>();
  private readonly slots = new Map<PoolSession, Slot>();
  private readonly gate: ConnectionGate;
  private refused = 0;
  /** TLS connections admitted but still in the TLS handshake, by remote address:port. */
  private readonly tlsInHandshake = new Map<string, Door>();
  private readonly closedStats: SessionStats[] = [];
  private readonly closedByCode: Record<string, number> = {};
  private readonly rejectedByReason: Record<string, number> = {};
  private readonly instanceTag: Uint8Array;
  private server: Server | null = null;
  private boundPort = 0;
  private job: V1PoolJob;
  private jobCounter = 0;
  private sessionCounter = 0;
  private extranonceCounter = 0;
  private totalConnections = 0;
  private accepted = 0;
  private acceptedInFlight = 0;
  private rejected = 0;
  private blocksFound = 0;
  private silentMode = false;
  private answerShares = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly onTemplate = (e: { template: BlockTemplate; clean: boolean }): void =>
    this.newWork(e.template, e.clean);

  private constructor(private readonly options: Sv1PoolOptions) {
    super();
    this.profile = QUIRK_PROFILES[options.profile ?? 'public-pool'];
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
    this.feed = options.feed;
    const spm = options.sharesPerMinute ?? 6;
    if (!(spm > 0) || !Number.isFinite(spm)) throw new RangeError(`shares per minute must be > 0, got ${spm}`);
    this.vardiffOptions = { ...DEFAULT_VARDIFF, ...options.vardiff, sharesPerMinute: spm };
    this.startDifficulty = options.startDifficulty ?? (EMULATED_RATE_HS * 60) / (spm * 2 ** 32);
    if (!(this.startDifficulty > 0)) throw new RangeError(`start difficulty must be > 0, got ${this.startDifficulty}`);
    this.inFlightGraceMs = options.inFlightGraceMs ?? 1000;
    this.instanceTag = this.random(2);
    this.job = this.makeJob(this.feed.currentTemplate());
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

  static async start(options: Sv1PoolOptions): Promise<Sv1Pool> {
    const pool = new Sv1Pool(options);
    await pool.listen();
    return pool;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get port(): number {
    return this.boundPort;
  }

  /** `stratum+tcp://host:port` (stratum+ssl:// with TLS). */
  get url(): string {
    return formatSv1Url(this.host, this.port, this.options.tls != null);
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

  currentJob(fresh: boolean): V1PoolJob {
    if (fresh) this.job = this.makeJob(this.job.template);
    return this.job;
  }

  issuedJob(jobId: string): boolean {
    if (!/^[0-9a-f]{1,12}$/.test(jobId)) return false;
    const n = Number.parseInt(jobId, 16);
    return n >= 1 && n <= this.jobCounter;
  }

  nextExtranonce1(): Uint8Array {
    const n = this.profile.extranonce1Bytes;
    const out = new Uint8Array(n);
    out.set(this.instanceTag.subarray(0, Math.min(2, n - 1)));
    let c = ++this.extranonceCounter;
    for (let i = n - 1; i >= Math.min(2, n - 1) && c > 0; i--) {
      out[i] = c & 0xff;
      c = Math.floor(c / 256);
    }
    return out;
  }

  onShare(session: PoolSession, outcome: ShareOutcome): void {
    const slot = this.slots.get(session);
    if (slot !== undefined) this.gate.share(slot, outcome.accepted);
    if (outcome.accepted) {
      this.accepted++;
      if (outcome.inFlight) this.acceptedInFlight++;
      if (outcome.blockFound) {
        this.blocksFound++;
        this.logger.info('block found (synthetic chain)', { session: session.id });
      }
    } else {
      this.rejected++;
      const text = this.profile.reasons[outcome.kind].message;
      this.rejectedByReason[text] = (this.rejectedByReason[text] ?? 0) + 1;
    }
    this.emit('share', {
      sessionId: session.id,
      accepted: outcome.accepted,
      reason: outcome.accepted ? null : this.profile.reasons[outcome.kind].message,
      blockFound: outcome.accepted && outcome.blockFound,
      inFlight: outcome.accepted && outcome.inFlight,
    });
  }

  onReady(session: PoolSession): void {
    const slot = this.slots.get(session);
    if (slot !== undefined) this.gate.ready(slot);
    this.emit('ready', { sessionId: session.id, user: session.stats.user, difficulty: session.stats.difficulty });
  }

  log(message: string): void {
    this.logger.debug(message);
  }

  private makeJob(template: BlockTemplate): V1PoolJob {
    const id = (++this.jobCounter).toString(16);
    const ntime = Math.max(template.minNtime, Math.floor(this.clock.nowMs() / 1000));
    return makePoolJob(
      id,
      this.feed.chain,
      template,
      this.profile.extranonce1Bytes + this.profile.extranonce2Size,
      ntime,
    );
  }

  private newWork(template: BlockTemplate, clean: boolean): void {
    this.job = this.makeJob(template);
    for (const session of this.sessions.values()) if (session.ready) session.sendJob(this.job, clean);
  }

  private listen(): Promise<void> {
    const tls = this.options.tls ?? null;
    const handshakeMs = this.gate.limits.handshakeTimeoutMs;
    const server: Server =
      tls === null
        ? createServer((socket) => {
            const door = this.admit(socket);
            if (door !== null) this.onSocket(socket, door);
          })
        : createTlsServer(
            {
              key: tls.key,
              cert: tls.cert,
              minVersion: 'TLSv1.2',
              ...(handshakeMs > 0 ? { handshakeTimeout: handshakeMs } : {}),
            },
            (socket) => {
              const key = remoteKey(socket);
              const door = this.tlsInHandshake.get(key);
              this.tlsInHandshake.delete(key);
              if (door === undefined) socket.destroy();
              else this.onSocket(socket, door);
            },
          );
    if (tls !== null) {
      // TLS handshakes hold sockets too: they take a slot from the first byte, under the same rules.
      server.on('connection', (raw: Socket) => {
        const door = this.admit(raw);
        if (door === null) return;
        const key = remoteKey(raw);
        this.tlsInHandshake.set(key, door);
        raw.once('close', () => {
          if (this.tlsInHandshake.get(key) === door) this.tlsInHandshake.delete(key);
          if (door.session === null) this.gate.release(door.slot);
        });
      });
      server.on('tlsClientError', (err: Error) => {
        this.closedByCode['tls-error'] = (this.closedByCode['tls-error'] ?? 0) + 1;
        this.logger.info(`TLS handshake failed: ${err.message}`);
      });
    }
    // No server.maxConnections: a full pool would refuse every newcomer; the gate makes room instead.
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.logger.error(`V1 pool listener error: ${err.message}`));
        const address = server.address();
        this.boundPort = typeof address === 'object' && address !== null ? address.port : 0;
        this.feed.on('template', this.onTemplate);
        this.timer = setInterval(() => {
          const now = this.clock.nowMs();
          for (const session of this.sessions.values()) session.tick(now);
          this.gate.sweep();
        }, 1000);
        this.timer.unref();
        this.logger.info('local V1 pool listening', { url: this.url });
        resolve();
      });
    });
  }

  /**
   * A connection at the door: a slot from the gate (which may close another connection to make room), or null
   * when it is refused (the socket is dropped at once).
   */
  private admit(raw: Socket): Door | null {
    raw.on('error', () => {});
    if (this.server === null) {
      raw.destroy();
      return null;
    }
    let door: Door | null = null;
    // The gate may close this connection later (a newer one needs its slot, a deadline passed).
    const admission = this.gate.admit(normalizeAddress(raw.remoteAddress), (code, reason) => {
      const session = door?.session ?? null;
      if (session !== null) session.close(code, reason);
      else {
        this.closedByCode[code] = (this.closedByCode[code] ?? 0) + 1;
        raw.destroy();
      }
    });
    if (!admission.admitted) {
      this.refused++;
      this.closedByCode.refused = (this.closedByCode.refused ?? 0) + 1;
      const remote = remoteKey(raw);
      this.logger.warn(`V1 connection from ${remote} refused: ${admission.reason}`);
      this.emit('refused', { remote, reason: admission.reason });
      raw.destroy();
      return null;
    }
    door = { slot: admission.slot, session: null, raw };
    return door;
  }

  private onSocket(socket: Socket, door: Door): void {
    socket.on('error', () => {});
    if (this.server === null) {
      this.gate.release(door.slot);
      socket.destroy();
      return;
    }
    const id = ++this.sessionCounter;
    this.totalConnections++;
    const connection = new Sv1Connection(socket, { maxLineBytes: 16 * 1024 });
    const session = new PoolSession(id, connection, this);
    door.session = session;
    this.sessions.set(id, session);
    this.slots.set(session, door.slot);
    const remote = connection.remote;
    connection.on('malformed', (e) => this.logger.info(`session ${id}: skipped a line: ${e.message}`));
    connection.on('close', (info) => {
      this.sessions.delete(id);
      this.slots.delete(session);
      this.gate.release(door.slot);
      session.stats.open = false;
      this.closedStats.push(session.stats);
      if (this.closedStats.length > 64) this.closedStats.shift();
      this.closedByCode[info.code] = (this.closedByCode[info.code] ?? 0) + 1;
      this.emit('connectionClosed', { sessionId: id, remote, code: info.code, message: info.message });
    });
    this.emit('connection', { sessionId: id, remote });
    connection.start();
  }

  /** NiceHash's move for every session that asked for it: a new extranonce1, then a clean job. Returns how many. */
  moveExtranonce(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.moveExtranonce()) n++;
    return n;
  }

  /** mining.set_version_mask to every session (Braiins changes it mid-session). */
  setVersionMask(mask: number): number {
    for (const s of this.sessions.values()) s.setVersionMask(mask);
    return this.sessions.size;
  }

  /** A new difficulty for every ready session (followed by fresh work, as the profile does). */
  setDifficulty(difficulty: number): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (!s.ready) continue;
      s.setDifficulty(difficulty);
      n++;
    }
    return n;
  }

  /** client.reconnect to every session (null: the same host / port). */
  requestReconnect(host: string | null = null, port: number | null = null, waitSec: number | null = null): number {
    for (const s of this.sessions.values()) s.requestReconnect(host, port, waitSec);
    return this.sessions.size;
  }

  /** A raw line to every session (tests of misbehaving pools). */
  sendRaw(line: string): number {
    for (const s of this.sessions.values()) s.sendRaw(line);
    return this.sessions.size;
  }

  /** Stops sending work and share answers while keeping connections open (stall tests). */
  setSilent(silent: boolean): void {
    this.silentMode = silent;
  }

  /** Keeps sending work but stops answering shares. */
  setAnswerShares(answer: boolean): void {
    this.answerShares = answer;
  }

  dropConnections(reason = 'dropped by the pool'): void {
    for (const s of [...this.sessions.values()]) s.close('dropped', reason);
  }

  stats(): Sv1PoolStats {
    return {
      profile: this.profile.name,
      connections: {
        open: this.sessions.size,
        total: this.totalConnections,
        closedByCode: { ...this.closedByCode },
        refused: this.refused,
        gate: this.gate.stats(),
      },
      shares: {
        accepted: this.accepted,
        acceptedInFlight: this.acceptedInFlight,
        rejected: this.rejected,
        rejectedByReason: { ...this.rejectedByReason },
        blocksFound: this.blocksFound,
      },
      sessions: [...[...this.sessions.values()].map((s) => s.stats), ...this.closedStats].map((s) => ({
        ...s,
        rejectedByReason: { ...s.rejectedByReason },
      })),
    };
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.feed.off('template', this.onTemplate);
    const server = this.server;
    this.server = null;
    for (const s of [...this.sessions.values()]) s.close('shutdown', 'pool is shutting down');
    // A TLS handshake in progress would otherwise hold server.close() open until its timeout.
    for (const door of this.tlsInHandshake.values()) door.raw.destroy();
    this.tlsInHandshake.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

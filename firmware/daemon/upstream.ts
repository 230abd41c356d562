/**
 * The daemon's link to its pools: one upstream connection at a time, over a list of pools in failover order.
 * Each pool is reached through a `JobSource` for its protocol (see job-sources.ts), so the failover below is the
 * same whatever the pools speak.
 *
 * A pool that refuses us, drops us, or stays connected but is dead — frozen, silent, without work or share
 * answers (src/mining/pool-liveness.ts; its source closes itself as stalled) — is left for the next one in the list; a pool that asks us to move (SV2 Reconnect) is followed by its source
 * itself. After a whole round of failures the pause before the next try doubles, up to a minute. While the
 * daemon mines on a backup, the primary is probed in the background every `failbackMs` (see PrimaryFailback)
 * and the daemon moves back only once a probe got work there, so a recovered primary gets its hash rate back
 * and a primary still down never interrupts the backup.
 *
 * A pool refused only because this machine's clock is not synchronised yet (a Pi without an RTC, before NTP;
 * the source says so with the error code 'clock-not-synchronised') is not a failed pool: the same pool is
 * tried again every `clockRetryMs`, with no failover and no backoff, until the clock is set.
 */

import type { ChannelChoice } from '../../src/config/miner-config.js';
import type { ShareSubmitter } from '../../src/mining/engine.js';
import type { MinedShare, MiningJob } from '../../src/mining/job.js';
import type {
  BlockEvent,
  JobSource,
  JobSourceSession,
  JobSourceShareAnswer,
  TemplateInfo,
  TemplateOrigin,
  UpstreamProtocol,
} from '../../src/mining/job-source.js';
import type { LivenessTuning } from '../../src/mining/pool-liveness.js';
import type { DeviceInfo } from '../../src/sv2/client/mining-client.js';
import { formatDifficulty } from '../../src/util/units.js';
import { type JobSourceTimings, openJobSource } from './job-sources.js';
import { PrimaryFailback } from './primary-failback.js';
import type { SoloUpstream } from './solo-upstream.js';

export interface UpstreamPool {
  /** What logs and the API show: for solo the node or TP address without credentials. */
  url: string;
  user: string;
  /** SV2: the pool's authority key when the URL has none. */
  authorityKey: string | null;
  /** SV2: which channel kind to open (default auto). */
  channel?: ChannelChoice;
  /** V1: mining.authorize's password (default "x"). */
  password?: string | null;
  /** V1: mining.suggest_difficulty after authorize. */
  suggestDifficulty?: number | null;
  /** V1: mining.extranonce.subscribe. */
  extranonceSubscribe?: boolean;
  /** V1 over TLS: PEM certificate(s) trusted for this pool besides the system store (a self-signed pool). */
  tlsCa?: string | null;
  /** V1: follow client.reconnect to another host. */
  reconnectToOtherHosts?: boolean;
  /** Set for solo on the owner's templates (its source is built from this, not from `url`). */
  solo?: SoloUpstream;
}

/** What the engine side hears from the upstream. */
export interface UpstreamHandlers {
  /** A pool gives work now (its first target and version rolling rule). */
  sessionOpened(session: JobSourceSession): void;
  newTip(job: MiningJob | null): void;
  activeJob(job: MiningJob): void;
  target(target: bigint): void;
  shareResult(event: JobSourceShareAnswer): void;
  /** The connection is gone (shares found now cannot be sent); `reason` is for the log. */
  down(reason: string): void;
  /** Own templates: a block sent to the node, then the node's answer. */
  block?(event: BlockEvent): void;
  /** Own templates: what the current work is built on. */
  templateInfo?(info: TemplateInfo): void;
}

export interface UpstreamLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface UpstreamOptions {
  pools: readonly UpstreamPool[];
  device: DeviceInfo;
  /** What V1 pools are told in mining.subscribe (`hashaxe/<version>`). */
  userAgent?: string;
  /** What the chain hashes now (H/s), for the channel's nominal hash rate. */
  nominalHashRateHs: () => number;
  handlers: UpstreamHandlers;
  log: UpstreamLog;
  /**
   * Nothing at all from a pool for this long: fail over (default 120 s; a pool that answers liveness probes is
   * judged frozen much sooner, see src/mining/pool-liveness.ts).
   */
  stallTimeoutMs?: number;
  /** No job, target or share answer for this long, though the pool talks: fail over (default 10 min). */
  workTimeoutMs?: number;
  shareTimeoutMs?: number;
  unansweredSharesTimeoutMs?: number;
  /** The frozen-pool rule's knobs (tests shorten them; see src/mining/pool-liveness.ts). */
  liveness?: LivenessTuning;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** The chips roll versions themselves (SV2 asks for REQUIRES_VERSION_ROLLING). */
  requireVersionRolling?: boolean;
  /** While on a backup, how often the primary is probed (default 5 min). */
  failbackMs?: number;
  /** Opens a source for a pool (tests put their own in; default: by the URL's scheme). */
  openSource?: (pool: UpstreamPool, timings: JobSourceTimings) => JobSource;
  /** Whether this machine's clock is synchronised (true / false / null unknown); see clock-sync.ts. */
  clockSynchronised?: () => boolean | null;
  /** While the clock is not synchronised, how often the same pool is tried again (default 5 s). */
  clockRetryMs?: number;
}

/** The error code a job source uses when only the local clock stands between it and the pool. */
const CLOCK_NOT_SYNCHRONISED = 'clock-not-synchronised';

/** True when `err` or one of its causes carries the 'clock-not-synchronised' code. */
function clockNotSynchronised(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === CLOCK_NOT_SYNCHRONISED) return true;
  }
  return false;
}

export interface UpstreamState {
  connected: boolean;
  /** The pool in use (or being tried), as configured. */
  pool: UpstreamPool;
  poolIndex: number;
  /** What the pool in use speaks, once it gave work. */
  protocol: UpstreamProtocol | null;
  /** The channel kind or the protocol's equivalent, once it gave work. */
  channelKind: string | null;
  /** Own templates: where they come from and who is paid (null for a pool). */
  templates: TemplateOrigin | null;
  /** DIFF1 / share target. */
  difficulty: number | null;
  connectedAtMs: number | null;
  /** Times the daemon moved to another pool. */
  failovers: number;
  /** True while the daemon is on a pool after the first (a backup). */
  usingFallback: boolean;
  lastError: string | null;
}

export class Upstream implements ShareSubmitter {
  private source: JobSource | null = null;
  private current: JobSourceSession | null = null;
  private difficulty: number | null = null;
  private index = 0;
  private failovers = 0;
  private connectedAtMs: number | null = null;
  private lastError: string | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  /** When the wait for the clock began (null while it is not awaited), and when it was last logged. */
  private clockWaitSinceMs: number | null = null;
  private clockWaitLoggedMs = 0;

  constructor(private readonly options: UpstreamOptions) {
    if (options.pools.length === 0) throw new RangeError('at least one pool is needed');
  }

  get state(): UpstreamState {
    return {
      connected: this.source?.connected === true && this.current !== null,
      pool: this.options.pools[this.index],
      poolIndex: this.index,
      protocol: this.current?.protocol ?? null,
      channelKind: this.current?.channelKind ?? null,
      templates: this.current?.templates ?? null,
      difficulty: this.difficulty,
      connectedAtMs: this.connectedAtMs,
      failovers: this.failovers,
      usingFallback: this.index !== 0,
      lastError: this.lastError,
    };
  }

  /** Starts connecting; resolves at once (the loop runs until `stop`). */
  start(): void {
    this.loop ??= this.run();
  }

  /** The first channel is open (or `timeoutMs` passed): for a boot that wants to report where it mines. */
  async waitConnected(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.state.connected && !this.stopped && Date.now() < until) await sleep(50);
    return this.state.connected;
  }

  submitShare(share: MinedShare): number {
    const source = this.source;
    if (source === null) throw new Error('not connected to a pool');
    return source.submitShare(share);
  }

  /** Tells the pool the hash rate changed (it may answer with a new target). */
  updateNominalHashRate(hashRateHs: number): void {
    if (this.source?.connected) this.source.updateNominalHashRate(hashRateHs);
  }

  /** Closes the channel and the connection; no reconnect. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.source?.close('device shutting down');
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const pools = this.options.pools;
    const minMs = this.options.retryMinMs ?? 1000;
    const maxMs = this.options.retryMaxMs ?? 60_000;
    let pause = minMs;
    let failuresInRound = 0;
    while (!this.stopped) {
      const pool = pools[this.index];
      const outcome = await this.session(pool);
      if (this.stopped) break;
      if (outcome.clockNotSynchronised) {
        await this.sleep(this.options.clockRetryMs ?? 5000);
        continue;
      }
      if (outcome.mined) {
        pause = minMs;
        failuresInRound = 0;
      } else {
        failuresInRound++;
      }
      const next = outcome.failback ? 0 : (this.index + 1) % pools.length;
      if (next !== this.index) {
        this.failovers++;
        this.options.log.warn(`switching to pool ${next + 1} of ${pools.length}: ${redact(pools[next].url)}`);
      }
      this.index = next;
      if (failuresInRound >= pools.length) {
        failuresInRound = 0;
        this.options.log.info(`every pool failed; next try in ${Math.round(pause / 1000)} s`);
        await this.sleep(pause);
        pause = Math.min(maxMs, pause * 2);
      } else if (!outcome.mined) {
        await this.sleep(Math.min(pause, 1000));
      }
    }
  }

  /** One connection to one pool, from connect to disconnect. */
  private async session(
    pool: UpstreamPool,
  ): Promise<{ mined: boolean; failback: boolean; clockNotSynchronised?: boolean }> {
    const h = this.options.handlers;
    let source: JobSource;
    try {
      source = this.openSource(pool);
    } catch (err) {
      this.lastError = describe(err);
      this.options.log.warn(`pool ${redact(pool.url)}: ${this.lastError}`);
      return { mined: false, failback: false };
    }
    this.source = source;
    let open = false;
    let mined = false;
    const down = new Promise<string>((resolve) => {
      source.on('down', (e) => {
        open = false;
        this.current = null;
        this.connectedAtMs = null;
        h.down(e.reason);
        if (!e.willReconnect) resolve(`${e.code}: ${e.reason}`);
      });
    });
    source.on('opened', (session) => {
      open = true;
      this.current = session;
      this.difficulty = session.difficulty;
      this.connectedAtMs = Date.now();
      h.sessionOpened(session);
    });
    source.on('newTip', (job) => {
      if (!open) return;
      mined = true;
      h.newTip(job);
    });
    source.on('job', (job) => {
      if (open) h.activeJob(job);
    });
    source.on('target', (e) => {
      if (!open) return;
      this.difficulty = e.difficulty;
      h.target(e.target);
    });
    source.on('shareAnswer', (e) => h.shareResult(e));
    source.on('block', (e) => h.block?.(e));
    source.on('templateInfo', (e) => {
      if (open) h.templateInfo?.(e);
    });
    source.on('stalled', (e) => this.options.log.warn(`pool ${redact(pool.url)} ${e.message}; failing over`));
    source.on('warning', (e) => this.options.log.warn(`pool: ${e.message}`));
    try {
      const session = await source.connect();
      this.lastError = null;
      this.clockWaitSinceMs = null;
      this.options.log.info(
        session.templates !== undefined
          ? `solo: ${session.description}; network difficulty ${formatDifficulty(session.difficulty)}, version rolling ` +
              `${session.versionRolling.allowed ? `0x${session.versionRolling.mask.toString(16)}` : 'off'}`
          : `pool ${redact(pool.url)}: ${session.protocol.toUpperCase()} ${session.description} open as ${pool.user}, ` +
              `difficulty ${formatDifficulty(session.difficulty)}, version rolling ` +
              `${session.versionRolling.allowed ? `0x${session.versionRolling.mask.toString(16)}` : 'off'}`,
      );
    } catch (err) {
      this.lastError = describe(err);
      source.close('connection failed');
      this.source = null;
      if (clockNotSynchronised(err)) {
        this.logClockWait(pool);
        return { mined: false, failback: false, clockNotSynchronised: true };
      }
      this.options.log.warn(`pool ${redact(pool.url)}: ${this.lastError}`);
      return { mined: false, failback: false };
    }
    let failback = false;
    let watch: PrimaryFailback | null = null;
    if (this.index !== 0) {
      const primary = this.options.pools[0];
      const intervalMs = this.options.failbackMs ?? 300_000;
      watch = new PrimaryFailback({
        intervalMs,
        probe: (signal) => this.probe(primary, signal),
        failed: (why) =>
          this.options.log.info(
            `primary pool ${redact(primary.url)} still unavailable (${why}); staying on ${redact(pool.url)}, ` +
              `next check in ${formatDuration(intervalMs)}`,
          ),
        recovered: () => {
          if (this.stopped || !source.connected) return;
          failback = true;
          this.options.log.info(`primary pool ${redact(primary.url)} answers again (a probe got work there)`);
          source.close('moving back to the primary pool');
        },
      });
      watch.start();
    }
    const reason = await down;
    await watch?.stop();
    if (!this.stopped && !failback) {
      this.lastError = reason;
      this.options.log.warn(`pool ${redact(pool.url)} disconnected (${reason})`);
    }
    this.source = null;
    return { mined, failback };
  }

  /** The first refusal in full, then a reminder once a minute while the clock stays unsynchronised. */
  private logClockWait(pool: UpstreamPool): void {
    const now = Date.now();
    const retry = formatDuration(this.options.clockRetryMs ?? 5000);
    if (this.clockWaitSinceMs === null) {
      this.clockWaitSinceMs = now;
      this.clockWaitLoggedMs = now;
      this.options.log.warn(
        `pool ${redact(pool.url)}: ${this.lastError}; retrying this pool every ${retry} until the clock is ` +
          `synchronised (no failover: the pool is fine)`,
      );
    } else if (now - this.clockWaitLoggedMs >= 60_000) {
      this.clockWaitLoggedMs = now;
      this.options.log.warn(
        `still waiting for this machine's clock to be synchronised (${formatDuration(now - this.clockWaitSinceMs)}); ` +
          `retrying pool ${redact(pool.url)} every ${retry}`,
      );
    }
  }

  /** The same source options for a mining session and a failback probe, so a probe proves what a session needs. */
  private openSource(pool: UpstreamPool): JobSource {
    const timings: JobSourceTimings = {
      device: this.options.device,
      userAgent: this.options.userAgent ?? 'hashaxe',
      nominalHashRateHs: this.options.nominalHashRateHs(),
      stallTimeoutMs: this.options.stallTimeoutMs ?? 120_000,
      workTimeoutMs: this.options.workTimeoutMs ?? 600_000,
      shareTimeoutMs: this.options.shareTimeoutMs ?? 60_000,
      unansweredSharesTimeoutMs: this.options.unansweredSharesTimeoutMs ?? 600_000,
      ...(this.options.liveness !== undefined ? { liveness: this.options.liveness } : {}),
      requireVersionRolling: this.options.requireVersionRolling === true,
      ...(this.options.clockSynchronised !== undefined ? { clockSynchronised: this.options.clockSynchronised } : {}),
    };
    return (this.options.openSource ?? openJobSource)(pool, timings);
  }

  /**
   * One full connection attempt to `pool` beside the running session (for SV2: TCP, Noise with the certificate
   * check, SetupConnection, OpenMiningChannel). Resolves once it could hand out work (then closes again);
   * rejects with the reason otherwise. `signal` cancels it at any step.
   */
  private async probe(pool: UpstreamPool, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Error('cancelled');
    const source = this.openSource(pool);
    const cancel = (): void => source.close('failback probe cancelled');
    signal.addEventListener('abort', cancel, { once: true });
    try {
      await source.connect();
    } finally {
      signal.removeEventListener('abort', cancel);
      source.close('failback probe done');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A log-friendly interval: 300 ms, 45 s, 5 min. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A pool URL for logs: the authority key shortened (it is public, but long), any USER:PASS@ removed. */
export function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//').replace(/\/([1-9A-HJ-NP-Za-km-z]{12})[1-9A-HJ-NP-Za-km-z]{20,}$/, '/$1…');
}

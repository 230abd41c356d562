/**
 * The daemon's link to its pools: one Stratum V2 connection at a time, over a list of pools in failover order.
 *
 * A pool that refuses us, drops us, or stays connected but goes silent (no job, prev hash, target or share
 * answer for `stallTimeoutMs`: the client closes it as `stalled`) is left for the next one in the list; a
 * pool the client was asked to move by a Reconnect message is followed by the client itself. After a whole
 * round of failures the pause before the next try doubles, up to a minute. While the daemon mines on a
 * backup, the primary is probed in the background every `failbackMs` (see PrimaryFailback) and the daemon
 * moves back only once a probe opened a channel there, so a recovered primary gets its hash rate back and a
 * primary still down never interrupts the backup.
 */

import type { ShareSubmitter } from '../../src/mining/engine.js';
import type { ActiveJob, MiningChannelInfo } from '../../src/sv2/client/channel.js';
import {
  type DeviceInfo,
  type MiningClientOptions,
  type ShareResultEvent,
  Sv2MiningClient,
} from '../../src/sv2/client/mining-client.js';
import { formatDifficulty } from '../../src/util/units.js';
import { PrimaryFailback } from './primary-failback.js';

export interface UpstreamPool {
  url: string;
  user: string;
  authorityKey: string | null;
}

/** What the engine side hears from the upstream. */
export interface UpstreamHandlers {
  channelOpened(info: MiningChannelInfo): void;
  newTip(job: ActiveJob | null): void;
  activeJob(job: ActiveJob): void;
  target(target: bigint): void;
  shareResult(event: ShareResultEvent): void;
  /** The connection is gone (shares found now cannot be sent); `reason` is for the log. */
  down(reason: string): void;
}

export interface UpstreamLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface UpstreamOptions {
  pools: readonly UpstreamPool[];
  device: DeviceInfo;
  /** What the chain hashes now (H/s), for OpenStandardMiningChannel. */
  nominalHashRateHs: () => number;
  handlers: UpstreamHandlers;
  log: UpstreamLog;
  stallTimeoutMs?: number;
  shareTimeoutMs?: number;
  unansweredSharesTimeoutMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  /** While on a backup, how often the primary is probed (default 5 min). */
  failbackMs?: number;
}

export interface UpstreamState {
  connected: boolean;
  /** The pool in use (or being tried), as configured. */
  pool: UpstreamPool;
  poolIndex: number;
  channelId: number | null;
  /** DIFF1 / channel target. */
  difficulty: number | null;
  connectedAtMs: number | null;
  /** Times the daemon moved to another pool. */
  failovers: number;
  lastError: string | null;
}

export class Upstream implements ShareSubmitter {
  private client: Sv2MiningClient | null = null;
  private channelId: number | null = null;
  private difficulty: number | null = null;
  private index = 0;
  private failovers = 0;
  private connectedAtMs: number | null = null;
  private lastError: string | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: UpstreamOptions) {
    if (options.pools.length === 0) throw new RangeError('at least one pool is needed');
  }

  get state(): UpstreamState {
    return {
      connected: this.client?.connected === true && this.channelId !== null,
      pool: this.options.pools[this.index],
      poolIndex: this.index,
      channelId: this.channelId,
      difficulty: this.difficulty,
      connectedAtMs: this.connectedAtMs,
      failovers: this.failovers,
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

  submitShare(share: { channelId: number; jobId: number; nonce: number; ntime: number; version: number }): number {
    const client = this.client;
    if (client === null) throw new Error('not connected to a pool');
    return client.submitShare(share);
  }

  /** Tells the pool the hash rate changed (it answers with a new target). */
  updateNominalHashRate(hashRateHs: number): void {
    if (this.client?.connected && this.channelId !== null) {
      this.client.updateNominalHashRate(this.channelId, hashRateHs);
    }
  }

  /** Closes the channel (CloseChannel) and the connection; no reconnect. */
  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    if (client !== null) {
      if (this.channelId !== null && client.connected) client.closeChannel(this.channelId, 'device shutting down');
      client.close('device shutting down');
    }
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
  private async session(pool: UpstreamPool): Promise<{ mined: boolean; failback: boolean }> {
    const h = this.options.handlers;
    let client: Sv2MiningClient;
    try {
      client = new Sv2MiningClient(this.clientOptions(pool));
    } catch (err) {
      this.lastError = describe(err);
      this.options.log.warn(`pool ${redact(pool.url)}: ${this.lastError}`);
      return { mined: false, failback: false };
    }
    this.client = client;
    let channel: number | null = null;
    let mined = false;
    const down = new Promise<string>((resolve) => {
      client.on('disconnected', (e) => {
        channel = null;
        this.channelId = null;
        this.connectedAtMs = null;
        h.down(e.reason);
        if (!e.willReconnect) resolve(`${e.code}: ${e.reason}`);
      });
    });
    client.on('channelOpened', (info) => {
      channel = info.channelId;
      this.channelId = info.channelId;
      this.difficulty = info.difficulty;
      this.connectedAtMs = Date.now();
      h.channelOpened(info);
    });
    client.on('prevHash', (e) => {
      if (e.channelId !== channel) return;
      mined = true;
      h.newTip(e.job);
    });
    client.on('job', (e) => {
      if (e.channelId === channel && e.active !== null) h.activeJob(e.active);
    });
    client.on('target', (e) => {
      if (e.channelId !== channel) return;
      this.difficulty = e.difficulty;
      h.target(e.target);
    });
    client.on('shareResult', (e) => h.shareResult(e));
    client.on('stalled', (e) =>
      this.options.log.warn(
        e.reason === 'silent'
          ? `pool ${redact(pool.url)} connected but silent for ${Math.round(e.silentForMs / 1000)} s; failing over`
          : `pool ${redact(pool.url)} still sends work but answered none of the last ${e.unansweredShares} shares; failing over`,
      ),
    );
    client.on('warning', (e) => this.options.log.warn(`pool: ${e.message}`));
    try {
      const info = await client.connect();
      this.lastError = null;
      this.options.log.info(
        `pool ${redact(pool.url)}: channel ${info.channelId} open as ${pool.user}, difficulty ${formatDifficulty(info.difficulty)}` +
          `, version rolling ${info.versionRolling.allowed ? `0x${info.versionRolling.mask.toString(16)}` : 'off'}`,
      );
    } catch (err) {
      this.lastError = describe(err);
      this.options.log.warn(`pool ${redact(pool.url)}: ${this.lastError}`);
      client.close();
      this.client = null;
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
          if (this.stopped || !client.connected) return;
          failback = true;
          this.options.log.info(`primary pool ${redact(primary.url)} answers again (a probe opened a channel)`);
          if (channel !== null) client.closeChannel(channel, 'moving back to the primary pool');
          client.close('failing back to the primary pool');
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
    this.client = null;
    return { mined, failback };
  }

  /** The same client options for a mining session and a failback probe, so a probe proves what a session needs. */
  private clientOptions(pool: UpstreamPool): MiningClientOptions {
    return {
      url: pool.url,
      ...(pool.authorityKey !== null ? { authorityKey: pool.authorityKey } : {}),
      userIdentity: pool.user,
      nominalHashRateHs: this.options.nominalHashRateHs(),
      device: this.options.device,
      stallTimeoutMs: this.options.stallTimeoutMs ?? 120_000,
      shareTimeoutMs: this.options.shareTimeoutMs ?? 60_000,
      unansweredSharesTimeoutMs: this.options.unansweredSharesTimeoutMs ?? 600_000,
    };
  }

  /**
   * One full connection attempt to `pool` beside the running session: TCP, Noise with the certificate check,
   * SetupConnection, OpenStandardMiningChannel. Resolves once the channel opened (then closes it again);
   * rejects with the reason otherwise. `signal` cancels it at any step.
   */
  private async probe(pool: UpstreamPool, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Error('cancelled');
    const client = new Sv2MiningClient(this.clientOptions(pool));
    const cancel = (): void => client.close('failback probe cancelled');
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const info = await client.connect();
      client.closeChannel(info.channelId, 'failback probe done');
    } finally {
      signal.removeEventListener('abort', cancel);
      client.close('failback probe done');
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

/** A pool URL for logs: the authority key shortened (it is public, but long). */
export function redact(url: string): string {
  return url.replace(/\/([1-9A-HJ-NP-Za-km-z]{12})[1-9A-HJ-NP-Za-km-z]{20,}$/, '/$1…');
}

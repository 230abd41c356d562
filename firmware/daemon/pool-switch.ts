/**
 * The daemon's pools and its one upstream over them, as something the API can change while mining: the failover
 * list (and the AxeOS slot table that shows and edits it), the upstream wired to the engine, and what the upstream
 * tells the owner (the last share's round trip, the network's difficulty and height from the jobs, the protocol,
 * channel and encryption in use). `apply` replaces the list: every pool is checked first, then the upstream is
 * stopped and started again on the new list.
 */
import { coinbaseHeight } from '../../src/bitcoin/coinbase-height.js';
import { difficultyFromTarget, nbitsToTarget } from '../../src/bitcoin/target.js';
import type { MiningEngine } from '../../src/mining/engine.js';
import type { MinedShare, MiningJob } from '../../src/mining/job.js';
import type { BlockEvent, TemplateInfo, UpstreamProtocol } from '../../src/mining/job-source.js';
import type { DeviceInfo } from '../../src/sv2/client/mining-client.js';
import { PoolChangeError } from '../api/device-api.js';
import type { MiningStatus } from '../api/mining-status.js';
import { failoverOrder, type PoolTable, poolsOf, slotFromPool } from '../api/pool-slots.js';
import type { BoardLog } from '../board/board-control.js';
import { openJobSource } from './job-sources.js';
import { ShareRoundTrip } from './share-round-trip.js';
import { redact, Upstream, type UpstreamOptions, type UpstreamPool, type UpstreamState } from './upstream.js';

export interface PoolSwitchOptions {
  device: DeviceInfo;
  nominalHashRateHs: () => number;
  engine: () => MiningEngine;
  log: BoardLog;
  /** The worker name for a pool given without one. */
  defaultUser: string;
  /** The chips roll versions themselves: ask pools for jobs that allow it (SV2 REQUIRES_VERSION_ROLLING). */
  requireVersionRolling?: boolean;
  /** What a V1 pool is told in mining.subscribe (`hashaxe/<version>`). */
  userAgent?: string;
  /** Whether this machine's clock is synchronised (a certificate refused only for our clock is retried). */
  clockSynchronised?: () => boolean | null;
  /** Own templates: a block sent to the node, then its answer. */
  onBlock?: (event: BlockEvent) => void;
  /** Own templates: the template behind the latest job. */
  onTemplateInfo?: (info: TemplateInfo) => void;
  /** Upstream timings (tests shorten them). */
  timings?: Pick<
    UpstreamOptions,
    'stallTimeoutMs' | 'workTimeoutMs' | 'unansweredSharesTimeoutMs' | 'liveness' | 'retryMinMs' | 'failbackMs'
  >;
}

export class PoolSwitch {
  private upstream: Upstream | null = null;
  private pools: UpstreamPool[] = [];
  private table: PoolTable = { slots: [], primaryIndex: 0, secondaryIndex: 0, useFallback: false };
  private readonly roundTrip = new ShareRoundTrip();
  private chainTip: { networkDifficulty: number; blockHeight: number | null } | null = null;
  private change: Promise<void> = Promise.resolve();
  private stopped = false;
  private protocol: UpstreamProtocol | null = null;
  /**
   * Solo on the owner's templates: mined first, ahead of the slots (which are then its backup pools). It is not a
   * slot: the AxeOS pool page shows and edits pools, and a save there never drops solo.
   */
  private lead: UpstreamPool | null = null;

  constructor(private readonly options: PoolSwitchOptions) {}

  /** What the last pool that gave work speaks ('sv2', 'sv1', …), null before any did. */
  get lastProtocol(): UpstreamProtocol | null {
    return this.protocol;
  }

  /**
   * Starts mining on `pools` (failover order); they become slots 0, 1, … with 0 primary and 1 secondary. `lead`
   * (solo) is mined first and the pools are its backups.
   */
  start(pools: UpstreamPool[], lead: UpstreamPool | null = null): void {
    this.pools = pools;
    this.lead = lead;
    this.table = {
      slots: pools.map((p, i) => slotFromPool(p, i)),
      primaryIndex: 0,
      secondaryIndex: pools.length > 1 ? 1 : 0,
      useFallback: false,
    };
    this.upstream = this.createUpstream(this.failoverList(pools));
    this.upstream.start();
  }

  private failoverList(pools: UpstreamPool[]): UpstreamPool[] {
    return this.lead === null ? pools : [this.lead, ...pools];
  }

  get state(): UpstreamState | null {
    return this.upstream?.state ?? null;
  }

  waitConnected(timeoutMs: number): Promise<boolean> {
    return this.upstream?.waitConnected(timeoutMs) ?? Promise.resolve(false);
  }

  submitShare(share: MinedShare): number {
    if (this.upstream === null) throw new Error('no pool yet');
    return this.upstream.submitShare(share);
  }

  /** A share went to the pool (for the round trip). */
  shareSent(): void {
    this.roundTrip.submitted();
  }

  updateNominalHashRate(hs: number): void {
    this.upstream?.updateNominalHashRate(hs);
  }

  poolTable(): PoolTable {
    return structuredClone(this.table);
  }

  /**
   * Mines on the table's pools from now on: every pool is checked first (its URL opens a job source: a protocol
   * this build speaks, a valid key), then the upstream is stopped and started again on the new list. A refused
   * table changes nothing. One change at a time.
   */
  apply(table: PoolTable): Promise<void> {
    const run = this.change.then(async () => {
      const pools = poolsOf(table).map((p) => ({ ...p, user: p.user || this.options.defaultUser }));
      if (pools.length === 0 && this.lead === null) throw new PoolChangeError('at least one pool is needed');
      for (const pool of pools) {
        try {
          openJobSource(pool, {
            device: this.options.device,
            userAgent: this.options.userAgent ?? 'hashaxe',
            nominalHashRateHs: 1,
            stallTimeoutMs: 1,
            workTimeoutMs: 1,
            shareTimeoutMs: 1,
            unansweredSharesTimeoutMs: 1,
          });
        } catch (err) {
          throw new PoolChangeError(`pool ${redact(pool.url)} cannot be used: ${describe(err)}`);
        }
      }
      if (this.stopped) throw new PoolChangeError('the daemon is shutting down');
      const old = this.upstream;
      this.table = structuredClone(table);
      this.pools = pools;
      const list = this.failoverList(pools);
      this.options.log.info(
        `pools changed through the API; mining on ${list.map((p) => redact(p.url)).join(', then ')}`,
      );
      await old?.stop();
      this.roundTrip.reset();
      this.options.engine().upstreamDown();
      this.upstream = this.createUpstream(list);
      this.upstream.start();
    });
    this.change = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.change;
    await this.upstream?.stop().catch(() => undefined);
  }

  /** The pool part of the API's mining status. */
  status(): Pick<
    MiningStatus,
    | 'pool'
    | 'poolDifficulty'
    | 'poolTable'
    | 'activeSlot'
    | 'responseTimeMs'
    | 'responseShareBatch'
    | 'sharesPending'
    | 'chainTip'
    | 'upstream'
  > & { connected: boolean } {
    const up = this.state;
    const slot = up === null ? null : slotFromPool(up.pool, 0);
    const solo = up?.pool.solo;
    // The slot mining now: the lead (solo) has none, so pools are counted after it.
    const slotIndex = up === null ? -1 : up.poolIndex - (this.lead === null ? 0 : 1);
    const encrypted =
      solo !== undefined ? solo.kind === 'template-provider' : up?.protocol === 'sv2' || slot?.tls !== 0;
    return {
      connected: up?.connected ?? false,
      pool:
        up === null || slot === null
          ? null
          : {
              url: redact(up.pool.url),
              port: slot.port,
              user: up.pool.user,
              protocol: solo !== undefined ? 'SOLO' : slot.protocol,
              ...(up.channelKind !== null ? { channelKind: up.channelKind } : {}),
            },
      ...(up?.difficulty != null ? { poolDifficulty: up.difficulty } : {}),
      poolTable: this.poolTable(),
      activeSlot: slotIndex < 0 ? null : (failoverOrder(this.table)[slotIndex]?.id ?? null),
      responseTimeMs: this.roundTrip.responseTimeMs,
      responseShareBatch: this.roundTrip.batch,
      sharesPending: this.roundTrip.pending,
      ...(this.chainTip !== null ? { chainTip: { ...this.chainTip } } : {}),
      ...(up !== null && slot !== null
        ? {
            upstream: {
              connected: up.connected,
              protocol: up.protocol,
              channelKind: up.channelKind,
              encrypted,
              authenticated:
                solo !== undefined
                  ? solo.kind === 'template-provider' && !solo.local
                  : up.protocol === 'sv2' && slot.authorityKey !== '',
              authorityKey: slot.authorityKey,
              poolIndex: up.poolIndex,
              poolCount: this.pools.length + (this.lead === null ? 0 : 1),
              failovers: up.failovers,
              lastError: up.lastError,
              connectedForMs: up.connectedAtMs === null ? null : Date.now() - up.connectedAtMs,
            },
          }
        : {}),
    };
  }

  /** One upstream over `pools` in failover order, wired to the engine. */
  private createUpstream(pools: UpstreamPool[]): Upstream {
    const engine = this.options.engine;
    const t = this.options.timings ?? {};
    return new Upstream({
      pools,
      device: this.options.device,
      nominalHashRateHs: this.options.nominalHashRateHs,
      requireVersionRolling: this.options.requireVersionRolling === true,
      ...(this.options.userAgent !== undefined ? { userAgent: this.options.userAgent } : {}),
      ...(this.options.clockSynchronised !== undefined ? { clockSynchronised: this.options.clockSynchronised } : {}),
      handlers: {
        sessionOpened: (session) => {
          this.protocol = session.protocol;
          engine().setTarget(session.target);
        },
        newTip: (job) => {
          if (job !== null) this.noteTip(job);
          engine().newTip(job);
        },
        activeJob: (job) => {
          this.noteTip(job);
          engine().activeJob(job);
        },
        target: (target) => engine().setTarget(target),
        shareResult: (e) => {
          engine().onShareResult(e);
          this.roundTrip.answered(e);
          if (e.kind === 'rejected') this.options.log.warn(`share rejected: ${e.reason}`);
          else if ((e.kind === 'lost' || e.kind === 'timeout') && e.count > 0) {
            this.options.log.warn(
              `${e.count} share(s) ${e.kind === 'lost' ? 'lost' : 'unanswered'}: ${e.why ?? 'no reason given'}`,
            );
          }
        },
        down: () => {
          this.roundTrip.reset();
          engine().upstreamDown();
        },
        block: (e) => this.options.onBlock?.(e),
        templateInfo: (t) => this.options.onTemplateInfo?.(t),
      },
      log: this.options.log,
      ...(t.stallTimeoutMs !== undefined ? { stallTimeoutMs: t.stallTimeoutMs } : {}),
      ...(t.unansweredSharesTimeoutMs !== undefined ? { unansweredSharesTimeoutMs: t.unansweredSharesTimeoutMs } : {}),
      ...(t.workTimeoutMs !== undefined ? { workTimeoutMs: t.workTimeoutMs } : {}),
      ...(t.liveness !== undefined ? { liveness: t.liveness } : {}),
      ...(t.retryMinMs !== undefined ? { retryMinMs: t.retryMinMs } : {}),
      ...(t.failbackMs !== undefined ? { failbackMs: t.failbackMs } : {}),
    });
  }

  /** The network's difficulty and height from the job the chips get (the height only when a coinbase says it). */
  private noteTip(job: MiningJob): void {
    this.chainTip = {
      networkDifficulty: difficultyFromTarget(nbitsToTarget(job.nbits)),
      blockHeight: job.header.kind === 'coinbase' ? coinbaseHeight(job.header.prefix) : null,
    };
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

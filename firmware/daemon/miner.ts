/**
 * The daemon: a board, its chain, a pool and the engine between them, composed from a board definition and a
 * config, with the HTTP API on top.
 *
 * Boot: board peripherals (fan first) → core power on → reset pulse → enumerate → init at the set frequency →
 * baud switch → engine → pool → mine. The board control re-runs the chain bring-up after every power cycle
 * (an API restart, a cleared overheat), and the engine is told when the chips stop and start again.
 * Shutdown: stop handing out work, CloseChannel, power down with reset held (`stop`).
 */

import { Bm13xxChain } from '../../drivers/asic/bm13xx-chain.js';
import { type ChipModelName, chipModel } from '../../drivers/asic/chip-model.js';
import type { EmulatedChain } from '../../drivers/emulator/bm13xx-emulator.js';
import { openTransport } from '../../drivers/transport/open-transport.js';
import type { Transport } from '../../drivers/transport/transport.js';
import { MAX_TARGET } from '../../src/bitcoin/target.js';
import type { BoardDefinition } from '../../src/config/board.js';
import type { MinerConfig } from '../../src/config/miner-config.js';
import { MiningEngine } from '../../src/mining/engine.js';
import { WHOLE_EXTRANONCE } from '../../src/mining/extranonce-partition.js';
import type { LivenessTuning } from '../../src/mining/pool-liveness.js';
import type { MiningStatsSnapshot } from '../../src/mining/stats.js';
import type { Sv1Pool } from '../../src/sv1/pool/v1-pool.js';
import type { LocalPool } from '../../src/sv2/pool/local-pool.js';
import { formatDifficulty, formatHashrate, formatScale } from '../../src/util/units.js';
import type { ChainStatus } from '../api/chain-status.js';
import type { DeviceApi } from '../api/device-api.js';
import type { MiningStatus } from '../api/mining-status.js';
import type { PoolTable } from '../api/pool-slots.js';
import { preferencesPathFor } from '../api/preferences-store.js';
import { Scoreboard, type ScoreboardEntry } from '../api/scoreboard.js';
import { ApiServer } from '../api/server.js';
import { BoardControl, type BoardLog, type BoardTelemetry } from '../board/board-control.js';
import { type BoardHardware, emulatedBoardHardware, openBoardHardware } from '../board/hardware.js';
import { bringUpChain } from './chain-bringup.js';
import { ChainWatchdog, DEFAULT_WATCHDOG, type WatchdogPolicy } from './chain-watchdog.js';
import { type EmulatedRig, startEmulatedRig } from './emulated-rig.js';
import { readLifetimeState, writeLifetimeState } from './lifetime-state.js';
import { LogRing } from './log-ring.js';
import { configuredPools, type LocalPools, PoolListError, startLocalPools } from './pool-list.js';
import { PoolSwitch } from './pool-switch.js';
import { ScaledNonceHint } from './scaled-nonce-hint.js';
import { redact, type UpstreamPool } from './upstream.js';

/** How the board's fan, sensors, regulator and reset line are reached. */
export type PeripheralsMode = 'emulated' | 'hardware' | 'none';

export interface MinerOptions {
  config: MinerConfig;
  board: BoardDefinition;
  /** Where the config came from, for messages. */
  peripherals: PeripheralsMode;
  version: string;
  log: BoardLog;
  /** Overrides for tests: board-control timings. */
  boardPolicy?: ConstructorParameters<typeof BoardControl>[0]['policy'];
  /** Overrides for tests: pool silence and retry timings, the chain watchdog. */
  timings?: {
    stallTimeoutMs?: number;
    workTimeoutMs?: number;
    unansweredSharesTimeoutMs?: number;
    liveness?: LivenessTuning;
    retryMinMs?: number;
    failbackMs?: number;
    watchdog?: Partial<WatchdogPolicy>;
  };
  /** Wait this long for the first pool channel before `start` returns (the boot report names the pool). */
  connectWaitMs?: number;
}

/** The final line of `hashaxe mine --duration N --json`. */
export interface MinerSummary {
  accepted: number;
  rejected: number;
  rejectReasons: Record<string, number>;
  hwErrors: number;
  /** From verified nonces at the ticket difficulty: what the chips really hashed. */
  hashrateGhs: number;
  /** The emulator's configured rate, at the frequency the chips start at (null on real chips). */
  emulatedHashrateGhs: number | null;
  /** From shares the pool accepted (noisy over short runs). */
  poolHashrateGhs: number;
  bestDifficulty: number;
  /** Pool jobs the chips mined. */
  jobs: number;
  prevHashChanges: number;
  /** Work items sent to the chips (fresh versions / ntime of the same jobs included). */
  chipJobs: number;
  sharesSubmitted: number;
  sharesDroppedStale: number;
  hwErrorsPerChip: number[];
  /** Power cycles the chain watchdog did. */
  chainRestarts: number;
  uptimeSeconds: number;
  board: string;
  pool: string | null;
  /** The SV2 channel kind mined on last (extended or standard). */
  channel: string | null;
  /** What the pool in use speaks ("sv2", "sv1"), null when none gave work. */
  protocol: string | null;
  /** Shares whose fate is unknown: in flight when a connection dropped, not answered in time, or not sendable. */
  sharesLost: number;
  sharesTimedOut: number;
  sharesNotSent: number;
}

export class MinerStartError extends Error {
  override readonly name = 'MinerStartError';
}

export class Miner implements DeviceApi {
  private rig: EmulatedRig | null = null;
  private hardware: BoardHardware | null = null;
  private transport: Transport | null = null;
  private chain: Bm13xxChain | null = null;
  private control: BoardControl | null = null;
  private engineRef: MiningEngine | null = null;
  private poolSwitch: PoolSwitch | null = null;
  private local: LocalPools | null = null;
  private api: ApiServer | null = null;
  private bringUpError: Error | null = null;
  private chipsUp = false;
  private readonly startedAtMs = Date.now();
  private stopping: Promise<void> | null = null;
  private pools: UpstreamPool[] = [];
  /** What the last pool that gave work speaks (for the summary after it is gone). */
  private lastProtocol: string | null = null;
  private readonly log: BoardLog;
  private readonly watchdog: ChainWatchdog;
  private watchdogTimer: NodeJS.Timeout | null = null;
  /** All-time best difficulty from `--state` (0 without one), what was last written, and the save timer. */
  private lifetimeBest = 0;
  private savedBest = 0;
  private stateTimer: NodeJS.Timeout | null = null;
  private stateWarning: string | null = null;
  private stateSave: Promise<void> = Promise.resolve();
  private recovering = false;
  private watchdogGaveUp = false;
  private chainRestarts = 0;
  private lastRecoveryMs = 0;
  private bringUp: (() => Promise<void>) | null = null;
  /** The recent log, for the API's log socket and download. */
  readonly logRing = new LogRing();
  private readonly best = new Scoreboard();
  private blocksFound = 0;
  /** The owner paused mining through the API. */
  private pausedByUser = false;

  private constructor(private readonly options: MinerOptions) {
    this.log = this.logRing.tee(options.log);
    this.watchdog = new ChainWatchdog({ ...DEFAULT_WATCHDOG, ...options.timings?.watchdog });
  }

  /** Boots everything; on failure everything already started is shut down and MinerStartError says why. */
  static async start(options: MinerOptions): Promise<Miner> {
    const miner = new Miner(options);
    try {
      await miner.boot();
    } catch (err) {
      await miner.stop().catch(() => undefined);
      throw err instanceof MinerStartError ? err : new MinerStartError(describe(err));
    }
    return miner;
  }

  get engine(): MiningEngine {
    if (this.engineRef === null) throw new Error('the miner has not started');
    return this.engineRef;
  }

  /** The in-process emulated chain (embedded default and tests), or null on real hardware. */
  get emulatedChain(): EmulatedChain | null {
    return this.rig?.chain ?? null;
  }

  /** The in-process emulated board (embedded default and tests), or null. */
  get emulatedBoard(): EmulatedRig['hardware']['emulated'] | null {
    return this.rig?.hardware.emulated ?? null;
  }

  get boardControl(): BoardControl | null {
    return this.control;
  }

  get apiUrl(): string | null {
    return this.api?.url ?? null;
  }

  get localPoolInstance(): LocalPool | null {
    return this.local?.sv2 ?? null;
  }

  /** The embedded pool's Stratum V1 port (`--pool local-v1`), or null. */
  get localV1PoolInstance(): Sv1Pool | null {
    return this.local?.v1 ?? null;
  }

  /** The pool the daemon mines on now (URL as configured). */
  get poolUrl(): string | null {
    return this.poolSwitch?.state?.pool.url ?? null;
  }

  /**
   * What the chips hash (H/s): PLL × cores on silicon; for emulated chips (in-process, or an external
   * `hashaxe emulate` behind a difficulty scale below 1) the CPU rate they were given.
   */
  chainHashrateHs(): number {
    // The in-process emulator's rate follows the PLL the driver set (from the driver's side: a write still on the
    // line must not leave the engine and the pool with the old rate); an external one hashes at its --hashrate.
    const rig = this.rig;
    if (rig !== null) {
      const reference = rig.chain.referenceFrequencyMhz;
      const mhz = this.chain?.frequencyMhz ?? 0;
      const rate = this.options.config.emulator.hashrateHs;
      return reference === null || !(mhz > 0) ? rate : (rate * mhz) / reference;
    }
    if (this.chipsAreEmulated()) return this.options.config.emulator.hashrateHs;
    return (this.chain?.expectedHashrateGhs() ?? 0) * 1e9;
  }

  /**
   * How often the chips get fresh work. Chips that roll versions themselves cover 2^48 hashes per job and get
   * ESP-Miner's interval; a BM1397 covers 4 × 2^32 and is refreshed at half the time it takes to sweep that,
   * whatever it hashes at (silicon: tens of ms; an emulator: seconds).
   */
  private refreshIntervalMs(): number {
    const chain = this.chain;
    if (chain === null) return 1000;
    if (chain.chipRollsVersions) return Math.max(20, chain.jobIntervalMs());
    const sweepMs = ((chain.versionsPerWork * 2 ** 32) / Math.max(1, this.chainHashrateHs())) * 1000;
    return Math.round(Math.min(2000, Math.max(20, sweepMs / 2)));
  }

  private chipsAreEmulated(): boolean {
    return this.rig !== null || this.options.config.difficultyScale < 1;
  }

  private difficultyScale(): number {
    return this.rig !== null ? this.options.config.emulator.difficultyScale : this.options.config.difficultyScale;
  }

  private async boot(): Promise<void> {
    const { config, board } = this.options;
    const model = board.asic.model.toLowerCase() as ChipModelName;
    if (config.stateFile !== null) {
      const { state, warning } = await readLifetimeState(config.stateFile);
      if (warning !== null) this.log.warn(warning);
      this.lifetimeBest = state.bestDifficulty;
      this.savedBest = state.bestDifficulty;
      this.stateTimer = setInterval(() => void this.saveLifetimeState(), STATE_SAVE_INTERVAL_MS);
      this.stateTimer.unref();
    }
    // Hardware: the board's peripherals and the line to its chips.
    if (config.port.kind === 'emulated') {
      // The configured rate is what the chips hash at the frequency they start at; other clocks scale it.
      this.rig = await startEmulatedRig(board, {
        ...config.emulator,
        referenceFrequencyMhz: config.settings.frequencyMhz ?? board.defaults.frequencyMhz,
      });
      this.hardware = this.rig.hardware;
      const line = this.rig.line;
      if (line.kind === 'pty') {
        this.transport = await openTransport(line.path, board.uart.baud);
      } else {
        this.transport = line.transport;
        this.log.warn(`${line.reason}: the emulated chain is wired in memory instead of over a pseudo-terminal`);
      }
      this.log.info(
        `emulated ${board.asic.count}× ${board.asic.model} on ${line.kind === 'pty' ? line.path : 'an in-memory line'}: ` +
          `${formatHashrate(config.emulator.hashrateHs)} of real SHA-256d, nonces reported at ticket × ` +
          `${formatScale(config.emulator.difficultyScale)} (CPU hashing is ~10^5× slower than silicon)`,
      );
    } else {
      const portPath =
        config.port.kind === 'tcp'
          ? config.port.url
          : config.port.kind === 'board'
            ? board.uart.device
            : config.port.path;
      if (this.options.peripherals === 'hardware') this.hardware = await openBoardHardware(board);
      if (this.options.peripherals === 'emulated') {
        // An emulated board beside chips hashaxe does not own (an external emulator): physics runs, no chain tie.
        const hw = emulatedBoardHardware(board);
        const stopPhysics = hw.emulated.runRealtime(100);
        this.hardware = {
          ...hw,
          close: async () => {
            stopPhysics();
            await hw.close();
          },
        };
      }
      this.transport = await openTransport(portPath, board.uart.baud);
    }
    this.chain = new Bm13xxChain(this.transport, {
      model,
      expectedChips: board.asic.count,
      // Emulated chips (in-process, or behind a difficulty scale) need no settle time; silicon gets ESP-Miner's.
      delayScale: this.chipsAreEmulated() ? 0 : 1,
    });
    const frequencyMhz = config.settings.frequencyMhz ?? board.defaults.frequencyMhz;
    const chain = this.chain;
    const transport = this.transport;
    const bringUp = async (): Promise<void> => {
      this.chipsUp = false;
      this.engineRef?.pause();
      try {
        const r = await bringUpChain(chain, transport, {
          initialBaud: board.uart.baud,
          frequencyMhz: this.control?.getSettings().frequencyMhz ?? frequencyMhz,
        });
        this.bringUpError = null;
        this.chipsUp = true;
        this.log.info(
          `${r.chipCount}× ${board.asic.model} enumerated, init at ${r.frequencyMhz.toFixed(2)} MHz, UART ${r.baud} baud (${r.tookMs} ms)`,
        );
        this.resumeMining();
      } catch (err) {
        this.bringUpError = err instanceof Error ? err : new Error(String(err));
        this.log.error(`chain bring-up failed: ${this.bringUpError.message}`);
        throw err;
      }
    };
    this.bringUp = bringUp;
    if (this.hardware !== null) {
      this.control = new BoardControl({
        board,
        peripherals: this.hardware.peripherals,
        gpio: this.hardware.gpio,
        asic: {
          setFrequency: async (mhz) => {
            const achieved = await chain.setFrequency(mhz);
            this.onFrequency();
            return achieved;
          },
        },
        initChips: bringUp,
        log: this.log,
        settings: {
          ...(config.settings.frequencyMhz !== undefined ? { frequencyMhz: config.settings.frequencyMhz } : {}),
          ...(config.settings.voltageMv !== undefined ? { voltageMv: config.settings.voltageMv } : {}),
          ...(config.settings.fanMode !== undefined ? { fanMode: config.settings.fanMode } : {}),
          ...(config.settings.fanPercent !== undefined ? { fanPercent: config.settings.fanPercent } : {}),
          ...(config.settings.fanTargetC !== undefined ? { fanTargetC: config.settings.fanTargetC } : {}),
          ...(config.settings.minFanPercent !== undefined ? { minFanPercent: config.settings.minFanPercent } : {}),
        },
        ...(this.options.boardPolicy !== undefined ? { policy: this.options.boardPolicy } : {}),
      });
      this.control.onEvent((e) => {
        if (e.type === 'power' && !e.on) {
          this.chipsUp = false;
          this.engineRef?.pause();
          if (this.stopping === null) this.log.warn(`chips stopped: ${e.reason}`);
        }
      });
      await this.control.start();
      if (!this.chipsUp) {
        const why =
          this.bringUpError?.message ??
          this.control.telemetry().overheat?.reason ??
          'the board did not power the chips';
        throw new MinerStartError(`the chips did not come up: ${why}`);
      }
    } else {
      this.log.warn(
        `no board peripherals (--peripherals none): hashaxe does not see fan, temperatures or power here, and cannot cut power on overheat`,
      );
      await bringUp();
    }

    this.engineRef = new MiningEngine({
      chain,
      submitter: { submitShare: (s) => this.requirePools().submitShare(s) },
      // One board behind this host's channel: its whole extranonce space. A host driving several boards behind
      // one channel gives each its own share (extranonce-partition.ts), so no two ever build the same coinbase.
      extranonceShare: WHOLE_EXTRANONCE,
      hashrateHs: this.chainHashrateHs(),
      target: MAX_TARGET,
      difficultyScale: this.difficultyScale(),
      refreshIntervalMs: this.refreshIntervalMs(),
    });
    let hwLogged = 0;
    const scaleHint = new ScaledNonceHint();
    this.engine.on('hardwareError', (e) => {
      // The first few in full; the count is in the statistics, the status line and /metrics.
      if (hwLogged++ < 10) {
        this.log.warn(
          `hardware error: chip ${e.chipIndex} nonce 0x${e.nonce.toString(16)} does not hash to its ticket`,
        );
      }
      const scale = scaleHint.observe(e.difficulty, this.engine.ticketChoice);
      if (scale !== null) {
        this.log.warn(
          `these hardware errors all hash to about ticket × ${formatScale(scale)}, which broken silicon does not do: ` +
            `the chips look emulated, reporting at a scaled difficulty; restart with --difficulty-scale ${formatScale(scale)} ` +
            `(and the --hashrate the emulator prints)`,
        );
      }
    });
    this.engine.on('share', (e) => {
      this.poolSwitch?.shareSent();
      this.best.offer({
        difficulty: e.difficulty,
        jobId: e.jobId,
        extranonce: e.extranonce,
        ntime: e.ntime,
        nonce: e.nonce,
        version: e.version,
      });
      if (e.blockFound) {
        this.blocksFound++;
        this.log.info(`BLOCK FOUND: share of difficulty ${formatDifficulty(e.difficulty)} meets the network target`);
      }
    });
    let notSentLogged = 0;
    this.engine.on('submitFailed', (e) => {
      // Counted (sharesNotSent); the first few say why in full.
      if (notSentLogged++ < 10) this.log.warn(`share not sent, counted as lost: ${e.reason}`);
    });
    this.engine.start();

    // The pool: the configured ones in failover order, or the embedded local pool.
    if (config.pools.length === 0) {
      this.local = await startLocalPools(config.localPool, config.user, this.chainHashrateHs());
      this.pools = [{ ...this.local.pool, channel: config.channel }];
      if (this.rig === null) {
        this.log.warn(
          'no pool configured: real chips are mining on the local test pool, where nothing is paid; add pools to the config',
        );
      }
      for (const line of this.local.description) this.log.info(line);
    } else {
      try {
        this.pools = configuredPools(config);
      } catch (err) {
        if (err instanceof PoolListError) throw new MinerStartError(err.message);
        throw err;
      }
    }
    const board0 = this.options.board;
    this.poolSwitch = new PoolSwitch({
      device: {
        vendor: 'hashaxe',
        hardwareVersion: `${board0.name} ${board0.asic.count}x${board0.asic.model}${this.rig !== null ? ' (emulated)' : ''}`,
        firmware: `hashaxe ${this.options.version}`,
      },
      userAgent: `hashaxe/${this.options.version}`,
      nominalHashRateHs: () => this.chainHashrateHs(),
      // BM1366/68/70 roll versions inside the chip: without rolling they lose most of their search space per job.
      requireVersionRolling: chipModel(board0.asic.model.toLowerCase() as ChipModelName).rollsVersions,
      engine: () => this.engine,
      log: this.log,
      defaultUser: config.user,
      ...(this.options.timings !== undefined ? { timings: this.options.timings } : {}),
    });
    this.poolSwitch.start(this.pools);
    this.watchdogTimer = setInterval(() => void this.checkChain(), 1000);
    this.watchdogTimer.unref();
    await this.poolSwitch.waitConnected(this.options.connectWaitMs ?? 5000);

    if (config.api.enabled) {
      try {
        // Without board control (--peripherals none) the API still serves the mining half and refuses board changes.
        this.api = await ApiServer.start({
          board: this.control,
          boardDefinition: board,
          chain: { chainStatus: () => this.chainStatus() },
          mining: { miningStatus: () => this.miningStatus() },
          device: this,
          logs: this.logRing,
          trustedOrigins: config.api.trustedOrigins,
          preferencesFile: config.stateFile === null ? null : preferencesPathFor(config.stateFile),
          host: config.api.host,
          port: config.api.port,
          token: config.api.token,
          version: this.options.version,
          log: this.log,
          sensorLabels: board.peripherals.asicTemp.map((t) => `${t.part}@${t.address}`),
        });
      } catch (err) {
        this.log.warn(`HTTP API not started: ${describe(err)}`);
      }
    }
  }

  // ---- DeviceApi: what the HTTP API asks of the daemon ----------------------------------------------

  poolTable(): PoolTable {
    return this.requirePools().poolTable();
  }

  /** Mines on the table's pools from now on, or rejects with the reason (see PoolSwitch.apply). */
  applyPoolTable(table: PoolTable): Promise<void> {
    return this.requirePools().apply(table);
  }

  /** Stops hashing: no more work, and the chips power down where hashaxe controls the board. */
  pause(): void {
    if (this.pausedByUser) return;
    this.pausedByUser = true;
    this.engineRef?.pause();
    this.log.info('mining paused through the API');
    this.control?.powerOff('paused through the API').catch((err: unknown) => this.log.warn(`pause: ${describe(err)}`));
  }

  resume(): void {
    if (!this.pausedByUser) return;
    this.pausedByUser = false;
    this.log.info('mining resumed through the API');
    if (this.control !== null) {
      this.control.powerOn().catch((err: unknown) => this.log.warn(`resume: ${describe(err)}`));
    } else if (this.chipsUp) {
      this.engineRef?.resume();
    }
  }

  scoreboard(): ScoreboardEntry[] {
    return this.best.list();
  }

  get paused(): boolean {
    return this.pausedByUser;
  }

  /**
   * Power-cycles a chain that went silent while mining, and retries a bring-up that failed (a chip that did not
   * answer after a power cycle) — both within the watchdog's hourly budget (see chain-watchdog.ts).
   */
  private async checkChain(): Promise<void> {
    const engine = this.engineRef;
    if (engine === null || this.recovering || this.stopping !== null || this.watchdogGaveUp || this.pausedByUser)
      return;
    const now = Date.now();
    let silentMs: number;
    let expectedMs: number;
    let why: string;
    if (this.chipsUp) {
      if (!(this.poolSwitch?.state?.connected ?? false)) return;
      silentMs = engine.silentForMs();
      expectedMs = engine.expectedResultIntervalMs();
      why = `no nonces from the chips for ${Math.round(silentMs / 1000)} s while mining (about one every ${expectedMs.toFixed(0)} ms expected)`;
    } else {
      const t = this.control?.telemetry();
      const latched = t !== undefined && (t.overheat !== null || t.hardwareFault !== null);
      if (this.bringUpError === null || latched) return;
      silentMs = now - this.lastRecoveryMs;
      expectedMs = 0;
      why = `the chips did not come up (${this.bringUpError.message})`;
    }
    const verdict = this.watchdog.check(now, silentMs, expectedMs);
    if (verdict === 'ok') return;
    if (verdict === 'gave-up') {
      this.watchdogGaveUp = true;
      this.log.error(
        `the chips stay silent after ${this.watchdog.restartCount} power cycles this hour; leaving them alone (check the board, then restart hashaxe)`,
      );
      return;
    }
    this.recovering = true;
    this.chainRestarts++;
    this.lastRecoveryMs = now;
    this.log.warn(`${why}: power-cycling the chain`);
    try {
      if (this.control !== null) {
        await this.control.powerOff('watchdog: the chips went silent');
        await this.control.powerOn();
      } else {
        await this.bringUp?.();
      }
    } catch (err) {
      this.log.error(`chain restart failed: ${describe(err)}`);
    } finally {
      this.lastRecoveryMs = Date.now();
      this.recovering = false;
    }
  }

  private requirePools(): PoolSwitch {
    if (this.poolSwitch === null) throw new Error('no pool yet');
    return this.poolSwitch;
  }

  /** After a bring-up: hand the chips the pool's current job again (a reset wiped their job slots). */
  private resumeMining(): void {
    const engine = this.engineRef;
    if (engine === null || this.pausedByUser) return;
    engine.setHashrate(this.chainHashrateHs(), this.refreshIntervalMs());
    engine.resume();
  }

  private onFrequency(): void {
    const engine = this.engineRef;
    if (engine === null || this.chain === null) return;
    engine.setHashrate(this.chainHashrateHs(), this.refreshIntervalMs());
    if (this.rig !== null || !this.chipsAreEmulated()) this.poolSwitch?.updateNominalHashRate(this.chainHashrateHs());
  }

  /** The mining half of the API. */
  miningStatus(): MiningStatus {
    const s = this.engineRef?.stats.snapshot() ?? null;
    const { connected, ...pool } = this.poolSwitch?.status() ?? { connected: false, pool: null };
    return {
      hashrateGhs: s?.hashrateGhs ?? { avg: 0, m1: 0, m10: 0, h1: 0 },
      sharesAccepted: s?.sharesAccepted ?? 0,
      sharesRejected: s?.sharesRejected ?? 0,
      rejectReasons: s?.rejectReasons ?? {},
      bestDifficulty: s?.bestDifficulty ?? 0,
      ...(this.options.config.stateFile !== null
        ? { bestDifficultyAllTime: Math.max(this.lifetimeBest, s?.bestDifficulty ?? 0) }
        : {}),
      uptimeSeconds: Math.floor((Date.now() - this.startedAtMs) / 1000),
      hwErrors: s?.hwErrors ?? 0,
      chips: (s?.chips ?? []).map((c) => ({ nonces: c.nonces, hwErrors: c.hwErrors, hashrateGhs: c.hashrateGhs })),
      ...pool,
      miningPaused: this.pausedByUser || !this.chipsUp || !connected,
      pausedByUser: this.pausedByUser,
      identifying: this.control?.identifying ?? false,
      ...(s !== null
        ? { poolHashrateGhs: s.poolHashrateGhs, sharesTimedOut: s.sharesTimedOut, sharesLost: s.sharesLost }
        : {}),
      blocksFound: this.blocksFound,
      usingFallback: this.poolSwitch?.state?.usingFallback ?? false,
    };
  }

  /** The chips as the daemon itself knows them (the API's source for them without board control). */
  chainStatus(): ChainStatus {
    const chain = this.chain;
    const running = this.chipsUp && chain !== null;
    return {
      running,
      frequencySetMhz:
        this.control?.getSettings().frequencyMhz ??
        this.options.config.settings.frequencyMhz ??
        this.options.board.defaults.frequencyMhz,
      frequencyActualMhz: running ? chain.frequencyMhz : null,
      expectedHashrateGhs: running ? chain.expectedHashrateGhs() : 0,
    };
  }

  /** Board telemetry, when hashaxe controls the board. */
  telemetry(): BoardTelemetry | null {
    return this.control?.telemetry() ?? null;
  }

  snapshot(): MiningStatsSnapshot | null {
    return this.engineRef?.stats.snapshot() ?? null;
  }

  summary(): MinerSummary {
    const s = this.engineRef?.stats.snapshot();
    const c = this.engineRef?.counters;
    return {
      accepted: s?.sharesAccepted ?? 0,
      rejected: s?.sharesRejected ?? 0,
      rejectReasons: s?.rejectReasons ?? {},
      hwErrors: s?.hwErrors ?? 0,
      hashrateGhs: round(s?.hashrateGhs.avg ?? 0),
      emulatedHashrateGhs: this.rig !== null ? round(this.options.config.emulator.hashrateHs / 1e9) : null,
      poolHashrateGhs: round(s?.poolHashrateGhs.avg ?? 0),
      bestDifficulty: round(s?.bestDifficulty ?? 0),
      jobs: c?.poolJobs ?? 0,
      prevHashChanges: c?.prevHashChanges ?? 0,
      chipJobs: c?.chipJobs ?? 0,
      sharesSubmitted: s?.sharesSubmitted ?? 0,
      sharesDroppedStale: s?.sharesDroppedStale ?? 0,
      hwErrorsPerChip: (s?.chips ?? []).map((x) => x.hwErrors),
      chainRestarts: this.chainRestarts,
      uptimeSeconds: Math.floor((Date.now() - this.startedAtMs) / 1000),
      board: this.options.board.name,
      pool: this.poolSwitch?.state != null ? redact(this.poolSwitch.state.pool.url) : null,
      channel: this.poolSwitch?.state?.channelKind ?? null,
      protocol: this.poolSwitch?.lastProtocol ?? null,
      sharesLost: s?.sharesLost ?? 0,
      sharesTimedOut: s?.sharesTimedOut ?? 0,
      sharesNotSent: c?.sharesDroppedOffline ?? 0,
    };
  }

  /** Graceful shutdown: no new work, channel closed, chips powered down with reset held. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Writes the all-time best difficulty when this session beat it, one write at a time (timer and stop). */
  private saveLifetimeState(): Promise<void> {
    this.stateSave = this.stateSave.then(() => this.writeLifetimeStateIfBetter());
    return this.stateSave;
  }

  /** A failure is one warning per reason; mining goes on. */
  private async writeLifetimeStateIfBetter(): Promise<void> {
    const path = this.options.config.stateFile;
    if (path === null) return;
    const best = Math.max(this.lifetimeBest, this.engineRef?.stats.snapshot().bestDifficulty ?? 0);
    if (best <= this.savedBest) return;
    try {
      await writeLifetimeState(path, { bestDifficulty: best });
      this.savedBest = best;
    } catch (err) {
      const why = `state file ${path} cannot be written: ${describe(err)}`;
      if (why !== this.stateWarning) this.log.warn(why);
      this.stateWarning = why;
    }
  }

  private async shutdown(): Promise<void> {
    if (this.watchdogTimer !== null) clearInterval(this.watchdogTimer);
    if (this.stateTimer !== null) clearInterval(this.stateTimer);
    this.engineRef?.stop();
    await this.poolSwitch?.stop().catch(() => undefined);
    await this.api?.close().catch(() => undefined);
    await this.control?.stop().catch((err: unknown) => this.log.warn(`board shutdown: ${describe(err)}`));
    await this.chain?.close().catch(() => undefined);
    if (this.chain === null) await this.transport?.close().catch(() => undefined);
    await this.local?.close();
    if (this.rig !== null) await this.rig.close().catch(() => undefined);
    else await this.hardware?.close().catch(() => undefined);
    await this.saveLifetimeState();
  }
}

/** How often a better all-time difficulty is written to the state file (and once more at stop). */
const STATE_SAVE_INTERVAL_MS = 30_000;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}

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
import type { EmulatedChain, EmulatorFaults } from '../../drivers/emulator/bm13xx-emulator.js';
import { openTransport } from '../../drivers/transport/open-transport.js';
import type { Transport } from '../../drivers/transport/transport.js';
import { parseAddress } from '../../src/bitcoin/address.js';
import { MAX_TARGET } from '../../src/bitcoin/target.js';
import type { BoardDefinition } from '../../src/config/board.js';
import type { MinerConfig } from '../../src/config/miner-config.js';
import { MiningEngine } from '../../src/mining/engine.js';
import { WHOLE_EXTRANONCE } from '../../src/mining/extranonce-partition.js';
import type { TemplateInfo } from '../../src/mining/job-source.js';
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
import { BlockLedger } from './block-ledger.js';
import { type BringUpRetry, bringUpChain } from './chain-bringup.js';
import { ChainSupervisor } from './chain-supervisor.js';
import type { WatchdogPolicy } from './chain-watchdog.js';
import { systemClockSynchronised } from './clock-sync.js';
import { type EmulatedRig, startEmulatedRig } from './emulated-rig.js';
import { LifetimeStateKeeper } from './lifetime-state.js';
import { LogRing } from './log-ring.js';
import { configuredPools, type LocalPools, PoolListError, startLocalPools } from './pool-list.js';
import { PoolSwitch } from './pool-switch.js';
import { ScaledNonceHint } from './scaled-nonce-hint.js';
import {
  checkSoloConfig,
  LOCAL_PAYOUT,
  type LocalSoloPeer,
  SoloStartError,
  soloUpstream,
  startLocalSoloPeer,
} from './solo-upstream.js';
import { templatesStatus } from './templates-status.js';
import type { UartHealthPolicy } from './uart-health.js';
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
    uartHealth?: Partial<UartHealthPolicy>;
    bringUpRetry?: Partial<BringUpRetry>;
  };
  /** Tests: faults of the in-process emulated chain from before its first bring-up (line noise, bad nonces). */
  emulatorFaults?: EmulatorFaults;
  /** Tests: seed of the in-process emulated chain's line noise (same seed, same noise). */
  emulatorLineSeed?: number;
  /** Wait this long for the first pool channel before `start` returns (the boot report names the pool). */
  connectWaitMs?: number;
  /** Whether the system clock is synchronised (default: the system's own flag, clock-sync.ts). */
  clockSynchronised?: () => boolean | null;
  /** How the solo payout address was given, for errors that name it (default: the config file's solo.payout). */
  soloPayoutField?: string;
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
  /** Shares that met the network target (solo: blocks sent to the node). */
  blocksFound: number;
  /** Solo: blocks the node accepted, and those it refused or never confirmed. */
  blocksAccepted: number;
  blocksRejected: number;
  /** Where the work came from: a pool, the owner's node, or the owner's template provider. */
  templates: 'pool' | 'node' | 'template-provider';
  /** Solo: the address the blocks paid (null on a pool). */
  payout: string | null;
}

export class MinerStartError extends Error {
  override readonly name = 'MinerStartError';
  /** True when the configuration is what is wrong (the CLI exits 2), not the environment (exit 1). */
  constructor(
    message: string,
    readonly badInput = false,
  ) {
    super(message);
  }
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
  private readonly supervisor: ChainSupervisor;
  /** The all-time best difficulty in `--state` (null without one). */
  private stateKeeper: LifetimeStateKeeper | null = null;
  private bringUp: (() => Promise<void>) | null = null;
  /** The recent log, for the API's log socket and download. */
  readonly logRing = new LogRing();
  private readonly best = new Scoreboard();
  /** Blocks found (solo: with the node's answers), the embedded synthetic node / TP behind `local`, the latest template. */
  private ledger: BlockLedger;
  private localSolo: LocalSoloPeer | null = null;
  private template: TemplateInfo | null = null;
  /** The owner paused mining through the API. */
  private pausedByUser = false;

  private constructor(private readonly options: MinerOptions) {
    this.log = this.logRing.tee(options.log);
    this.ledger = new BlockLedger(this.log);
    this.supervisor = new ChainSupervisor({
      log: this.log,
      ...(options.timings?.watchdog !== undefined ? { watchdog: options.timings.watchdog } : {}),
      ...(options.timings?.uartHealth !== undefined ? { uartHealth: options.timings.uartHealth } : {}),
      chainStats: () => this.chain?.stats() ?? null,
      engine: () => this.engineRef,
      chipsUp: () => this.chipsUp,
      poolConnected: () => this.poolSwitch?.state?.connected ?? false,
      bringUpError: () => this.bringUpError,
      latched: () => {
        const t = this.control?.telemetry();
        return t !== undefined && (t.overheat !== null || t.hardwareFault !== null);
      },
      powerCycle: async () => {
        if (this.control !== null) {
          await this.control.powerOff('watchdog: restarting the chain');
          await this.control.powerOn();
        } else {
          await this.bringUp?.();
        }
      },
      // Shutting down, or paused by the owner: the chips are meant to be quiet.
      stopping: () => this.stopping !== null || this.pausedByUser,
    });
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
      const ledger = {
        stored: () => this.ledger.stored(),
        get revision() {
          return self.ledger.revision;
        },
      };
      const self = this;
      this.stateKeeper = new LifetimeStateKeeper({
        path: config.stateFile,
        sessionBest: () => this.engineRef?.stats.bestDifficulty ?? 0,
        log: this.log,
        blocks: ledger,
      });
      await this.stateKeeper.start();
      this.ledger = new BlockLedger(this.log, this.stateKeeper.blocksAtStart);
    }
    // Solo: the owner's node is checked before anything is powered (nothing to mine for otherwise).
    if (config.solo !== null) {
      try {
        const passed = await checkSoloConfig(
          config.solo,
          this.options.soloPayoutField ?? 'solo.payout',
          this.deviceInfo(),
          config.pools.length > 0,
          (m) => this.log.warn(m),
        );
        if (passed !== null) this.log.info(passed);
      } catch (err) {
        if (err instanceof SoloStartError) throw new MinerStartError(err.message, err.badInput);
        throw err;
      }
    }
    // Hardware: the board's peripherals and the line to its chips.
    if (config.port.kind === 'emulated') {
      // The configured rate is what the chips hash at the frequency they start at; other clocks scale it.
      this.rig = await startEmulatedRig(board, {
        ...config.emulator,
        referenceFrequencyMhz: config.settings.frequencyMhz ?? board.defaults.frequencyMhz,
        ...(this.options.emulatorFaults !== undefined ? { faults: this.options.emulatorFaults } : {}),
        ...(this.options.emulatorLineSeed !== undefined ? { lineSeed: this.options.emulatorLineSeed } : {}),
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
          log: this.log,
          ...(this.options.timings?.bringUpRetry !== undefined ? { retry: this.options.timings.bringUpRetry } : {}),
        });
        this.bringUpError = null;
        this.chipsUp = true;
        this.log.info(
          `${r.chipCount}× ${board.asic.model} enumerated${r.attempts > 1 ? ` (attempt ${r.attempts})` : ''}, ` +
            `init at ${r.frequencyMhz.toFixed(2)} MHz, UART ${r.baud} baud (${r.tookMs} ms)`,
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
      // Solo sources report the block itself (hash, height, the node's answer): see the ledger.
      if (!e.blockFound || this.poolSwitch?.state?.protocol === 'solo') return;
      this.ledger.shareMetNetworkTarget();
      this.log.info(`BLOCK FOUND: share of difficulty ${formatDifficulty(e.difficulty)} meets the network target`);
    });
    let notSentLogged = 0;
    this.engine.on('submitFailed', (e) => {
      // Counted (sharesNotSent); the first few say why in full.
      if (notSentLogged++ < 10) this.log.warn(`share not sent, counted as lost: ${e.reason}`);
    });
    this.engine.start();

    // The pool: solo on the owner's templates (pools as backups), the configured pools in failover order, or the
    // embedded local pool.
    let lead: UpstreamPool | null = null;
    if (config.solo !== null) {
      const solo = config.solo;
      let url = solo.node ?? solo.templateProvider ?? '';
      if (url === 'local') {
        const payout = parseAddress(solo.payout ?? LOCAL_PAYOUT);
        this.localSolo = await startLocalSoloPeer(solo, this.chainHashrateHs(), payout.script);
        url = this.localSolo.url;
        this.log.info(this.localSolo.describe());
      }
      lead = soloUpstream(solo, url, this.options.soloPayoutField ?? 'solo.payout');
    }
    if (config.pools.length === 0 && lead === null) {
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
      device: this.deviceInfo(),
      userAgent: `hashaxe/${this.options.version}`,
      nominalHashRateHs: () => this.chainHashrateHs(),
      // BM1366/68/70 roll versions inside the chip: without rolling they lose most of their search space per job.
      requireVersionRolling: chipModel(board0.asic.model.toLowerCase() as ChipModelName).rollsVersions,
      engine: () => this.engine,
      log: this.log,
      defaultUser: config.user,
      clockSynchronised: this.options.clockSynchronised ?? (() => systemClockSynchronised()),
      onBlock: (e) => {
        this.ledger.onBlock(e);
        if (e.answer !== null) void this.stateKeeper?.save();
      },
      onTemplateInfo: (t) => {
        this.template = t;
      },
      ...(this.options.timings !== undefined ? { timings: this.options.timings } : {}),
    });
    this.poolSwitch.start(this.pools, lead);
    this.supervisor.start();
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
        this.log.info(`HTTP API on ${this.api.url} (dashboard: ${this.api.url}/)`);
      } catch (err) {
        this.log.warn(`HTTP API not started: ${describe(err)}`);
      }
    }
  }

  private deviceInfo(): { vendor: string; hardwareVersion: string; firmware: string } {
    const board = this.options.board;
    return {
      vendor: 'hashaxe',
      hardwareVersion: `${board.name} ${board.asic.count}x${board.asic.model}${this.options.config.port.kind === 'emulated' ? ' (emulated)' : ''}`,
      firmware: `hashaxe ${this.options.version}`,
    };
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
      ...(this.stateKeeper !== null ? { bestDifficultyAllTime: this.stateKeeper.allTimeBest } : {}),
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
      templates: templatesStatus(this.poolSwitch?.state ?? null, this.template),
      blocks: this.ledger.status(),
      usingFallback: this.poolSwitch?.state?.usingFallback ?? false,
      ...(this.chain !== null ? { uart: this.supervisor.uartSnapshot() } : {}),
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
    const blocks = this.ledger.status();
    const solo = this.poolSwitch?.state?.pool.solo;
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
      chainRestarts: this.supervisor.chainRestarts,
      uptimeSeconds: Math.floor((Date.now() - this.startedAtMs) / 1000),
      board: this.options.board.name,
      pool: this.poolSwitch?.state != null ? redact(this.poolSwitch.state.pool.url) : null,
      channel: this.poolSwitch?.state?.channelKind ?? null,
      protocol: this.poolSwitch?.lastProtocol ?? null,
      sharesLost: s?.sharesLost ?? 0,
      sharesTimedOut: s?.sharesTimedOut ?? 0,
      sharesNotSent: c?.sharesDroppedOffline ?? 0,
      blocksFound: blocks.found,
      blocksAccepted: blocks.accepted,
      blocksRejected: blocks.rejected,
      templates: solo?.kind ?? 'pool',
      payout: solo?.payout.text ?? null,
    };
  }

  /** Solo: the embedded synthetic node or TP behind `local` (tests read its chain), else null. */
  get localSoloPeer(): LocalSoloPeer | null {
    return this.localSolo;
  }

  /** Graceful shutdown: no new work, channel closed, chips powered down with reset held. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.supervisor.stop();
    this.engineRef?.stop();
    await this.poolSwitch?.stop().catch(() => undefined);
    await this.api?.close().catch(() => undefined);
    await this.control?.stop().catch((err: unknown) => this.log.warn(`board shutdown: ${describe(err)}`));
    await this.chain?.close().catch(() => undefined);
    if (this.chain === null) await this.transport?.close().catch(() => undefined);
    await this.local?.close();
    await this.localSolo?.close().catch(() => undefined);
    if (this.rig !== null) await this.rig.close().catch(() => undefined);
    else await this.hardware?.close().catch(() => undefined);
    await this.stateKeeper?.stop();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function round(x: number): number {
  return Number(x.toPrecision(6));
}

import type { GpioLine } from '../../drivers/gpio/gpio-line.js';
import { type BoardDefinition, expectedHashrateGhs } from '../../src/config/board.js';
import type { AsicClockControl } from './asic-clock.js';
import { type Clock, systemClock, type Timer } from './clock.js';
import { checkFanPercent, checkFanTargetC, checkFrequencyMhz, checkMinFanPercent, checkVoltageMv } from './limits.js';
import { Mutex } from './mutex.js';
import type { BoardPeripherals, PowerReading, TempRole } from './peripherals.js';
import { PidController } from './pid.js';

export type FanMode = 'auto' | 'manual';

/** A fan settings change; absent fields stay as they are. */
export interface FanChange {
  mode?: FanMode;
  percent?: number;
  targetC?: number;
  minPercent?: number;
}

/** What the operator asked for; every value has passed the board's limits. */
export interface BoardSettings {
  frequencyMhz: number;
  voltageMv: number;
  fanMode: FanMode;
  /** Manual fan speed (%), used when fanMode is manual. */
  fanPercent: number;
  /** Auto mode: ASIC temperature the PID holds (°C). */
  fanTargetC: number;
  /** Auto mode: the PID's lowest output (%). */
  minFanPercent: number;
}

/** Why the fan runs at the speed it does, most urgent first. */
export type FanReason = 'overheat' | 'hardware-fault' | 'sensor-fault' | 'manual' | 'power-off' | 'startup' | 'auto';

export type PowerState = 'off' | 'starting' | 'on' | 'stopping';

export interface Fault {
  reason: string;
  atMs: number;
}

/** A temperature sensor that failed (temperature unknown) or froze (temperature suspect). */
export interface SensorFault extends Fault {
  sensor: string;
  kind: 'failed' | 'stuck';
}

export interface OverheatFault extends Fault {
  sensor: string;
  tempC: number;
  limitC: number;
}

/** A point-in-time view of the board for the API, the CLI and logs. */
export interface BoardTelemetry {
  board: string;
  asicModel: string;
  asicCount: number;
  power: PowerState;
  /** Powered and out of reset: the chips can hash. */
  asicRunning: boolean;
  resetAsserted: boolean;
  /** One entry per ASIC sensor (°C, offsets applied); null when the last read failed. */
  asicTempsC: Array<number | null>;
  /** Hottest valid ASIC temperature. */
  asicTempC: number | null;
  vrTempC: number | null;
  /** Fan speed commanded now (%). */
  fanPercent: number;
  fanReason: FanReason;
  fanRpm: number[];
  inputVoltageMv: number | null;
  currentMa: number | null;
  powerW: number | null;
  voltageSetMv: number;
  /** Core mV per chip: measured (TPS546) or inferred from the DAC setting (DS4432U); null while off. */
  voltageActualMv: number | null;
  voltageMeasured: boolean;
  frequencySetMhz: number;
  /** What the PLL achieved, while the chips run. */
  frequencyActualMhz: number | null;
  expectedHashrateGhs: number;
  settings: BoardSettings;
  overheat: OverheatFault | null;
  sensorFault: SensorFault | null;
  /** Regulator-reported conditions (TPS546 STATUS_WORD), or null. */
  powerFault: string | null;
  /** A latched stop for a reason other than temperature (fan control failed, sensor dead too long). */
  hardwareFault: Fault | null;
  warnings: string[];
  updatedAtMs: number;
}

export type BoardEvent =
  | { type: 'power'; on: boolean; reason: string }
  | { type: 'overheat'; reason: string }
  | { type: 'hardware-fault'; reason: string }
  | { type: 'sensor-fault'; reason: string | null };

export interface BoardLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrLog: BoardLog = {
  info: (m) => process.stderr.write(`hashaxe board: ${m}\n`),
  warn: (m) => process.stderr.write(`hashaxe board: warning: ${m}\n`),
  error: (m) => process.stderr.write(`hashaxe board: error: ${m}\n`),
};

/** Timing and thresholds of the safety logic; defaults follow ESP-Miner where it has one. */
export interface SafetyPolicy {
  /** Control loop period (ESP-Miner: 100 ms); also the PID's sample time. */
  controlPeriodMs: number;
  /** Temperature unreadable (failed reads, implausible values) this long while powered → power cut, latched. A stuck reading forces the fan to 100 % but does not cut. */
  sensorFailCutMs: number;
  /** A reading frozen this long while fan or power moved → stuck sensor. */
  stuckAfterMs: number;
  stuckFanDeltaPercent: number;
  stuckPowerDeltaRatio: number;
  /** Readings outside this window are not temperatures (°C). */
  plausibleMinC: number;
  plausibleMaxC: number;
  /** Restart after overheat only once this far under the limit (°C). */
  restartHysteresisC: number;
  voltageStepMv: number;
  voltageStepDelayMs: number;
  /** Power-on: regulator settle before releasing reset (ESP-Miner 500 ms), reset pulse and settle (100/100 ms). */
  powerSettleMs: number;
  resetPulseMs: number;
  resetSettleMs: number;
  /** Graceful power-off waits at most this long for the frequency ramp-down. */
  rampDownTimeoutMs: number;
  /** Re-write the fan setting this often even if unchanged (a browned-out controller forgets it). */
  fanRewriteMs: number;
  startupFanPercent: number;
  poweredOffFanPercent: number;
  emaAlpha: number;
  pid: { kp: number; ki: number; kd: number };
}

export const DEFAULT_POLICY: SafetyPolicy = {
  controlPeriodMs: 100,
  sensorFailCutMs: 10_000,
  stuckAfterMs: 60_000,
  stuckFanDeltaPercent: 10,
  stuckPowerDeltaRatio: 0.15,
  plausibleMinC: -20,
  plausibleMaxC: 150,
  restartHysteresisC: 10,
  voltageStepMv: 25,
  voltageStepDelayMs: 50,
  powerSettleMs: 500,
  resetPulseMs: 100,
  resetSettleMs: 100,
  rampDownTimeoutMs: 10_000,
  fanRewriteMs: 5_000,
  startupFanPercent: 70,
  poweredOffFanPercent: 30,
  emaAlpha: 0.2,
  pid: { kp: 5, ki: 0.1, kd: 2 },
};

/** The board cannot do that now (latched fault, still hot, sensor dead); the message says why. */
export class BoardStateError extends Error {
  override readonly name = 'BoardStateError';
}

export interface BoardControlOptions {
  board: BoardDefinition;
  peripherals: BoardPeripherals;
  gpio: { reset: GpioLine; powerEnable: GpioLine | null };
  /** The ASIC driver's clock control; absent until chips are attached. */
  asic?: AsicClockControl;
  /** Called after every power-on reset pulse, before the frequency is applied (the daemon inits the chain). */
  initChips?: () => Promise<void>;
  clock?: Clock;
  log?: BoardLog;
  /** Initial settings (from config); validated against the board like any other entry. */
  settings?: Partial<BoardSettings>;
  policy?: Partial<SafetyPolicy>;
}

interface SensorHealth {
  value: number | null;
  fanAtChange: number;
  loadAtChange: number;
  runningAtChange: boolean;
  /** When fan or load first moved past the thresholds while the value stayed frozen. */
  movedAtMs: number | null;
  failingSinceMs: number | null;
  problem: string | null;
  /** A read failure or implausible value (unknown temperature) versus a frozen one (suspect). */
  kind: 'failed' | 'stuck' | null;
}

/**
 * Owns the board's peripherals and keeps the board safe: a control loop on an injectable clock reads every
 * temperature, cuts ASIC power (reset held, core off) within one period when the ASIC or regulator passes
 * the board's limit and latches it until a manual restart, drives the fan to 100 % on any sensor doubt,
 * and otherwise runs the fan by ESP-Miner's EMA + PID (or a fixed percent). Voltage and frequency changes
 * are checked against the board's limits before any hardware is touched, and voltage is ramped in steps.
 */
export class BoardControl {
  readonly board: BoardDefinition;
  private readonly p: BoardPeripherals;
  private readonly lines: { reset: GpioLine; powerEnable: GpioLine | null };
  private readonly asic: AsicClockControl | undefined;
  private readonly initChips: (() => Promise<void>) | undefined;
  private readonly clock: Clock;
  private readonly log: BoardLog;
  readonly policy: SafetyPolicy;
  private settings: BoardSettings;
  private readonly pid: PidController;
  private readonly commands = new Mutex();
  private readonly powerLock = new Mutex();
  private readonly listeners = new Set<(e: BoardEvent) => void>();
  private readonly health = new Map<TempRole, SensorHealth>();

  private powerState: PowerState = 'off';
  private cutting = false;
  private appliedVoltageMv: number | null = null;
  private frequencyActual: number | null = null;
  private overheat: OverheatFault | null = null;
  private hardwareFault: Fault | null = null;
  private sensorFault: SensorFault | null = null;
  private powerFault: string | null = null;
  private fanStalledSinceMs: number | null = null;
  private fanStalled = false;
  private powerMonitor: BoardPeripherals['powerMonitor'];

  private fanPercentNow: number;
  private fanReason: FanReason = 'startup';
  private lastFanWriteMs = Number.NEGATIVE_INFINITY;
  /** What the fan controller was last told; writes happen when the command moves ≥ 1 %-point from it. */
  private fanWrittenPercent = Number.NaN;
  /** Identify (AxeOS "identify"): until when the fan pulses, and since when. */
  private identifyUntilMs = Number.NEGATIVE_INFINITY;
  private identifyFromMs = 0;
  private ema: number | null = null;
  /** The PID's output at the last control period. */
  private pidOutput = 0;
  private asicTemps: Array<number | null>;
  private vrTemp: number | null = null;
  private fanRpm: number[] = [];
  private powerReading: PowerReading | null = null;
  private actualMv: number | null = null;
  private updatedAtMs = 0;

  private timer: Timer | null = null;
  private running = false;
  private inFlight: Promise<void> | null = null;

  constructor(options: BoardControlOptions) {
    const b = options.board;
    this.board = b;
    this.p = options.peripherals;
    this.powerMonitor = options.peripherals.powerMonitor;
    this.lines = options.gpio;
    this.asic = options.asic;
    this.initChips = options.initChips;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? stderrLog;
    this.policy = { ...DEFAULT_POLICY, ...options.policy, pid: { ...DEFAULT_POLICY.pid, ...options.policy?.pid } };
    const s = options.settings ?? {};
    // Config is an entry like any other: the same checks, the same errors.
    this.settings = {
      frequencyMhz: checkFrequencyMhz(b, s.frequencyMhz ?? b.defaults.frequencyMhz),
      voltageMv: checkVoltageMv(b, s.voltageMv ?? b.defaults.voltageMv),
      fanMode: s.fanMode ?? 'auto',
      fanPercent: checkFanPercent(b, s.fanPercent ?? 100),
      fanTargetC: checkFanTargetC(b, s.fanTargetC ?? b.defaults.fanTargetC),
      minFanPercent: checkMinFanPercent(b, s.minFanPercent ?? b.defaults.minFanPercent),
    };
    if (this.settings.fanMode !== 'auto' && this.settings.fanMode !== 'manual') {
      throw new BoardStateError(`fan mode must be auto or manual, got ${String(this.settings.fanMode)}`);
    }
    this.pid = new PidController({
      ...this.policy.pid,
      sampleTimeMs: this.policy.controlPeriodMs,
      outMin: this.settings.minFanPercent,
      outMax: 100,
      reverse: true,
    });
    this.fanPercentNow = this.settings.fanMode === 'manual' ? this.settings.fanPercent : this.policy.startupFanPercent;
    this.asicTemps = this.p.asicTemps.map(() => null);
    for (const t of this.p.asicTemps) this.health.set(t, this.newHealth());
    if (this.p.vrTemp !== null) this.health.set(this.p.vrTemp, this.newHealth());
  }

  private newHealth(): SensorHealth {
    return {
      value: null,
      fanAtChange: 0,
      loadAtChange: 0,
      runningAtChange: false,
      movedAtMs: null,
      failingSinceMs: null,
      problem: null,
      kind: null,
    };
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  /**
   * Initialises the peripherals (fan first, at the startup speed), checks that the temperatures can be read,
   * starts the control loop, then powers the chips. Throws if a part the board needs does not answer, or if
   * the board is already too hot to start.
   */
  async start(): Promise<void> {
    await this.lines.reset.set(true);
    await this.lines.powerEnable?.set(false);
    try {
      await this.p.fan.init(this.fanPercentNow);
      this.lastFanWriteMs = this.clock.now();
      this.fanWrittenPercent = this.fanPercentNow;
    } catch (err) {
      throw new BoardStateError(`fan controller ${this.p.fan.label} failed to start: ${(err as Error).message}`);
    }
    try {
      await this.p.regulator.init();
    } catch (err) {
      throw new BoardStateError(`regulator ${this.p.regulator.label} failed to start: ${(err as Error).message}`);
    }
    if (this.powerMonitor !== null) {
      try {
        await this.powerMonitor.init();
      } catch (err) {
        this.log.warn(`power monitor ${this.powerMonitor.label} unavailable: ${(err as Error).message}`);
        this.powerMonitor = null;
      }
    }
    await this.runTick();
    if (this.sensorFault !== null) {
      throw new BoardStateError(`not powering the chips: ${this.sensorFault.reason}`);
    }
    this.running = true;
    this.schedule();
    this.log.info(
      `${this.board.name}: fan ${this.p.fan.label}, regulator ${this.p.regulator.label}, sensors ${this.p.asicTemps.map((t) => t.label).join(', ')}`,
    );
    if (this.overheat === null) await this.powerOn();
  }

  /** Stops the loop and powers the chips down gracefully (frequency down, reset held, core off). */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
    await this.inFlight;
    await this.commands.run(() => this.doPowerOff('stopped', true));
  }

  onEvent(listener: (e: BoardEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: BoardEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.log.warn(`event listener failed: ${(err as Error).message}`);
      }
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimer(this.policy.controlPeriodMs, () => {
      void this.runTick().finally(() => this.schedule());
    });
  }

  /** Runs one control period now (or waits for the one in flight). Never throws. */
  runTick(): Promise<void> {
    if (this.inFlight === null) {
      this.inFlight = this.tick()
        .catch((err: unknown) => this.log.error(`control loop: ${(err as Error).message}`))
        .finally(() => {
          this.inFlight = null;
        });
    }
    return this.inFlight;
  }

  // ---- the control period ---------------------------------------------------------------------------

  private get powered(): boolean {
    return this.powerState === 'on' || this.powerState === 'starting';
  }

  get asicRunning(): boolean {
    return this.powerState === 'on' && !this.lines.reset.active;
  }

  /** A load figure that moves with what the chips are asked to do (for stuck-sensor detection). */
  private loadProxy(): number {
    if (!this.asicRunning) return 0;
    const v = (this.appliedVoltageMv ?? this.settings.voltageMv) / 1000;
    return (this.frequencyActual ?? this.settings.frequencyMhz) * v * v;
  }

  /**
   * Reads one sensor and judges it. A failed read or a value outside the plausible window is a failure
   * (temperature unknown). A reading that stays frozen for `stuckAfterMs` after the fan or the chips' load
   * moved enough that a live sensor would have followed is "stuck" (temperature suspect).
   */
  private async readSensor(t: TempRole): Promise<number | null> {
    const h = this.health.get(t)!;
    const now = this.clock.now();
    let problem: string | null = null;
    let kind: SensorHealth['kind'] = null;
    let value: number | null = null;
    try {
      value = await t.read();
      if (!(value >= this.policy.plausibleMinC && value <= this.policy.plausibleMaxC)) {
        problem = `implausible reading ${value} °C`;
        kind = 'failed';
        value = null;
      }
    } catch (err) {
      problem = (err as Error).message;
      kind = 'failed';
    }
    if (value !== null) {
      const running = this.asicRunning;
      if (h.value !== value) {
        h.value = value;
        h.fanAtChange = this.fanPercentNow;
        h.loadAtChange = this.loadProxy();
        h.runningAtChange = running;
        h.movedAtMs = null;
      } else {
        if (h.movedAtMs === null) {
          const fanMoved = Math.abs(this.fanPercentNow - h.fanAtChange) >= this.policy.stuckFanDeltaPercent;
          const load = this.loadProxy();
          const loadMoved =
            Math.abs(load - h.loadAtChange) > this.policy.stuckPowerDeltaRatio * Math.max(h.loadAtChange, 1e-9);
          if (fanMoved || loadMoved || running !== h.runningAtChange) h.movedAtMs = now;
        }
        if (h.movedAtMs !== null && now - h.movedAtMs >= this.policy.stuckAfterMs) {
          const fanMoved = Math.abs(this.fanPercentNow - h.fanAtChange) >= this.policy.stuckFanDeltaPercent;
          problem = `reading stuck at ${value} °C for ${Math.round((now - h.movedAtMs) / 1000)} s after the ${
            fanMoved ? `fan went ${round1(h.fanAtChange)} % → ${round1(this.fanPercentNow)} %` : 'chip load changed'
          }`;
          kind = 'stuck';
          value = null;
        }
      }
    }
    if (problem === null) {
      h.failingSinceMs = null;
      h.problem = null;
      h.kind = null;
    } else {
      if (h.kind !== kind) h.failingSinceMs = null;
      h.failingSinceMs ??= now;
      h.problem = problem;
      h.kind = kind;
    }
    return value;
  }

  private async tick(): Promise<void> {
    const now = this.clock.now();
    // 1. Temperatures first: the overheat decision must not wait behind slower telemetry.
    for (let i = 0; i < this.p.asicTemps.length; i++) this.asicTemps[i] = await this.readSensor(this.p.asicTemps[i]);
    this.vrTemp = this.p.vrTemp === null ? null : await this.readSensor(this.p.vrTemp);
    this.updateSensorFault();

    // 2. Safety.
    if (this.powered && !this.cutting) {
      const limit = this.board.limits.asicTempC.max;
      const hot = this.p.asicTemps.findIndex((_, i) => (this.asicTemps[i] ?? Number.NEGATIVE_INFINITY) > limit);
      if (hot >= 0) {
        const t = this.asicTemps[hot]!;
        await this.trip({ sensor: this.p.asicTemps[hot].label, tempC: t, limitC: limit, what: 'ASIC' });
      } else if (this.vrTemp !== null && this.vrTemp > this.board.limits.vrTempC.max) {
        await this.trip({
          sensor: this.p.vrTemp!.label,
          tempC: this.vrTemp,
          limitC: this.board.limits.vrTempC.max,
          what: 'voltage regulator',
        });
      } else if (
        this.sensorFault !== null &&
        this.sensorFault.kind === 'failed' &&
        now - this.sensorFault.atMs >= this.policy.sensorFailCutMs
      ) {
        await this.cutForHardware(
          `temperature unknown for ${Math.round((now - this.sensorFault.atMs) / 1000)} s (${this.sensorFault.reason}): ASIC power cut`,
        );
      }
    }

    // 3. Fan.
    await this.applyFan(now, true);

    // 4. Telemetry (failures here are reported, not acted on).
    try {
      this.fanRpm = await this.p.fan.readRpm();
    } catch {
      this.fanRpm = [];
    }
    this.checkFanStall(now);
    if (this.powerMonitor !== null) {
      try {
        this.powerReading = await this.powerMonitor.read();
      } catch {
        this.powerReading = null;
      }
    }
    try {
      this.actualMv = this.powered ? await this.p.regulator.readActualMv() : null;
    } catch {
      this.actualMv = null;
    }
    try {
      const status = await this.p.regulator.readStatus();
      const conditions = (status?.conditions ?? []).filter((c) => this.powered || c !== 'output off');
      const fault = status?.fault && conditions.length > 0 ? conditions.join(', ') : null;
      if (fault !== this.powerFault) {
        if (fault !== null) this.log.warn(`regulator reports: ${fault}`);
        else this.log.info('regulator faults cleared');
      }
      this.powerFault = fault;
    } catch {
      // a failed status read keeps the last known state
    }
    this.updatedAtMs = now;
  }

  private updateSensorFault(): void {
    let worst: { sensor: string; problem: string; since: number; kind: 'failed' | 'stuck' } | null = null;
    for (const [t, h] of this.health) {
      if (h.problem === null || h.failingSinceMs === null || h.kind === null) continue;
      // A failure outranks a stuck reading; among equals, the oldest.
      const better =
        worst === null ||
        (h.kind === 'failed' && worst.kind === 'stuck') ||
        (h.kind === worst.kind && h.failingSinceMs < worst.since);
      if (better) worst = { sensor: t.label, problem: h.problem, since: h.failingSinceMs, kind: h.kind };
    }
    if (worst === null) {
      if (this.sensorFault !== null) {
        this.log.info(`temperature sensors readable again; fan back to ${this.settings.fanMode}`);
        this.sensorFault = null;
        this.emit({ type: 'sensor-fault', reason: null });
      }
      return;
    }
    const reason = `${worst.sensor}: ${worst.problem}`;
    if (this.sensorFault === null || this.sensorFault.reason !== reason) {
      const continuing =
        this.sensorFault !== null && this.sensorFault.kind === worst.kind && this.sensorFault.sensor === worst.sensor;
      this.sensorFault = {
        sensor: worst.sensor,
        reason,
        kind: worst.kind,
        atMs: continuing ? this.sensorFault!.atMs : worst.since,
      };
      if (!continuing) {
        this.log.error(`temperature sensor fault, fan to 100 %: ${reason}`);
        this.emit({ type: 'sensor-fault', reason });
      }
    }
  }

  private checkFanStall(now: number): void {
    const hasTach = this.fanRpm.length > 0;
    const stalled = hasTach && this.fanPercentNow >= 30 && this.fanRpm.every((r) => r === 0);
    if (!stalled) {
      this.fanStalledSinceMs = null;
      if (this.fanStalled) this.log.info('fan turning again');
      this.fanStalled = false;
      return;
    }
    this.fanStalledSinceMs ??= now;
    if (!this.fanStalled && now - this.fanStalledSinceMs >= 10_000) {
      this.fanStalled = true;
      this.log.warn(`fan reads 0 RPM at ${round1(this.fanPercentNow)} %: stalled, blocked or unplugged`);
    }
  }

  // ---- fan ------------------------------------------------------------------------------------------

  /**
   * The fan command now. Only the control period samples the EMA and the PID (`sample`): their gains assume
   * its fixed interval, so a command or a cut between periods reuses the last PID output instead of adding
   * an extra integral step (an API client repeating a PATCH must not speed the integral up).
   */
  private decideFan(sample: boolean): { percent: number; reason: FanReason } {
    if (this.overheat !== null) return { percent: 100, reason: 'overheat' };
    if (this.hardwareFault !== null) return { percent: 100, reason: 'hardware-fault' };
    if (this.sensorFault !== null) return { percent: 100, reason: 'sensor-fault' };
    if (this.settings.fanMode === 'manual') return { percent: this.settings.fanPercent, reason: 'manual' };
    if (!this.powered) return { percent: this.policy.poweredOffFanPercent, reason: 'power-off' };
    const valid = this.asicTemps.filter((t): t is number => t !== null);
    if (valid.length === 0) return { percent: this.policy.startupFanPercent, reason: 'startup' };
    if (!sample) {
      // Not yet handed over (just switched to auto): keep the current speed until the next period does it.
      const held = this.pid.isAutomatic ? this.pidOutput : this.fanPercentNow;
      return { percent: Math.min(100, Math.max(this.settings.minFanPercent, held)), reason: 'auto' };
    }
    const hottest = Math.max(...valid);
    this.ema = this.ema === null ? hottest : this.policy.emaAlpha * hottest + (1 - this.policy.emaAlpha) * this.ema;
    if (!this.pid.isAutomatic) this.pid.setAutomatic(true, this.fanPercentNow, this.ema);
    this.pidOutput = this.pid.compute(this.ema, this.settings.fanTargetC);
    return { percent: this.pidOutput, reason: 'auto' };
  }

  private async applyFan(now: number, sample = false): Promise<void> {
    const d = this.decideFan(sample);
    if (d.reason !== 'auto' && this.pid.isAutomatic) this.pid.setAutomatic(false);
    if (d.reason !== 'auto' && d.reason !== 'startup') this.ema = null;
    if (d.reason !== this.fanReason && d.reason !== 'auto') this.log.info(`fan ${round1(d.percent)} % (${d.reason})`);
    this.fanReason = d.reason;
    this.fanPercentNow = d.percent;
    // Identify pulses the fan up to 100 % every other second: only ever above what control wants, never below.
    const percent = this.identifyPulseOn(now) ? 100 : d.percent;
    // Small PID moves are not worth a bus write each period (the EMC2101 has 1.6 % steps anyway); a jump to
    // 100 % or any reason change is written at once.
    const moved =
      !(Math.abs(percent - this.fanWrittenPercent) < 1) || (percent !== this.fanWrittenPercent && d.reason !== 'auto');
    if (!moved && now - this.lastFanWriteMs < this.policy.fanRewriteMs) return;
    try {
      await this.p.fan.setPercent(percent);
      this.fanWrittenPercent = percent;
      this.lastFanWriteMs = now;
    } catch (err) {
      if (this.hardwareFault === null) {
        await this.cutForHardware(
          `fan control failed (${this.p.fan.label}: ${(err as Error).message}): ASIC power cut`,
        );
      }
    }
  }

  private identifyPulseOn(now: number): boolean {
    return now < this.identifyUntilMs && Math.floor((now - this.identifyFromMs) / 1000) % 2 === 0;
  }

  /**
   * Makes the board findable (AxeOS "identify"): the fan pulses to 100 % every other second for `durationMs`.
   * Safety overrides are unaffected (they run the fan at 100 % anyway). A second call restarts the period.
   */
  identify(durationMs = 30_000): void {
    const now = this.clock.now();
    this.identifyFromMs = now;
    this.identifyUntilMs = now + durationMs;
    this.log.info(`identify: the fan pulses for ${Math.round(durationMs / 1000)} s`);
  }

  /** Identify is running. */
  get identifying(): boolean {
    return this.clock.now() < this.identifyUntilMs;
  }

  // ---- safety cuts ----------------------------------------------------------------------------------

  private async trip(o: { sensor: string; tempC: number; limitC: number; what: string }): Promise<void> {
    const reason = `overheat: ${o.what} ${round1(o.tempC)} °C above ${this.board.name}'s limit ${o.limitC} °C (${o.sensor}); ASIC power cut and reset held until a manual restart`;
    this.overheat = { reason, atMs: this.clock.now(), sensor: o.sensor, tempC: o.tempC, limitC: o.limitC };
    this.log.error(reason);
    this.emit({ type: 'overheat', reason });
    await this.cutPower(reason);
  }

  private async cutForHardware(reason: string): Promise<void> {
    this.hardwareFault = { reason, atMs: this.clock.now() };
    this.log.error(reason);
    this.emit({ type: 'hardware-fault', reason });
    if (this.powered) await this.cutPower(reason);
  }

  /** Emergency: hold reset (the chips stop at once), then switch the core supply off. No ramp-down. */
  private async cutPower(reason: string): Promise<void> {
    if (this.cutting) return;
    this.cutting = true;
    const wasOn = this.powered;
    this.powerState = 'stopping';
    try {
      try {
        await this.lines.reset.set(true);
      } catch (err) {
        this.log.error(`could not assert ${this.lines.reset.label}: ${(err as Error).message}`);
      }
      await this.powerLock.run(async () => {
        try {
          await this.lines.powerEnable?.set(false);
        } catch (err) {
          this.log.error(`could not release ${this.lines.powerEnable?.label}: ${(err as Error).message}`);
        }
        try {
          await this.p.regulator.powerOff();
        } catch (err) {
          this.log.error(`could not turn ${this.p.regulator.label} off: ${(err as Error).message}`);
        }
      });
      if (this.lines.powerEnable === null && !this.p.regulator.switchesPower) {
        this.log.error(`${this.board.name} has no way to switch the core supply off: the chips are held in reset only`);
      }
    } finally {
      this.powerState = 'off';
      this.frequencyActual = null;
      this.appliedVoltageMv = null;
      this.cutting = false;
    }
    if (wasOn) this.emit({ type: 'power', on: false, reason });
    // The fan goes to 100 % now, not at the next period.
    await this.applyFan(this.clock.now());
  }

  // ---- power sequencing -----------------------------------------------------------------------------

  /** Powers the chips: regulator set, core on, settle, reset pulse, chip init, frequency. */
  powerOn(): Promise<void> {
    return this.commands.run(() => this.doPowerOn());
  }

  /** Powers the chips down gracefully (not latched: powerOn or restart brings them back). */
  powerOff(reason = 'requested'): Promise<void> {
    return this.commands.run(() => this.doPowerOff(reason, true));
  }

  private assertStartable(): void {
    if (this.overheat !== null) throw new BoardStateError(`${this.overheat.reason}; restart the board to clear it`);
    if (this.hardwareFault !== null)
      throw new BoardStateError(`${this.hardwareFault.reason}; restart the board to clear it`);
    if (this.sensorFault !== null)
      throw new BoardStateError(`not powering the chips blind: ${this.sensorFault.reason}`);
  }

  private async doPowerOn(): Promise<void> {
    this.assertStartable();
    if (this.powerState === 'on') return;
    const hottest = Math.max(...this.asicTemps.map((t) => t ?? Number.NEGATIVE_INFINITY));
    if (hottest > this.board.limits.asicTempC.max) {
      throw new BoardStateError(
        `not powering the chips: ASIC already ${round1(hottest)} °C, above ${this.board.name}'s limit ${this.board.limits.asicTempC.max} °C`,
      );
    }
    if (this.vrTemp !== null && this.vrTemp > this.board.limits.vrTempC.max) {
      throw new BoardStateError(
        `not powering the chips: regulator already ${round1(this.vrTemp)} °C, above the limit ${this.board.limits.vrTempC.max} °C`,
      );
    }
    this.powerState = 'starting';
    const aborted = (): boolean => this.powerState !== 'starting';
    await this.lines.reset.set(true);
    await this.powerLock.run(async () => {
      if (aborted()) return;
      // Set the regulator before enabling the core: a DS4432U at its power-on code would give ~1.46 V.
      await this.p.regulator.powerOn(this.settings.voltageMv);
      await this.lines.powerEnable?.set(true);
      this.appliedVoltageMv = this.settings.voltageMv;
    });
    await this.clock.sleep(this.policy.powerSettleMs);
    if (aborted()) throw new BoardStateError('power-on interrupted by a safety cut');
    await this.clock.sleep(this.policy.resetPulseMs);
    if (aborted()) throw new BoardStateError('power-on interrupted by a safety cut');
    await this.lines.reset.set(false);
    await this.clock.sleep(this.policy.resetSettleMs);
    if (aborted()) throw new BoardStateError('power-on interrupted by a safety cut');
    this.powerState = 'on';
    this.log.info(`ASIC power on at ${this.settings.voltageMv} mV, reset released`);
    this.emit({ type: 'power', on: true, reason: 'power-on' });
    try {
      await this.initChips?.();
      if (this.asic !== undefined && this.asicRunning) {
        this.frequencyActual = await this.asic.setFrequency(this.settings.frequencyMhz);
      }
    } catch (err) {
      this.log.warn(`chips did not come up: ${(err as Error).message}`);
    }
  }

  private async doPowerOff(reason: string, graceful: boolean): Promise<void> {
    if (this.powerState === 'off') return;
    if (graceful && this.asic !== undefined && this.asicRunning) {
      // Bring the load down before the supply goes (ESP-Miner ramps to 50 MHz; the board's minimum keeps
      // every written frequency inside its limits).
      let timer: Timer | null = null;
      await Promise.race([
        this.asic.setFrequency(this.board.limits.frequencyMhz.min).catch(() => undefined),
        new Promise<void>((r) => {
          timer = this.clock.setTimer(this.policy.rampDownTimeoutMs, r);
        }),
      ]);
      (timer as Timer | null)?.cancel();
    }
    this.powerState = 'stopping';
    await this.lines.reset.set(true);
    await this.powerLock.run(async () => {
      await this.lines.powerEnable?.set(false);
      await this.p.regulator.powerOff();
    });
    this.powerState = 'off';
    this.frequencyActual = null;
    this.appliedVoltageMv = null;
    this.log.info(`ASIC power off (${reason})`);
    this.emit({ type: 'power', on: false, reason });
    await this.applyFan(this.clock.now());
  }

  /**
   * Clears a latched overheat or hardware fault and power-cycles the chips. Refused while any temperature
   * is unknown or still within `restartHysteresisC` of its limit.
   */
  restart(): Promise<void> {
    return this.commands.run(async () => {
      await this.runTick();
      if (this.sensorFault !== null) throw new BoardStateError(`cannot restart: ${this.sensorFault.reason}`);
      const h = this.policy.restartHysteresisC;
      const asicMax = this.board.limits.asicTempC.max - h;
      const vrMax = this.board.limits.vrTempC.max - h;
      const hottest = Math.max(...this.asicTemps.map((t) => t ?? Number.NEGATIVE_INFINITY));
      if (hottest > asicMax) {
        throw new BoardStateError(
          `cannot restart: ASIC still ${round1(hottest)} °C; restart is allowed below ${asicMax} °C`,
        );
      }
      if (this.vrTemp !== null && this.vrTemp > vrMax) {
        throw new BoardStateError(
          `cannot restart: voltage regulator still ${round1(this.vrTemp)} °C; allowed below ${vrMax} °C`,
        );
      }
      if (this.overheat !== null || this.hardwareFault !== null) {
        this.log.info(`restart: clearing "${(this.overheat ?? this.hardwareFault)!.reason}"`);
      }
      this.overheat = null;
      this.hardwareFault = null;
      await this.doPowerOff('restart', true);
      await this.applyFan(this.clock.now());
      await this.doPowerOn();
    });
  }

  // ---- commands -------------------------------------------------------------------------------------

  /**
   * Changes any fan settings at once, all validated before any is applied: mode, manual percent, PID target,
   * PID minimum. Safety overrides (overheat, sensor fault) still win while they last.
   */
  async configureFan(change: FanChange): Promise<BoardSettings> {
    const b = this.board;
    const percent = change.percent === undefined ? undefined : checkFanPercent(b, change.percent);
    const targetC = change.targetC === undefined ? undefined : checkFanTargetC(b, change.targetC);
    const minPercent = change.minPercent === undefined ? undefined : checkMinFanPercent(b, change.minPercent);
    if (change.mode !== undefined && change.mode !== 'auto' && change.mode !== 'manual') {
      throw new BoardStateError(`fan mode must be auto or manual, got ${String(change.mode)}`);
    }
    return this.commands.run(async () => {
      if (percent !== undefined) this.settings.fanPercent = percent;
      if (targetC !== undefined) this.settings.fanTargetC = targetC;
      if (minPercent !== undefined) {
        this.settings.minFanPercent = minPercent;
        this.pid.setOutputLimits(minPercent, 100);
      }
      if (change.mode !== undefined) this.settings.fanMode = change.mode;
      await this.applyFan(this.clock.now());
      return this.getSettings();
    });
  }

  /** Fixed fan speed. */
  async setFanManual(percent: number): Promise<void> {
    await this.configureFan({ mode: 'manual', percent });
  }

  /** PID to a target ASIC temperature (default: the current target). */
  async setFanAuto(targetC?: number): Promise<void> {
    await this.configureFan({ mode: 'auto', targetC });
  }

  /**
   * Sets the core voltage (per chip). Refused outside the board's limits before anything is written; while
   * the chips run it ramps in `voltageStepMv` steps, stopping if power is cut meanwhile. Resolves with the
   * voltage now applied (or stored, while off).
   */
  async setVoltage(voltageMv: number): Promise<number> {
    const target = checkVoltageMv(this.board, voltageMv);
    return this.commands.run(async () => {
      if (!this.powered || this.appliedVoltageMv === null) {
        this.settings.voltageMv = target;
        return target;
      }
      let v: number = this.appliedVoltageMv;
      while (v !== target) {
        const step = Math.sign(target - v) * Math.min(this.policy.voltageStepMv, Math.abs(target - v));
        const next: number = v + step;
        await this.powerLock.run(async () => {
          if (!this.powered || this.cutting) throw new BoardStateError('ASIC power was cut during the voltage change');
          try {
            await this.p.regulator.adjust(next);
          } catch (err) {
            throw new BoardStateError(
              `${this.p.regulator.label} did not take ${next} mV (now ${v} mV): ${(err as Error).message}`,
            );
          }
        });
        v = next;
        this.appliedVoltageMv = v;
        if (v !== target) await this.clock.sleep(this.policy.voltageStepDelayMs);
      }
      this.settings.voltageMv = target;
      this.log.info(`core voltage ${target} mV`);
      return target;
    });
  }

  /**
   * Sets the chips' frequency. Refused outside the board's limits; the ASIC driver ramps. While the chips are
   * off the value is stored and applied at the next power-on. Resolves with the frequency now applied (or
   * stored).
   */
  async setFrequency(mhz: number): Promise<number> {
    const target = checkFrequencyMhz(this.board, mhz);
    return this.commands.run(async () => {
      this.settings.frequencyMhz = target;
      if (this.asic === undefined || !this.asicRunning) return target;
      try {
        this.frequencyActual = await this.asic.setFrequency(target);
      } catch (err) {
        throw new BoardStateError(`the chips did not take ${target} MHz: ${(err as Error).message}`);
      }
      this.log.info(`frequency ${target} MHz (PLL ${this.frequencyActual} MHz)`);
      return this.frequencyActual;
    });
  }

  // ---- views ----------------------------------------------------------------------------------------

  getSettings(): BoardSettings {
    return { ...this.settings };
  }

  telemetry(): BoardTelemetry {
    const valid = this.asicTemps.filter((t): t is number => t !== null);
    const warnings: string[] = [];
    if (this.fanStalled) warnings.push(`fan reads 0 RPM at ${round1(this.fanPercentNow)} %`);
    return {
      board: this.board.name,
      asicModel: this.board.asic.model,
      asicCount: this.board.asic.count,
      power: this.powerState,
      asicRunning: this.asicRunning,
      resetAsserted: this.lines.reset.active,
      asicTempsC: [...this.asicTemps],
      asicTempC: valid.length > 0 ? Math.max(...valid) : null,
      vrTempC: this.vrTemp,
      fanPercent: this.fanPercentNow,
      fanReason: this.fanReason,
      fanRpm: [...this.fanRpm],
      inputVoltageMv: this.powerReading?.inputMv ?? null,
      currentMa: this.powerReading?.currentMa ?? null,
      powerW: this.powerReading?.powerW ?? null,
      voltageSetMv: this.settings.voltageMv,
      voltageActualMv: this.powered ? this.actualMv : null,
      voltageMeasured: this.p.regulator.measures,
      frequencySetMhz: this.settings.frequencyMhz,
      frequencyActualMhz: this.asicRunning ? this.frequencyActual : null,
      expectedHashrateGhs: this.asicRunning
        ? expectedHashrateGhs(this.board, this.frequencyActual ?? this.settings.frequencyMhz)
        : 0,
      settings: this.getSettings(),
      overheat: this.overheat === null ? null : { ...this.overheat },
      sensorFault: this.sensorFault === null ? null : { ...this.sensorFault },
      powerFault: this.powerFault,
      hardwareFault: this.hardwareFault === null ? null : { ...this.hardwareFault },
      warnings,
      updatedAtMs: this.updatedAtMs,
    };
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The board control: owns the board's peripherals and keeps the board safe, as the composition of three
 * parts that each run alone in tests with an injected clock:
 *  - the thermal guard (thermal-guard.ts) reads every temperature, judges the sensors and holds the
 *    overheat and hardware-fault latches;
 *  - the power sequencer (power-sequencer.ts) moves the core supply, reset line and clock in order, and cuts
 *    them in an emergency;
 *  - the fan loop (fan-loop.ts) runs the fan: flat out on any doubt, else fixed or ESP-Miner's EMA + PID.
 * A control period (every `controlPeriodMs`) reads the temperatures, cuts within that period when the guard
 * says so, drives the fan and refreshes the telemetry. Commands (fan, voltage, frequency, restart) are
 * checked against the board's limits before any hardware is touched and run one at a time.
 */
import type { GpioLine } from '../../drivers/gpio/gpio-line.js';
import { type BoardDefinition, expectedHashrateGhs } from '../../src/config/board.js';
import type { AsicClockControl } from './asic-clock.js';
import {
  type BoardEvent,
  type BoardLog,
  type BoardSettings,
  BoardStateError,
  type BoardTelemetry,
  DEFAULT_POLICY,
  type FanChange,
  type SafetyPolicy,
  stderrLog,
} from './board-types.js';
import { type Clock, systemClock, type Timer } from './clock.js';
import { FanLoop, type FanOverride, round1 } from './fan-loop.js';
import { checkFanPercent, checkFanTargetC, checkFrequencyMhz, checkMinFanPercent, checkVoltageMv } from './limits.js';
import { Mutex } from './mutex.js';
import type { BoardPeripherals, PowerReading } from './peripherals.js';
import { PowerSequencer } from './power-sequencer.js';
import { ThermalGuard } from './thermal-guard.js';

export * from './board-types.js';

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

export class BoardControl {
  readonly board: BoardDefinition;
  readonly policy: SafetyPolicy;
  private readonly p: BoardPeripherals;
  private readonly asic: AsicClockControl | undefined;
  private readonly clock: Clock;
  private readonly log: BoardLog;
  private readonly guard: ThermalGuard;
  private readonly power: PowerSequencer;
  private readonly fan: FanLoop;
  /** Frequency and voltage as asked for; the fan's settings live in the fan loop. */
  private readonly chipSettings: Pick<BoardSettings, 'frequencyMhz' | 'voltageMv'>;
  private readonly commands = new Mutex();
  private readonly listeners = new Set<(e: BoardEvent) => void>();
  private powerMonitor: BoardPeripherals['powerMonitor'];
  private powerFault: string | null = null;
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
    this.asic = options.asic;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? stderrLog;
    this.policy = { ...DEFAULT_POLICY, ...options.policy, pid: { ...DEFAULT_POLICY.pid, ...options.policy?.pid } };
    const s = options.settings ?? {};
    // Config is an entry like any other: the same checks, the same errors.
    this.chipSettings = {
      frequencyMhz: checkFrequencyMhz(b, s.frequencyMhz ?? b.defaults.frequencyMhz),
      voltageMv: checkVoltageMv(b, s.voltageMv ?? b.defaults.voltageMv),
    };
    const fanMode = s.fanMode ?? 'auto';
    if (fanMode !== 'auto' && fanMode !== 'manual') {
      throw new BoardStateError(`fan mode must be auto or manual, got ${String(fanMode)}`);
    }
    this.fan = new FanLoop({
      fan: this.p.fan,
      log: this.log,
      policy: this.policy,
      settings: {
        fanMode,
        fanPercent: checkFanPercent(b, s.fanPercent ?? 100),
        fanTargetC: checkFanTargetC(b, s.fanTargetC ?? b.defaults.fanTargetC),
        minFanPercent: checkMinFanPercent(b, s.minFanPercent ?? b.defaults.minFanPercent),
      },
      onWriteError: async (err) => {
        if (this.guard.hardwareFault === null) {
          await this.cutForHardware(`fan control failed (${this.p.fan.label}: ${err.message}): ASIC power cut`);
        }
      },
    });
    this.guard = new ThermalGuard({
      board: b,
      asicSensors: this.p.asicTemps,
      vrSensor: this.p.vrTemp,
      now: () => this.clock.now(),
      log: this.log,
      policy: this.policy,
      emit: (e) => this.emit(e),
    });
    this.power = new PowerSequencer({
      board: b,
      regulator: this.p.regulator,
      lines: options.gpio,
      ...(options.asic !== undefined ? { asic: options.asic } : {}),
      ...(options.initChips !== undefined ? { initChips: options.initChips } : {}),
      clock: this.clock,
      log: this.log,
      policy: this.policy,
      onPower: (on, reason) => this.emit({ type: 'power', on, reason }),
    });
  }

  // ---- lifecycle ------------------------------------------------------------------------------------

  /**
   * Initialises the peripherals (fan first, at the startup speed), checks that the temperatures can be read,
   * starts the control loop, then powers the chips. Throws if a part the board needs does not answer, or if
   * the board is already too hot to start.
   */
  async start(): Promise<void> {
    await this.power.holdOff();
    try {
      await this.fan.init(this.clock.now());
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
    const sensorFault = this.guard.sensorFault;
    if (sensorFault !== null) throw new BoardStateError(`not powering the chips: ${sensorFault.reason}`);
    this.running = true;
    this.schedule();
    this.log.info(
      `${this.board.name}: fan ${this.p.fan.label}, regulator ${this.p.regulator.label}, sensors ${this.p.asicTemps.map((t) => t.label).join(', ')}`,
    );
    if (this.guard.overheat === null) await this.powerOn();
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

  get asicRunning(): boolean {
    return this.power.asicRunning;
  }

  /** A load figure that moves with what the chips are asked to do (for stuck-sensor detection). */
  private loadProxy(): number {
    if (!this.power.asicRunning) return 0;
    const v = (this.power.appliedVoltageMv ?? this.chipSettings.voltageMv) / 1000;
    return (this.power.frequencyActualMhz ?? this.chipSettings.frequencyMhz) * v * v;
  }

  private async tick(): Promise<void> {
    const now = this.clock.now();
    // 1. Temperatures first: the overheat decision must not wait behind slower telemetry.
    await this.guard.read({ fanPercent: this.fan.percent, load: this.loadProxy(), running: this.power.asicRunning });

    // 2. Safety.
    if (this.power.powered && !this.power.isCutting) {
      const v = this.guard.verdict(now);
      if (v?.kind === 'overheat') await this.cutPower(this.guard.latchOverheat(v));
      else if (v?.kind === 'sensor-dead') await this.cutForHardware(v.reason);
    }

    // 3. Fan.
    await this.applyFan(now, true);

    // 4. Telemetry (failures here are reported, not acted on).
    await this.fan.readRpm(now);
    if (this.powerMonitor !== null) {
      try {
        this.powerReading = await this.powerMonitor.read();
      } catch {
        this.powerReading = null;
      }
    }
    try {
      this.actualMv = this.power.powered ? await this.p.regulator.readActualMv() : null;
    } catch {
      this.actualMv = null;
    }
    try {
      const status = await this.p.regulator.readStatus();
      const conditions = (status?.conditions ?? []).filter((c) => this.power.powered || c !== 'output off');
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

  /** The condition that runs the fan flat out now, most urgent first. */
  private fanOverride(): FanOverride {
    if (this.guard.overheat !== null) return 'overheat';
    if (this.guard.hardwareFault !== null) return 'hardware-fault';
    if (this.guard.sensorFault !== null) return 'sensor-fault';
    return null;
  }

  private applyFan(now: number, sample = false): Promise<void> {
    return this.fan.apply(
      now,
      { override: this.fanOverride(), powered: this.power.powered, asicTemps: this.guard.asicTemps },
      sample,
    );
  }

  // ---- safety cuts ----------------------------------------------------------------------------------

  private async cutForHardware(reason: string): Promise<void> {
    this.guard.latchHardwareFault(reason);
    if (this.power.powered) await this.cutPower(reason);
  }

  private async cutPower(reason: string): Promise<void> {
    if (this.power.isCutting) return;
    await this.power.cut(reason);
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

  private async doPowerOn(): Promise<void> {
    const latched = this.guard.latchBlocker();
    if (latched !== null) throw new BoardStateError(latched);
    if (this.power.state === 'on') return;
    const hot = this.guard.heatBlocker();
    if (hot !== null) throw new BoardStateError(hot);
    await this.power.powerOn(this.chipSettings.voltageMv, this.chipSettings.frequencyMhz);
  }

  private async doPowerOff(reason: string, graceful: boolean): Promise<void> {
    if (await this.power.powerOff(reason, graceful)) await this.applyFan(this.clock.now());
  }

  /**
   * Clears a latched overheat or hardware fault and power-cycles the chips. Refused while any temperature
   * is unknown or still within `restartHysteresisC` of its limit. After an overheat a manual fan comes back
   * in auto: the fixed speed may be what let the chips overheat.
   */
  restart(): Promise<void> {
    return this.commands.run(async () => {
      await this.runTick();
      const blocked = this.guard.restartBlocker();
      if (blocked !== null) throw new BoardStateError(blocked);
      const was = this.guard.clearLatches();
      const latched = was.overheat ?? was.hardwareFault;
      if (latched !== null) this.log.info(`restart: clearing "${latched.reason}"`);
      const fan = this.fan.settings;
      if (was.overheat !== null && fan.fanMode === 'manual') {
        this.fan.configure({ fanMode: 'auto' });
        this.log.warn(
          `fan back to auto (target ${fan.fanTargetC} °C) after the overheat; it was fixed at ${round1(fan.fanPercent)} %`,
        );
      }
      await this.doPowerOff('restart', true);
      await this.applyFan(this.clock.now());
      await this.doPowerOn();
    });
  }

  // ---- commands -------------------------------------------------------------------------------------

  /**
   * Changes any fan settings at once, all validated before any is applied: mode, manual percent (never under
   * the board's manual floor), PID target, PID minimum. Safety overrides (overheat, sensor fault) still win
   * while they last.
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
      this.fan.configure({
        ...(percent !== undefined ? { fanPercent: percent } : {}),
        ...(targetC !== undefined ? { fanTargetC: targetC } : {}),
        ...(minPercent !== undefined ? { minFanPercent: minPercent } : {}),
        ...(change.mode !== undefined ? { fanMode: change.mode } : {}),
      });
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
      if (!this.power.powered || this.power.appliedVoltageMv === null) {
        this.chipSettings.voltageMv = target;
        return target;
      }
      await this.power.rampVoltage(target);
      this.chipSettings.voltageMv = target;
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
      this.chipSettings.frequencyMhz = target;
      if (this.asic === undefined || !this.power.asicRunning) return target;
      let actual: number | null;
      try {
        actual = await this.power.setFrequency(target);
      } catch (err) {
        throw new BoardStateError(`the chips did not take ${target} MHz: ${(err as Error).message}`);
      }
      if (actual === null) return target;
      this.log.info(`frequency ${target} MHz (PLL ${actual} MHz)`);
      return actual;
    });
  }

  // ---- views ----------------------------------------------------------------------------------------

  getSettings(): BoardSettings {
    return { ...this.chipSettings, ...this.fan.settings };
  }

  /**
   * Makes the board findable (AxeOS "identify"): the fan pulses to 100 % every other second for `durationMs`.
   * Safety overrides are unaffected (they run the fan at 100 % anyway). A second call restarts the period.
   */
  identify(durationMs = 30_000): void {
    this.fan.identify(this.clock.now(), durationMs);
  }

  /** Identify is running. */
  get identifying(): boolean {
    return this.fan.identifying(this.clock.now());
  }

  telemetry(): BoardTelemetry {
    const asicTemps = this.guard.asicTemps;
    const valid = asicTemps.filter((t): t is number => t !== null);
    const warnings: string[] = [];
    if (this.fan.stalled) warnings.push(`fan reads 0 RPM at ${round1(this.fan.percent)} %`);
    const running = this.power.asicRunning;
    const frequencyActual = this.power.frequencyActualMhz;
    const overheat = this.guard.overheat;
    const sensorFault = this.guard.sensorFault;
    const hardwareFault = this.guard.hardwareFault;
    return {
      board: this.board.name,
      asicModel: this.board.asic.model,
      asicCount: this.board.asic.count,
      power: this.power.state,
      asicRunning: running,
      resetAsserted: this.power.resetAsserted,
      asicTempsC: asicTemps,
      asicTempC: valid.length > 0 ? Math.max(...valid) : null,
      vrTempC: this.guard.vrTempC,
      fanPercent: this.fan.percent,
      fanReason: this.fan.reason,
      fanRpm: this.fan.rpm,
      inputVoltageMv: this.powerReading?.inputMv ?? null,
      currentMa: this.powerReading?.currentMa ?? null,
      powerW: this.powerReading?.powerW ?? null,
      voltageSetMv: this.chipSettings.voltageMv,
      voltageActualMv: this.power.powered ? this.actualMv : null,
      voltageMeasured: this.p.regulator.measures,
      frequencySetMhz: this.chipSettings.frequencyMhz,
      frequencyActualMhz: running ? frequencyActual : null,
      expectedHashrateGhs: running
        ? expectedHashrateGhs(this.board, frequencyActual ?? this.chipSettings.frequencyMhz)
        : 0,
      settings: this.getSettings(),
      overheat: overheat === null ? null : { ...overheat },
      sensorFault: sensorFault === null ? null : { ...sensorFault },
      powerFault: this.powerFault,
      hardwareFault: hardwareFault === null ? null : { ...hardwareFault },
      warnings,
      updatedAtMs: this.updatedAtMs,
    };
  }
}

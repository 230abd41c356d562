/**
 * The fan loop: what the fan is told each control period and why. Safety first (an overheat, a hardware fault
 * or a doubtful sensor run it at 100 %), then the operator's choice: a fixed percent, or ESP-Miner's auto mode
 * (EMA of the hottest ASIC reading into a PID toward the target temperature, never under the PID minimum).
 * It also watches the tachometer for a stalled fan. The board control feeds it the safety state and the
 * temperatures; the clock is whatever `now` the caller passes, so it runs alone in tests.
 */
import type { BoardLog, BoardSettings, FanReason, SafetyPolicy } from './board-types.js';
import type { FanRole } from './peripherals.js';
import { PidController } from './pid.js';

/** The fan's share of the settings; every value has passed the board's limits. */
export type FanSettings = Pick<BoardSettings, 'fanMode' | 'fanPercent' | 'fanTargetC' | 'minFanPercent'>;

/** A latched or live safety condition that runs the fan flat out, or null. */
export type FanOverride = 'overheat' | 'hardware-fault' | 'sensor-fault' | null;

/** What the loop needs to know about the board this period. */
export interface FanInputs {
  override: FanOverride;
  /** The chips' core supply is on (or coming on). */
  powered: boolean;
  /** ASIC readings (°C); null for a sensor that did not read. */
  asicTemps: ReadonlyArray<number | null>;
}

export type FanPolicy = Pick<
  SafetyPolicy,
  'controlPeriodMs' | 'fanRewriteMs' | 'startupFanPercent' | 'poweredOffFanPercent' | 'emaAlpha' | 'pid'
>;

export interface FanLoopOptions {
  fan: FanRole;
  log: BoardLog;
  policy: FanPolicy;
  settings: FanSettings;
  /** The fan controller could not be written (the board control cuts power for it). */
  onWriteError: (err: Error) => Promise<void>;
}

/** How long a fan may read 0 RPM at a speed that should turn it before it is reported stalled. */
const STALL_REPORT_MS = 10_000;
/** Below this the fan may legitimately stand still. */
const STALL_MIN_PERCENT = 30;

export class FanLoop {
  private readonly fan: FanRole;
  private readonly log: BoardLog;
  private readonly policy: FanPolicy;
  private readonly onWriteError: (err: Error) => Promise<void>;
  private readonly pid: PidController;
  private readonly s: FanSettings;
  private percentNow: number;
  private reasonNow: FanReason = 'startup';
  private lastWriteMs = Number.NEGATIVE_INFINITY;
  /** What the fan controller was last told; writes happen when the command moves ≥ 1 %-point from it. */
  private writtenPercent = Number.NaN;
  private ema: number | null = null;
  /** The PID's output at the last control period. */
  private pidOutput = 0;
  private rpmNow: number[] = [];
  private stalledSinceMs: number | null = null;
  private stalledNow = false;
  /** Identify (AxeOS "identify"): until when the fan pulses, and since when. */
  private identifyUntilMs = Number.NEGATIVE_INFINITY;
  private identifyFromMs = 0;

  constructor(options: FanLoopOptions) {
    this.fan = options.fan;
    this.log = options.log;
    this.policy = options.policy;
    this.onWriteError = options.onWriteError;
    this.s = { ...options.settings };
    this.pid = new PidController({
      ...this.policy.pid,
      sampleTimeMs: this.policy.controlPeriodMs,
      outMin: this.s.minFanPercent,
      outMax: 100,
      reverse: true,
    });
    this.percentNow = this.s.fanMode === 'manual' ? this.s.fanPercent : this.policy.startupFanPercent;
  }

  get label(): string {
    return this.fan.label;
  }

  /** Fan speed commanded now (%). */
  get percent(): number {
    return this.percentNow;
  }

  get reason(): FanReason {
    return this.reasonNow;
  }

  get rpm(): number[] {
    return [...this.rpmNow];
  }

  /** The tachometer reads 0 at a speed that should turn the fan, for 10 s or more. */
  get stalled(): boolean {
    return this.stalledNow;
  }

  get settings(): FanSettings {
    return { ...this.s };
  }

  /** Starts the controller at the startup speed (or the manual one). Throws when it does not answer. */
  async init(now: number): Promise<void> {
    await this.fan.init(this.percentNow);
    this.lastWriteMs = now;
    this.writtenPercent = this.percentNow;
  }

  /** Takes new fan settings (already checked against the board); applied at the next `apply`. */
  configure(change: Partial<FanSettings>): void {
    if (change.fanPercent !== undefined) this.s.fanPercent = change.fanPercent;
    if (change.fanTargetC !== undefined) this.s.fanTargetC = change.fanTargetC;
    if (change.minFanPercent !== undefined) {
      this.s.minFanPercent = change.minFanPercent;
      this.pid.setOutputLimits(change.minFanPercent, 100);
    }
    if (change.fanMode !== undefined) this.s.fanMode = change.fanMode;
  }

  /**
   * The fan command now. Only the control period samples the EMA and the PID (`sample`): their gains assume
   * its fixed interval, so a command or a cut between periods reuses the last PID output instead of adding
   * an extra integral step (an API client repeating a PATCH must not speed the integral up).
   */
  private decide(sample: boolean, inputs: FanInputs): { percent: number; reason: FanReason } {
    if (inputs.override !== null) return { percent: 100, reason: inputs.override };
    if (this.s.fanMode === 'manual') return { percent: this.s.fanPercent, reason: 'manual' };
    if (!inputs.powered) return { percent: this.policy.poweredOffFanPercent, reason: 'power-off' };
    const valid = inputs.asicTemps.filter((t): t is number => t !== null);
    if (valid.length === 0) return { percent: this.policy.startupFanPercent, reason: 'startup' };
    if (!sample) {
      // Not yet handed over (just switched to auto): keep the current speed until the next period does it.
      const held = this.pid.isAutomatic ? this.pidOutput : this.percentNow;
      return { percent: Math.min(100, Math.max(this.s.minFanPercent, held)), reason: 'auto' };
    }
    const hottest = Math.max(...valid);
    this.ema = this.ema === null ? hottest : this.policy.emaAlpha * hottest + (1 - this.policy.emaAlpha) * this.ema;
    if (!this.pid.isAutomatic) this.pid.setAutomatic(true, this.percentNow, this.ema);
    this.pidOutput = this.pid.compute(this.ema, this.s.fanTargetC);
    return { percent: this.pidOutput, reason: 'auto' };
  }

  /** Decides and writes the fan speed; `sample` only from the control period (see `decide`). */
  async apply(now: number, inputs: FanInputs, sample = false): Promise<void> {
    const d = this.decide(sample, inputs);
    if (d.reason !== 'auto' && this.pid.isAutomatic) this.pid.setAutomatic(false);
    if (d.reason !== 'auto' && d.reason !== 'startup') this.ema = null;
    if (d.reason !== this.reasonNow && d.reason !== 'auto') this.log.info(`fan ${round1(d.percent)} % (${d.reason})`);
    this.reasonNow = d.reason;
    this.percentNow = d.percent;
    // Identify pulses the fan up to 100 % every other second: only ever above what control wants, never below.
    const percent = this.identifyPulseOn(now) ? 100 : d.percent;
    // Small PID moves are not worth a bus write each period (the EMC2101 has 1.6 % steps anyway); a jump to
    // 100 % or any reason change is written at once.
    const moved =
      !(Math.abs(percent - this.writtenPercent) < 1) || (percent !== this.writtenPercent && d.reason !== 'auto');
    if (!moved && now - this.lastWriteMs < this.policy.fanRewriteMs) return;
    try {
      await this.fan.setPercent(percent);
      this.writtenPercent = percent;
      this.lastWriteMs = now;
    } catch (err) {
      await this.onWriteError(err as Error);
    }
  }

  private identifyPulseOn(now: number): boolean {
    return now < this.identifyUntilMs && Math.floor((now - this.identifyFromMs) / 1000) % 2 === 0;
  }

  /**
   * Makes the board findable (AxeOS "identify"): the fan pulses to 100 % every other second for `durationMs`.
   * Safety overrides are unaffected (they run the fan at 100 % anyway). A second call restarts the period.
   */
  identify(now: number, durationMs: number): void {
    this.identifyFromMs = now;
    this.identifyUntilMs = now + durationMs;
    this.log.info(`identify: the fan pulses for ${Math.round(durationMs / 1000)} s`);
  }

  /** Identify is running at `now`. */
  identifying(now: number): boolean {
    return now < this.identifyUntilMs;
  }

  /** Reads the tachometer (telemetry: a failed read is no RPM) and watches for a stalled fan. */
  async readRpm(now: number): Promise<void> {
    try {
      this.rpmNow = await this.fan.readRpm();
    } catch {
      this.rpmNow = [];
    }
    const hasTach = this.rpmNow.length > 0;
    const stalled = hasTach && this.percentNow >= STALL_MIN_PERCENT && this.rpmNow.every((r) => r === 0);
    if (!stalled) {
      this.stalledSinceMs = null;
      if (this.stalledNow) this.log.info('fan turning again');
      this.stalledNow = false;
      return;
    }
    this.stalledSinceMs ??= now;
    if (!this.stalledNow && now - this.stalledSinceMs >= STALL_REPORT_MS) {
      this.stalledNow = true;
      this.log.warn(`fan reads 0 RPM at ${round1(this.percentNow)} %: stalled, blocked or unplugged`);
    }
  }
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * The power sequencer: the order in which the chips' supply, reset line and clock move.
 *
 * - On: reset held → regulator set (before the enable: a DS4432U at its power-on code would give ~1.46 V) →
 *   core enabled → settle → reset pulse → released → settle → the daemon inits the chain → frequency.
 * - Off (graceful): frequency down to the board's minimum (bounded wait), reset held, core off.
 * - Cut (emergency): reset held first (the chips stop at once), then the core off; no ramp. A cut during a
 *   power-on or a voltage ramp stops it at its next step.
 * - Voltage moves in `voltageStepMv` steps while the chips run.
 * Board limits are checked by the caller before anything gets here. The clock is injected (ManualClock in
 * tests), so a whole sequence runs alone in milliseconds.
 */
import type { GpioLine } from '../../drivers/gpio/gpio-line.js';
import type { BoardDefinition } from '../../src/config/board.js';
import type { AsicClockControl } from './asic-clock.js';
import { type BoardLog, BoardStateError, type PowerState, type SafetyPolicy } from './board-types.js';
import type { Clock, Timer } from './clock.js';
import { Mutex } from './mutex.js';
import type { RegulatorRole } from './peripherals.js';

export type PowerPolicy = Pick<
  SafetyPolicy,
  'powerSettleMs' | 'resetPulseMs' | 'resetSettleMs' | 'rampDownTimeoutMs' | 'voltageStepMv' | 'voltageStepDelayMs'
>;

export interface PowerSequencerOptions {
  board: BoardDefinition;
  regulator: RegulatorRole;
  lines: { reset: GpioLine; powerEnable: GpioLine | null };
  asic?: AsicClockControl;
  /** Called after every power-on reset pulse, before the frequency is applied (the daemon inits the chain). */
  initChips?: () => Promise<void>;
  clock: Clock;
  log: BoardLog;
  policy: PowerPolicy;
  /** The chips' power changed (on after a power-on, off after an off or a cut). */
  onPower: (on: boolean, reason: string) => void;
}

export class PowerSequencer {
  private readonly o: PowerSequencerOptions;
  private readonly powerLock = new Mutex();
  private stateNow: PowerState = 'off';
  private cutting = false;
  private appliedMv: number | null = null;
  private frequencyActual: number | null = null;

  constructor(options: PowerSequencerOptions) {
    this.o = options;
  }

  get state(): PowerState {
    return this.stateNow;
  }

  /** The core supply is on or coming on. */
  get powered(): boolean {
    return this.stateNow === 'on' || this.stateNow === 'starting';
  }

  /** Powered and out of reset: the chips can hash. */
  get asicRunning(): boolean {
    return this.stateNow === 'on' && !this.o.lines.reset.active;
  }

  get resetAsserted(): boolean {
    return this.o.lines.reset.active;
  }

  /** An emergency cut is under way. */
  get isCutting(): boolean {
    return this.cutting;
  }

  /** Core mV set on the regulator while powered; null while off. */
  get appliedVoltageMv(): number | null {
    return this.appliedMv;
  }

  /** What the PLL achieved, while the chips run (null otherwise or before a frequency was set). */
  get frequencyActualMhz(): number | null {
    return this.frequencyActual;
  }

  /** The safe state before anything else starts: reset held, core disabled. */
  async holdOff(): Promise<void> {
    await this.o.lines.reset.set(true);
    await this.o.lines.powerEnable?.set(false);
  }

  /** Powers the chips at `voltageMv` and brings them to `frequencyMhz`. Throws if a cut interrupts it. */
  async powerOn(voltageMv: number, frequencyMhz: number): Promise<void> {
    if (this.stateNow === 'on') return;
    const { lines, regulator, clock, policy, log } = this.o;
    this.stateNow = 'starting';
    const aborted = (): boolean => this.stateNow !== 'starting';
    await lines.reset.set(true);
    await this.powerLock.run(async () => {
      if (aborted()) return;
      await regulator.powerOn(voltageMv);
      await lines.powerEnable?.set(true);
      this.appliedMv = voltageMv;
    });
    await clock.sleep(policy.powerSettleMs);
    if (aborted()) throw new BoardStateError('power-on interrupted by a safety cut');
    await clock.sleep(policy.resetPulseMs);
    if (aborted()) throw new BoardStateError('power-on interrupted by a safety cut');
    await lines.reset.set(false);
    await clock.sleep(policy.resetSettleMs);
    if (aborted()) throw new BoardStateError('power-on interrupted by a safety cut');
    this.stateNow = 'on';
    log.info(`ASIC power on at ${voltageMv} mV, reset released`);
    this.o.onPower(true, 'power-on');
    try {
      await this.o.initChips?.();
      if (this.o.asic !== undefined && this.asicRunning) {
        this.frequencyActual = await this.o.asic.setFrequency(frequencyMhz);
      }
    } catch (err) {
      log.warn(`chips did not come up: ${(err as Error).message}`);
    }
  }

  /**
   * Powers the chips down; `graceful` brings the clock down first (ESP-Miner ramps to 50 MHz). Resolves
   * false when they were off already.
   */
  async powerOff(reason: string, graceful: boolean): Promise<boolean> {
    if (this.stateNow === 'off') return false;
    const { lines, regulator, clock, policy, board, asic } = this.o;
    if (graceful && asic !== undefined && this.asicRunning) {
      // The board's minimum keeps every written frequency inside its limits.
      let timer: Timer | null = null;
      await Promise.race([
        asic.setFrequency(board.limits.frequencyMhz.min).catch(() => undefined),
        new Promise<void>((r) => {
          timer = clock.setTimer(policy.rampDownTimeoutMs, r);
        }),
      ]);
      (timer as Timer | null)?.cancel();
    }
    this.stateNow = 'stopping';
    await lines.reset.set(true);
    await this.powerLock.run(async () => {
      await lines.powerEnable?.set(false);
      await regulator.powerOff();
    });
    this.stateNow = 'off';
    this.frequencyActual = null;
    this.appliedMv = null;
    this.o.log.info(`ASIC power off (${reason})`);
    this.o.onPower(false, reason);
    return true;
  }

  /** Emergency: hold reset (the chips stop at once), then switch the core supply off. No ramp-down. */
  async cut(reason: string): Promise<void> {
    if (this.cutting) return;
    const { lines, regulator, log, board } = this.o;
    this.cutting = true;
    const wasOn = this.powered;
    this.stateNow = 'stopping';
    try {
      try {
        await lines.reset.set(true);
      } catch (err) {
        log.error(`could not assert ${lines.reset.label}: ${(err as Error).message}`);
      }
      await this.powerLock.run(async () => {
        try {
          await lines.powerEnable?.set(false);
        } catch (err) {
          log.error(`could not release ${lines.powerEnable?.label}: ${(err as Error).message}`);
        }
        try {
          await regulator.powerOff();
        } catch (err) {
          log.error(`could not turn ${regulator.label} off: ${(err as Error).message}`);
        }
      });
      if (lines.powerEnable === null && !regulator.switchesPower) {
        log.error(`${board.name} has no way to switch the core supply off: the chips are held in reset only`);
      }
    } finally {
      this.stateNow = 'off';
      this.frequencyActual = null;
      this.appliedMv = null;
      this.cutting = false;
    }
    if (wasOn) this.o.onPower(false, reason);
  }

  /**
   * Ramps the running core voltage to `targetMv` in steps, stopping if power is cut meanwhile. Resolves once
   * it is there; the caller keeps the setting.
   */
  async rampVoltage(targetMv: number): Promise<void> {
    const { regulator, clock, policy } = this.o;
    if (this.appliedMv === null) return;
    let v: number = this.appliedMv;
    while (v !== targetMv) {
      const step = Math.sign(targetMv - v) * Math.min(policy.voltageStepMv, Math.abs(targetMv - v));
      const next: number = v + step;
      await this.powerLock.run(async () => {
        if (!this.powered || this.cutting) throw new BoardStateError('ASIC power was cut during the voltage change');
        try {
          await regulator.adjust(next);
        } catch (err) {
          throw new BoardStateError(
            `${regulator.label} did not take ${next} mV (now ${v} mV): ${(err as Error).message}`,
          );
        }
      });
      v = next;
      this.appliedMv = v;
      if (v !== targetMv) await clock.sleep(policy.voltageStepDelayMs);
    }
  }

  /** Moves the running chips to `mhz` (the driver ramps); resolves with what the PLL achieved. */
  async setFrequency(mhz: number): Promise<number | null> {
    if (this.o.asic === undefined || !this.asicRunning) return null;
    this.frequencyActual = await this.o.asic.setFrequency(mhz);
    return this.frequencyActual;
  }
}

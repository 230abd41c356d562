import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BoardDefinition } from '../../src/config/board.js';
import { MemoryGpioLine } from '../gpio/gpio-memory.js';
import { EMC2101_REG } from '../i2c/emc2101.js';
import { Ds4432uModel } from './i2c-ds4432u-model.js';
import { Emc2101Model } from './i2c-emc2101-model.js';
import { Emc2103Model } from './i2c-emc2103-model.js';
import { Emc2302Model } from './i2c-emc2302-model.js';
import { EmulatedI2cBus, type I2cDeviceModel } from './i2c-emulated-bus.js';
import { Ina260Model } from './i2c-ina260-model.js';
import { Tmp1075Model } from './i2c-tmp1075-model.js';
import { Tps546Model } from './i2c-tps546-model.js';
import { type ThermalInputs, ThermalModel, type ThermalParams, thermalParamsFor } from './thermal-model.js';

/** Frequency the chips run at after reset, before the host programs the PLL (bm13xx.md §7.5). */
const RESET_FREQUENCY_MHZ = 50;
/** Whole-board draw besides the chips and the regulator's loss (W): LDOs, EMC, fan. */
const BOARD_OVERHEAD_W = 1.5;

/**
 * The part of an emulated BM13xx chain (EmulatedChain) the board ties to its pins and its physics: the chips'
 * reset, and the PLL frequency each chip was programmed to.
 */
export interface BoardChipChain {
  reset(): void;
  status(): { readonly perChip: ReadonlyArray<{ readonly frequencyMhz: number }> };
}

export interface EmulatedBoardOptions {
  ambientC?: number;
  /** Seed of the sensor-noise generator (same seed, same run). */
  seed?: number;
  /** Standard deviation of the temperature-sensor noise (°C); 0 for exact readings. */
  sensorNoiseC?: number;
  /** Clock for the GPIO line histories (ms). */
  now?: () => number;
  thermal?: Partial<ThermalParams>;
}

/**
 * The emulated chips' frequency, driven through the same `setFrequency(mhz)` call the ASIC driver offers the
 * board control. Records every call; refuses while the chips are unpowered or held in reset (a real chain
 * would not answer on the UART then).
 */
export class EmulatedAsicClock {
  readonly calls: number[] = [];
  frequencyMhz = RESET_FREQUENCY_MHZ;

  constructor(private readonly running: () => boolean) {}

  async setFrequency(mhz: number): Promise<number> {
    this.calls.push(mhz);
    if (!this.running()) throw new Error('the chips do not answer: core power is off or reset is held');
    this.frequencyMhz = mhz;
    return mhz;
  }
}

/** Tiny seeded generator for sensor noise (mulberry32). */
function noiseSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A whole Bitaxe-style board in memory, built from a board definition: every I2C part the board file names as
 * a register model on one emulated bus at its address, the reset and power-enable lines, the chips' clock,
 * and a thermal model tying them together. `step(dtMs)` advances the physics and refreshes the sensors.
 *
 * Fault injection: `bus.setNack(address, true)`, `stickSensors(true)`, `thermal.overrideDieC = 95`,
 * `thermal.overrideVrC`, `thermal.fanBlocked = true`, `emc2101.diodeFault`, `emc2103.diodeFault[n]`,
 * `emc2103.diodeBiasC[n]`.
 */
export class EmulatedBoard {
  readonly bus = new EmulatedI2cBus();
  readonly reset: MemoryGpioLine;
  readonly powerEnable: MemoryGpioLine | null;
  readonly asicClock: EmulatedAsicClock;
  readonly thermal: ThermalModel;
  emc2101: Emc2101Model | null = null;
  emc2103: Emc2103Model | null = null;
  emc2302: Emc2302Model | null = null;
  ina260: Ina260Model | null = null;
  ds4432u: Ds4432uModel | null = null;
  tps546: Tps546Model | null = null;
  readonly tempSensors: Tmp1075Model[] = [];
  /** For pwm-sysfs fans: a directory laid out like /sys/class/pwm (removed by close()). */
  pwmRoot: string | null = null;
  private readonly noise: () => number;
  private readonly noiseC: number;
  /** pwm-sysfs duty, re-read from the files every 10 steps (file reads are the slow part of a long run). */
  private pwmPercent = 0;
  private pwmReadCountdown = 0;
  private chain: BoardChipChain | null = null;
  private chainPowered = false;

  constructor(
    readonly board: BoardDefinition,
    options: EmulatedBoardOptions = {},
  ) {
    const now = options.now ?? Date.now;
    this.noise = noiseSource(options.seed ?? 1);
    this.noiseC = options.sensorNoiseC ?? 0.15;
    // The chips' nominal operating point is the board's default: a board that runs its chips below the
    // model's usual clock (Gamma Duo's BM1370 "XP" table, 400 MHz) is binned and cooled for that point.
    this.thermal = new ThermalModel(
      thermalParamsFor(board.asic.model, board.asic.count, {
        ambientC: options.ambientC ?? 25,
        nominalFrequencyMhz: board.defaults.frequencyMhz,
        nominalVoltageMv: board.defaults.voltageMv,
        ...options.thermal,
      }),
    );
    const chip = board.gpio.chip;
    this.reset = new MemoryGpioLine({ ...board.gpio.reset, name: 'reset', chip, initialActive: true }, now);
    this.powerEnable =
      board.gpio.powerEnable === null
        ? null
        : new MemoryGpioLine({ ...board.gpio.powerEnable, name: 'power-enable', chip, initialActive: false }, now);
    this.asicClock = new EmulatedAsicClock(() => this.corePowered() && !this.reset.active);
    this.reset.onChange((active) => {
      if (active) this.asicClock.frequencyMhz = RESET_FREQUENCY_MHZ;
    });

    const p = board.peripherals;
    const attach = <T extends I2cDeviceModel>(address: number, make: () => T): T => {
      const existing = this.bus.device(address);
      if (existing !== undefined) return existing as T;
      const model = make();
      this.bus.attach(address, model);
      return model;
    };
    if (p.fan.part === 'EMC2101') this.emc2101 = attach(p.fan.address, () => new Emc2101Model());
    if (p.fan.part === 'EMC2103') this.emc2103 = attach(p.fan.address, () => new Emc2103Model());
    if (p.fan.part === 'EMC2302') this.emc2302 = attach(p.fan.address, () => new Emc2302Model());
    if (p.fan.part === 'pwm-sysfs') {
      this.pwmRoot = mkdtempSync(join(tmpdir(), 'hashaxe-pwm-'));
      const dir = join(this.pwmRoot, `pwmchip${p.fan.chip}`, `pwm${p.fan.channel}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(this.pwmRoot, `pwmchip${p.fan.chip}`, 'export'), '');
      for (const f of ['period', 'duty_cycle', 'enable']) writeFileSync(join(dir, f), '0');
    }
    for (const t of p.asicTemp) {
      if (t.part === 'EMC2101') {
        this.emc2101 = attach(t.address, () => new Emc2101Model());
        // Boards that read the EMC2101's own sensor have no diode wired to it.
        if (t.channel === 'internal' && !p.asicTemp.some((o) => o.part === 'EMC2101' && o.channel === 'external')) {
          this.emc2101.diodeFault = 'open';
        }
      } else if (t.part === 'EMC2103') {
        this.emc2103 = attach(t.address, () => new Emc2103Model());
      } else {
        this.tempSensors.push(attach(t.address, () => new Tmp1075Model(t.part)));
      }
    }
    if (p.regulator.part === 'DS4432U') this.ds4432u = attach(p.regulator.address, () => new Ds4432uModel());
    if (p.regulator.part === 'TPS546') {
      // A stacked profile is two TPS546 modules sharing the output; the host talks to the first.
      const modules = p.regulator.profile === '12v-stacked' ? 2 : 1;
      this.tps546 = attach(p.regulator.address, () => new Tps546Model(undefined, { modules }));
    }
    if (p.powerMonitor?.part === 'INA260') this.ina260 = attach(p.powerMonitor.address, () => new Ina260Model());
    this.refreshSensors();
  }

  /**
   * Ties an emulated chip chain to this board, for a whole emulated miner (a Bm13xxChain talking to an
   * EmulatedChain over a transport): asserting reset or losing core power puts the chips back to their
   * power-on state, as the real pins do, and the thermal model heats with the mean frequency the chips' PLLs
   * were programmed to (not `asicClock`, which stays the stand-in for boards without a chain). Returns a
   * function that unties them.
   */
  attachChain(chain: BoardChipChain): () => void {
    this.chain = chain;
    this.chainPowered = this.corePowered() && !this.reset.active;
    const stop = this.reset.onChange((active) => {
      if (active && this.chain === chain) chain.reset();
    });
    return () => {
      stop();
      if (this.chain === chain) this.chain = null;
    };
  }

  /** The frequency the chips heat with: the attached chain's PLLs, else the asicClock stand-in (MHz). */
  chipFrequencyMhz(): number {
    if (this.chain === null) return this.asicClock.frequencyMhz;
    const chips = this.chain.status().perChip;
    if (chips.length === 0) return 0;
    let sum = 0;
    for (const c of chips) sum += c.frequencyMhz;
    return sum / chips.length;
  }

  /** Core supply on: the enable line (where there is one) and the regulator agree. */
  corePowered(): boolean {
    const enabled = this.powerEnable === null || this.powerEnable.active;
    if (this.tps546 !== null) return enabled && this.tps546.isOn();
    return enabled;
  }

  /** The core voltage each chip sees (mV); 0 when unpowered. */
  coreVoltageMv(): number {
    if (!this.corePowered()) return 0;
    const reg = this.board.peripherals.regulator;
    if (reg.part === 'fixed') return reg.voltageMv;
    if (reg.part === 'DS4432U') return this.ds4432u?.outputMv() ?? 0;
    return ((this.tps546?.outputV() ?? 0) * 1000) / reg.voltageDomains;
  }

  /** The fan drive the controller outputs now (0..100 %). */
  fanPercentOutput(): number {
    if (this.emc2101 !== null && this.board.peripherals.fan.part === 'EMC2101') return this.emc2101.fanDuty() * 100;
    if (this.emc2103 !== null && this.board.peripherals.fan.part === 'EMC2103') return this.emc2103.fanDuty() * 100;
    if (this.emc2302 !== null) return this.emc2302.fanDuty(0) * 100;
    const fan = this.board.peripherals.fan;
    if (fan.part === 'pwm-sysfs' && this.pwmRoot !== null) {
      const dir = join(this.pwmRoot, `pwmchip${fan.chip}`, `pwm${fan.channel}`);
      const period = Number(readFileSync(join(dir, 'period'), 'utf8'));
      const duty = Number(readFileSync(join(dir, 'duty_cycle'), 'utf8'));
      const enabled = readFileSync(join(dir, 'enable'), 'utf8').trim() === '1';
      return enabled && period > 0 ? (duty / period) * 100 : 0;
    }
    return 0;
  }

  private fanDriveForPhysics(): number {
    if (this.pwmRoot === null) return this.fanPercentOutput();
    if (this.pwmReadCountdown-- <= 0) {
      this.pwmReadCountdown = 9;
      this.pwmPercent = this.fanPercentOutput();
    }
    return this.pwmPercent;
  }

  /** The raw EMC2101 fan setting register (0..63), for tests that check what reached the chip. */
  fanSettingRegister(): number | null {
    return this.emc2101 === null ? null : this.emc2101.regs[EMC2101_REG.FAN_SETTING];
  }

  private inputs(): ThermalInputs {
    return {
      powered: this.corePowered(),
      clocked: !this.reset.active,
      frequencyMhz: this.chipFrequencyMhz(),
      coreVoltageMv: this.coreVoltageMv(),
      fanPercent: this.fanDriveForPhysics(),
    };
  }

  /** Advances the physics by `dtMs` and updates every sensor register. */
  step(dtMs: number): void {
    if (this.chain !== null) {
      // A regulator switched off over I2C (TPS546) has no pin event: catch the power loss here.
      const powered = this.corePowered();
      if (this.chainPowered && !powered) this.chain.reset();
      this.chainPowered = powered;
    }
    const inputs = this.inputs();
    if (inputs.powered && !this.corePowered()) inputs.powered = false;
    this.thermal.step(dtMs / 1000, inputs);
    this.refreshSensors();
  }

  /** Freezes (or unfreezes) every temperature sensor's reading: the "stuck sensor" fault. */
  stickSensors(stuck: boolean): void {
    if (this.emc2101 !== null) this.emc2101.stuck = stuck;
    if (this.emc2103 !== null) this.emc2103.stuck = stuck;
    for (const s of this.tempSensors) s.stuck = stuck;
  }

  /** Runs the physics in real time (for tests that drive the board through real processes); returns a stop function. */
  runRealtime(periodMs = 100): () => void {
    let last = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      this.step(now - last);
      last = now;
    }, periodMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  close(): void {
    if (this.pwmRoot !== null) rmSync(this.pwmRoot, { recursive: true, force: true });
  }

  private jitter(): number {
    if (this.noiseC === 0) return 0;
    // Sum of three uniforms: a bell-shaped spread with the given standard deviation.
    return (this.noise() + this.noise() + this.noise() - 1.5) * 2 * this.noiseC;
  }

  private refreshSensors(): void {
    const t = this.thermal;
    const die = t.dieC();
    const ambient = t.params.ambientC;
    const boardC = ambient + 0.5 * (t.sinkC - ambient);
    const p = this.board.peripherals;
    for (const def of p.asicTemp) {
      // A sensor with a +N °C offset in the board file reads N below the die, so reading + offset = die.
      const reading = die - def.offsetC + this.jitter();
      if (def.part === 'EMC2101' && this.emc2101 !== null) {
        if (def.channel === 'external') this.emc2101.setTemperatures(boardC, reading);
        else this.emc2101.setTemperatures(reading, reading);
      }
    }
    if (this.emc2103 !== null) {
      // ASIC i's diode is wired to the input its asicTemp entry names (a swapped board lists them swapped);
      // like the TMP1075s, each later chip reads a degree cooler so the readings can be told apart.
      const byChannel = { internal: boardC, external1: boardC, external2: boardC };
      p.asicTemp.forEach((def, i) => {
        if (def.part === 'EMC2103') byChannel[def.channel] = die - def.offsetC - i + this.jitter();
      });
      this.emc2103.setTemperatures(byChannel.internal, byChannel.external1, byChannel.external2);
    }
    this.tempSensors.forEach((s, i) => {
      const def = p.asicTemp.filter((d) => d.part !== 'EMC2101' && d.part !== 'EMC2103')[i];
      s.setTemperature(die - (def?.offsetC ?? 0) - i + this.jitter());
    });
    const rpm = t.fanRpm;
    this.emc2101?.setFanRpm(p.fan.part === 'EMC2101' ? rpm : 0);
    this.emc2103?.setFanRpm(p.fan.part === 'EMC2103' ? rpm : 0);
    this.emc2302?.setFanRpm(0, rpm);
    this.emc2302?.setFanRpm(1, rpm * 0.97);
    const chipW = t.lastPowerW;
    const inputV = this.board.power.nominalInputV;
    if (this.tps546 !== null) {
      const vout = this.tps546.outputV();
      this.tps546.setConditions(inputV, vout > 0 ? chipW / vout : 0, t.vrTempC());
    }
    if (this.ina260 !== null) {
      const inputW = chipW / t.params.vrEfficiency + BOARD_OVERHEAD_W;
      const busMv = inputV * 1000 - inputW * 20; // ~20 mΩ of cable and connector
      this.ina260.setMeasurement(busMv, (inputW / busMv) * 1e6);
    }
  }
}

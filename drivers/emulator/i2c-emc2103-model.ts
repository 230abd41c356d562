import {
  EMC2103_REG,
  EMC2103_RPM_NUMERATOR,
  EMC2103_TACH_STOPPED,
  EMC2103_TEMP_REGS,
  encodeEmc2103Temperature,
} from '../i2c/emc2103.js';
import type { I2cDeviceModel } from './i2c-emulated-bus.js';

/** FAN_CONFIG1 bit 7 (EN_ALGO): the chip's own RPM control runs and FAN_SETTING is read-only. */
const FAN_CONFIG1_EN_ALGO = 0x80;
/** FAN_CONFIG1 bits 6..5 (RANGE): tach multiplier 1, 2, 4, 8 for minimum 1000, 500, 250, 125 RPM. */
const RANGE_SHIFT = 5;
const TACH_BASE = EMC2103_RPM_NUMERATOR / 2;

/** Power-on register values the model relies on (EMC2103 datasheet register table). */
const DEFAULTS: ReadonlyArray<[number, number]> = [
  [EMC2103_REG.CONFIGURATION1, 0x00],
  [EMC2103_REG.PWM_CONFIG, 0x00],
  [EMC2103_REG.EXTERNAL1_IDEALITY, 0x12],
  [EMC2103_REG.EXTERNAL2_IDEALITY, 0x12],
  [EMC2103_REG.FAN_SETTING, 0x00],
  [EMC2103_REG.PWM_DIVIDE, 0x01],
  [EMC2103_REG.FAN_CONFIG1, 0x2b], // direct setting mode, range 500 RPM (multiplier 2)
  [EMC2103_REG.TACH_MSB, 0xff],
  [EMC2103_REG.TACH_LSB, 0xf8],
  [EMC2103_REG.MANUFACTURER_ID, 0x5d], // Microchip (SMSC), as on the EMC2101 and EMC2302
];

/** Registers a host may write; writes to any other register are ignored, as on the part. */
const WRITABLE = new Set<number>([
  EMC2103_REG.EXTERNAL1_IDEALITY,
  EMC2103_REG.EXTERNAL2_IDEALITY,
  EMC2103_REG.EXTERNAL1_BETA,
  EMC2103_REG.EXTERNAL2_BETA,
  EMC2103_REG.CONFIGURATION1,
  EMC2103_REG.CONFIGURATION2,
  EMC2103_REG.PWM_CONFIG,
  EMC2103_REG.PWM_BASE_FREQUENCY,
  EMC2103_REG.FAN_SETTING,
  EMC2103_REG.PWM_DIVIDE,
  EMC2103_REG.FAN_CONFIG1,
  EMC2103_REG.FAN_CONFIG2,
]);

/** Which temperature LSB each MSB latches. */
const LSB_OF_MSB = new Map<number, number>(Object.values(EMC2103_TEMP_REGS).map((r) => [r.msb, r.lsb]));

/**
 * EMC2103 register model. The physics sets the temperatures of the internal sensor and the two external
 * diodes and the fan's real RPM; the host sees them in the chip's encodings (11 bits in 1/8 °C, the word
 * 0x8000 for a faulted diode; tach count 3,932,160 × multiplier / RPM in 13 bits, full scale when the fan is
 * slower than the range). Reading a temperature MSB latches its LSB and reading the tach MSB latches the
 * tach LSB, so a host that reads MSB first gets one consistent sample. The fan drive the physics sees follows
 * FAN_SETTING (8 bits), which is read-only while the chip's own RPM algorithm is enabled.
 *
 * Faults: `stuck` freezes the temperature registers; `diodeFault[0]` / `[1]` report external diode 1 / 2 as
 * open or shorted; `diodeBiasC[0]` / `[1]` make one diode read hotter or colder than the physics says (one
 * ASIC running hotter than the other).
 */
export class Emc2103Model implements I2cDeviceModel {
  readonly part = 'EMC2103';
  readonly regs = new Uint8Array(256);
  stuck = false;
  readonly diodeFault: [boolean, boolean] = [false, false];
  readonly diodeBiasC: [number, number] = [0, 0];
  private fanRpm = 0;
  private latched: { lsb: number; value: number } | null = null;

  constructor() {
    for (const [reg, value] of DEFAULTS) this.regs[reg] = value;
  }

  /** Physics → registers: the chip's own sensor and the two external diodes (°C). */
  setTemperatures(internalC: number, external1C: number, external2C: number): void {
    if (this.stuck) return;
    this.setTemp(EMC2103_TEMP_REGS.internal, internalC, false);
    this.setTemp(EMC2103_TEMP_REGS.external1, external1C + this.diodeBiasC[0], this.diodeFault[0]);
    this.setTemp(EMC2103_TEMP_REGS.external2, external2C + this.diodeBiasC[1], this.diodeFault[1]);
  }

  private setTemp(regs: { msb: number; lsb: number }, celsius: number, fault: boolean): void {
    const e = fault ? { msb: 0x80, lsb: 0x00 } : encodeEmc2103Temperature(celsius);
    this.regs[regs.msb] = e.msb;
    this.regs[regs.lsb] = e.lsb;
  }

  setFanRpm(rpm: number): void {
    this.fanRpm = Math.max(0, rpm);
  }

  /** The PWM duty (0..1) the chip drives the fan with. */
  fanDuty(): number {
    return this.regs[EMC2103_REG.FAN_SETTING] / 255;
  }

  private tachCount(): number {
    const multiplier = 1 << ((this.regs[EMC2103_REG.FAN_CONFIG1] >> RANGE_SHIFT) & 0x03);
    if (this.fanRpm <= 0) return EMC2103_TACH_STOPPED;
    const count = Math.round((TACH_BASE * multiplier) / this.fanRpm);
    return Math.max(1, Math.min(EMC2103_TACH_STOPPED, count));
  }

  write(command: number, data: Uint8Array): void {
    // A write with no data only sets the register pointer.
    if (data.length === 0) return;
    if (!WRITABLE.has(command)) return;
    if (command === EMC2103_REG.FAN_SETTING && this.regs[EMC2103_REG.FAN_CONFIG1] & FAN_CONFIG1_EN_ALGO) return;
    this.regs[command] = data[0];
  }

  read(command: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.readRegister((command + i) & 0xff);
    return out;
  }

  private readRegister(reg: number): number {
    if (reg === EMC2103_REG.TACH_MSB) {
      const word = this.tachCount() << 3;
      this.latched = { lsb: EMC2103_REG.TACH_LSB, value: word & 0xf8 };
      return word >> 8;
    }
    if (reg === EMC2103_REG.TACH_LSB) {
      const v = this.latched?.lsb === reg ? this.latched.value : (this.tachCount() << 3) & 0xf8;
      this.latched = null;
      return v;
    }
    const lsb = LSB_OF_MSB.get(reg);
    if (lsb !== undefined) {
      this.latched = { lsb, value: this.regs[lsb] };
      return this.regs[reg];
    }
    if (this.latched?.lsb === reg) {
      const v = this.latched.value;
      this.latched = null;
      return v;
    }
    return this.regs[reg];
  }
}

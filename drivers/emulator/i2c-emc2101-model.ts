import {
  EMC2101_CONFIG_TACH_INPUT,
  EMC2101_DIODE_OPEN,
  EMC2101_DIODE_SHORT,
  EMC2101_MANUFACTURER_ID,
  EMC2101_REG,
  EMC2101_RPM_NUMERATOR,
} from '../i2c/emc2101.js';
import type { I2cDeviceModel } from './i2c-emulated-bus.js';

/** FAN_CONFIG bit 5 (PROG): the host drives the fan through FAN_SETTING; when clear, FAN_SETTING is read-only. */
const FAN_CONFIG_PROG = 0x20;
/** FAN_CONFIG bit 4 (POLARITY): inverted PWM output. */
const FAN_CONFIG_POLARITY = 0x10;

/** Power-on register values (EMC2101 datasheet register table). */
const DEFAULTS: ReadonlyArray<[number, number]> = [
  [EMC2101_REG.CONFIG, 0x00],
  [EMC2101_REG.CONVERSION_RATE, 0x08],
  [0x05, 0x46], // internal temperature limit
  [0x07, 0x46], // external temperature high limit (MSB)
  [EMC2101_REG.IDEALITY_FACTOR, 0x12],
  [EMC2101_REG.BETA_COMPENSATION, 0x08],
  [EMC2101_REG.TACH_LSB, 0xff],
  [EMC2101_REG.TACH_MSB, 0xff],
  [0x48, 0xff], // tach limit
  [0x49, 0xff],
  [EMC2101_REG.FAN_CONFIG, 0x20],
  [EMC2101_REG.FAN_SPINUP, 0x3f],
  [EMC2101_REG.FAN_SETTING, 0x00],
  [EMC2101_REG.PWM_FREQUENCY, 0x17],
  [EMC2101_REG.PWM_DIVIDER, 0x01],
  [0x4f, 0x04], // LUT hysteresis
  [EMC2101_REG.PRODUCT_ID, 0x16],
  [EMC2101_REG.MANUFACTURER_ID, EMC2101_MANUFACTURER_ID],
  [EMC2101_REG.REVISION, 0x01],
];

/** Registers a host may write; writes to any other register are ignored, as on the part. */
const WRITABLE = new Set<number>([
  EMC2101_REG.CONFIG,
  EMC2101_REG.CONVERSION_RATE,
  0x05,
  0x07,
  0x08,
  0x0c,
  0x11,
  0x12,
  0x13,
  0x14,
  0x16,
  EMC2101_REG.IDEALITY_FACTOR,
  EMC2101_REG.BETA_COMPENSATION,
  0x19,
  0x48,
  0x49,
  EMC2101_REG.FAN_CONFIG,
  EMC2101_REG.FAN_SPINUP,
  EMC2101_REG.FAN_SETTING,
  EMC2101_REG.PWM_FREQUENCY,
  EMC2101_REG.PWM_DIVIDER,
  0x4f,
  ...Array.from({ length: 16 }, (_, i) => 0x50 + i),
]);

/**
 * EMC2101 register model. The physics sets the temperatures and the fan's real RPM; the host sees them
 * through the registers in the chip's encodings (internal: whole °C; external: 11 bits in 1/8 °C with the
 * fault codes; tach: 5.4 M / RPM, and only once CONFIG selects pin 4 as tach input). Reading the external
 * MSB latches the LSB, and reading the tach LSB latches the MSB, as on the part. The fan drive the physics
 * sees follows FAN_SETTING (6-bit) and the polarity bit.
 *
 * Faults: `stuck` freezes the temperature registers at their current values; `diodeFault` reports an open
 * or shorted external diode.
 */
export class Emc2101Model implements I2cDeviceModel {
  readonly part = 'EMC2101';
  readonly regs = new Uint8Array(256);
  stuck = false;
  diodeFault: 'open' | 'short' | null = null;
  private fanRpm = 0;
  private latchedExtLsb: number | null = null;
  private latchedTachMsb: number | null = null;

  constructor() {
    for (const [reg, value] of DEFAULTS) this.regs[reg] = value;
  }

  /** Physics → registers. */
  setTemperatures(internalC: number, externalC: number): void {
    if (this.stuck) return;
    this.regs[EMC2101_REG.INTERNAL_TEMP] = Math.max(-128, Math.min(127, Math.round(internalC))) & 0xff;
    let raw: number;
    if (this.diodeFault === 'open') raw = EMC2101_DIODE_OPEN;
    else if (this.diodeFault === 'short') raw = EMC2101_DIODE_SHORT;
    else raw = Math.max(-1024, Math.min(EMC2101_DIODE_OPEN - 1, Math.round(externalC * 8))) & 0x7ff;
    this.regs[EMC2101_REG.EXTERNAL_TEMP_MSB] = (raw >> 3) & 0xff;
    this.regs[EMC2101_REG.EXTERNAL_TEMP_LSB] = (raw & 0x07) << 5;
  }

  setFanRpm(rpm: number): void {
    this.fanRpm = Math.max(0, rpm);
  }

  /** The PWM duty (0..1) the chip drives the fan with. */
  fanDuty(): number {
    const duty = (this.regs[EMC2101_REG.FAN_SETTING] & 0x3f) / 63;
    return this.regs[EMC2101_REG.FAN_CONFIG] & FAN_CONFIG_POLARITY ? 1 - duty : duty;
  }

  private tachCount(): number {
    if (!(this.regs[EMC2101_REG.CONFIG] & EMC2101_CONFIG_TACH_INPUT)) return 0xffff;
    if (this.fanRpm < 83) return 0xffff;
    return Math.min(0xfffe, Math.round(EMC2101_RPM_NUMERATOR / this.fanRpm));
  }

  write(command: number, data: Uint8Array): void {
    // A write with no data only sets the register pointer; the chip does not auto-increment on writes.
    if (data.length === 0) return;
    if (!WRITABLE.has(command)) return;
    if (command === EMC2101_REG.FAN_SETTING && !(this.regs[EMC2101_REG.FAN_CONFIG] & FAN_CONFIG_PROG)) return;
    this.regs[command] = command === EMC2101_REG.FAN_SETTING ? data[0] & 0x3f : data[0];
  }

  read(command: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.readRegister((command + i) & 0xff);
    return out;
  }

  private readRegister(reg: number): number {
    switch (reg) {
      case EMC2101_REG.EXTERNAL_TEMP_MSB:
        this.latchedExtLsb = this.regs[EMC2101_REG.EXTERNAL_TEMP_LSB];
        return this.regs[reg];
      case EMC2101_REG.EXTERNAL_TEMP_LSB: {
        const v = this.latchedExtLsb ?? this.regs[reg];
        this.latchedExtLsb = null;
        return v;
      }
      case EMC2101_REG.TACH_LSB: {
        const count = this.tachCount();
        this.latchedTachMsb = count >> 8;
        return count & 0xff;
      }
      case EMC2101_REG.TACH_MSB: {
        const v = this.latchedTachMsb ?? this.tachCount() >> 8;
        this.latchedTachMsb = null;
        return v;
      }
      default:
        return this.regs[reg];
    }
  }
}

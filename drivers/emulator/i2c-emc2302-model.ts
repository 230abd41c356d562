import { EMC2302_MANUFACTURER_ID, EMC2302_REG, EMC2302_RPM_NUMERATOR } from '../i2c/emc2302.js';
import type { I2cDeviceModel } from './i2c-emulated-bus.js';

/** CONFIG1 bits 6..5 → tach multiplier (datasheet: 500/1000/2000/4000 RPM minimum ranges). */
const RANGE_MULTIPLIER = [1, 2, 4, 8];

/**
 * EMC2302 register model: two fan settings (8-bit PWM), CONFIG1 with the tach range, and 13-bit tach counts
 * (count = 3,932,160 × multiplier / RPM; high register = count bits 12..5, low register bits 7..3 = bits
 * 4..0). A stopped fan reads 0xFF 0xF8. Registers are byte-wide and auto-increment on reads.
 */
export class Emc2302Model implements I2cDeviceModel {
  readonly part = 'EMC2302';
  readonly regs = new Uint8Array(256);
  private readonly rpm = [0, 0];

  constructor() {
    this.regs[EMC2302_REG.FAN1_CONFIG1] = 0x2b;
    this.regs[EMC2302_REG.FAN2_CONFIG1] = 0x2b;
    this.regs[EMC2302_REG.PRODUCT_ID] = 0x36;
    this.regs[EMC2302_REG.MANUFACTURER_ID] = EMC2302_MANUFACTURER_ID;
    this.regs[0xff] = 0x80;
  }

  setFanRpm(fan: 0 | 1, rpm: number): void {
    this.rpm[fan] = Math.max(0, rpm);
  }

  /** PWM duty (0..1) of a fan output. */
  fanDuty(fan: 0 | 1): number {
    return this.regs[fan === 0 ? EMC2302_REG.FAN1_SETTING : EMC2302_REG.FAN2_SETTING] / 255;
  }

  private tach(fan: 0 | 1): [number, number] {
    const config = this.regs[fan === 0 ? EMC2302_REG.FAN1_CONFIG1 : EMC2302_REG.FAN2_CONFIG1];
    const multiplier = RANGE_MULTIPLIER[(config >> 5) & 3];
    const count =
      this.rpm[fan] < 1 ? 0x1fff : Math.min(0x1fff, Math.round((EMC2302_RPM_NUMERATOR * multiplier) / this.rpm[fan]));
    return [(count >> 5) & 0xff, (count & 0x1f) << 3];
  }

  write(command: number, data: Uint8Array): void {
    const writable = [
      EMC2302_REG.FAN1_SETTING,
      EMC2302_REG.FAN1_CONFIG1,
      EMC2302_REG.FAN2_SETTING,
      EMC2302_REG.FAN2_CONFIG1,
    ];
    if (data.length > 0 && (writable as number[]).includes(command)) this.regs[command] = data[0];
  }

  read(command: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const t1 = this.tach(0);
    const t2 = this.tach(1);
    for (let i = 0; i < length; i++) {
      const reg = (command + i) & 0xff;
      if (reg === EMC2302_REG.FAN1_TACH_HIGH) out[i] = t1[0];
      else if (reg === EMC2302_REG.FAN1_TACH_LOW) out[i] = t1[1];
      else if (reg === EMC2302_REG.FAN2_TACH_HIGH) out[i] = t2[0];
      else if (reg === EMC2302_REG.FAN2_TACH_LOW) out[i] = t2[1];
      else out[i] = this.regs[reg];
    }
    return out;
  }
}

import { DeviceFaultError } from './device-error.js';
import { hex2, type I2CBus } from './i2c-bus.js';

/**
 * Microchip EMC2302 two-channel PWM fan controller (Bitaxe Hex / SupraHex). Both fans get the same
 * setting; tach counts are 13 bits across two registers. Restated from ESP-Miner main/thermal/EMC2302.c.
 */
export const EMC2302_ADDRESS = 0x2f;

export const EMC2302_REG = {
  FAN1_SETTING: 0x30,
  FAN1_CONFIG1: 0x32,
  FAN1_TACH_HIGH: 0x3e,
  FAN1_TACH_LOW: 0x3f,
  FAN2_SETTING: 0x40,
  FAN2_CONFIG1: 0x42,
  FAN2_TACH_HIGH: 0x4e,
  FAN2_TACH_LOW: 0x4f,
  PRODUCT_ID: 0xfd,
  MANUFACTURER_ID: 0xfe,
} as const;

export const EMC2302_MANUFACTURER_ID = 0x5d;
/** CONFIG1 bits 6..5 (RNG): tach range; 00 = "500 RPM minimum", tach multiplier 1. */
const RANGE_MASK = 0x60;
/** RPM = 3,932,160 × multiplier / count (multiplier 1 at the 500 RPM range). */
export const EMC2302_RPM_NUMERATOR = 3_932_160;

/** Fan percent → 8-bit setting, floor(255 × p / 100). */
export function emc2302FanSetting(percent: number): number {
  const p = Math.min(100, Math.max(0, percent));
  return Math.floor((255 * p) / 100 + 1e-9);
}

/** Tach register pair → RPM; a high byte of 0xFF means no pulses (stopped) and reads 0. */
export function emc2302Rpm(high: number, low: number): number {
  if ((high & 0xff) === 0xff) return 0;
  const count = ((high & 0xff) << 5) | ((low & 0xff) >> 3);
  return count === 0 ? 0 : Math.floor(EMC2302_RPM_NUMERATOR / count);
}

export class Emc2302 {
  /** A Buffer (a Uint8Array) so i2c-bus's own promisified bus can be handed to this driver as is. */
  private readonly buf = Buffer.alloc(2);

  constructor(
    private readonly bus: I2CBus,
    readonly address: number = EMC2302_ADDRESS,
    readonly fans: 1 | 2 = 2,
  ) {}

  async init(): Promise<void> {
    const maker = await this.bus.readByte(this.address, EMC2302_REG.MANUFACTURER_ID);
    if (maker !== EMC2302_MANUFACTURER_ID) {
      throw new DeviceFaultError(
        'EMC2302',
        this.address,
        `not an EMC230x (manufacturer 0x${hex2(maker)}); check the address`,
      );
    }
    for (const reg of this.configRegisters()) {
      const value = await this.bus.readByte(this.address, reg);
      await this.bus.writeByte(this.address, reg, value & ~RANGE_MASK);
    }
  }

  async setFanPercent(percent: number): Promise<void> {
    const setting = emc2302FanSetting(percent);
    await this.bus.writeByte(this.address, EMC2302_REG.FAN1_SETTING, setting);
    if (this.fans === 2) await this.bus.writeByte(this.address, EMC2302_REG.FAN2_SETTING, setting);
  }

  /** RPM of each fan. */
  async readFanRpm(): Promise<number[]> {
    const out: number[] = [];
    for (const reg of this.fans === 2
      ? [EMC2302_REG.FAN1_TACH_HIGH, EMC2302_REG.FAN2_TACH_HIGH]
      : [EMC2302_REG.FAN1_TACH_HIGH]) {
      await this.bus.readI2cBlock(this.address, reg, 2, this.buf);
      out.push(emc2302Rpm(this.buf[0], this.buf[1]));
    }
    return out;
  }

  private configRegisters(): number[] {
    return this.fans === 2 ? [EMC2302_REG.FAN1_CONFIG1, EMC2302_REG.FAN2_CONFIG1] : [EMC2302_REG.FAN1_CONFIG1];
  }
}

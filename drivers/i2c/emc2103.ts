import type { Emc2103Channel } from '../../src/config/board.js';
import { DeviceFaultError } from './device-error.js';
import type { I2CBus } from './i2c-bus.js';

/**
 * Microchip EMC2103 fan controller and temperature monitor, as the Bitaxe Gamma Turbo uses it: one PWM fan in
 * direct setting mode with its tachometer, and the two ASICs' die diodes on external channels 1 and 2.
 * Register map and formulas: EMC2103 datasheet as cited by ESP-Miner main/thermal/EMC2103.h/.c
 * (bitaxe-boards.md §5.2).
 */
export const EMC2103_ADDRESS = 0x2e;

export const EMC2103_REG = {
  INTERNAL_TEMP_MSB: 0x00,
  INTERNAL_TEMP_LSB: 0x01,
  EXTERNAL1_TEMP_MSB: 0x02,
  EXTERNAL1_TEMP_LSB: 0x03,
  EXTERNAL2_TEMP_MSB: 0x04,
  EXTERNAL2_TEMP_LSB: 0x05,
  EXTERNAL1_IDEALITY: 0x11,
  EXTERNAL2_IDEALITY: 0x12,
  EXTERNAL1_BETA: 0x14,
  EXTERNAL2_BETA: 0x15,
  CONFIGURATION1: 0x20,
  CONFIGURATION2: 0x21,
  PWM_CONFIG: 0x2a,
  PWM_BASE_FREQUENCY: 0x2b,
  FAN_SETTING: 0x40,
  PWM_DIVIDE: 0x41,
  FAN_CONFIG1: 0x42,
  FAN_CONFIG2: 0x43,
  TACH_MSB: 0x4e,
  TACH_LSB: 0x4f,
  PRODUCT_ID: 0xfd,
  MANUFACTURER_ID: 0xfe,
  REVISION: 0xff,
} as const;

/** The temperature registers (MSB, LSB) of each input. */
export const EMC2103_TEMP_REGS: Readonly<Record<Emc2103Channel, { msb: number; lsb: number }>> = {
  internal: { msb: EMC2103_REG.INTERNAL_TEMP_MSB, lsb: EMC2103_REG.INTERNAL_TEMP_LSB },
  external1: { msb: EMC2103_REG.EXTERNAL1_TEMP_MSB, lsb: EMC2103_REG.EXTERNAL1_TEMP_LSB },
  external2: { msb: EMC2103_REG.EXTERNAL2_TEMP_MSB, lsb: EMC2103_REG.EXTERNAL2_TEMP_LSB },
};

/** Full scale of the 8-bit fan setting. */
export const EMC2103_FAN_SETTING_MAX = 255;
/**
 * RPM = 7,864,320 / tach count: 3,932,160 × the tach multiplier 2 of the power-on range (500 RPM minimum),
 * which ESP-Miner leaves as it is.
 */
export const EMC2103_RPM_NUMERATOR = 7_864_320;
/** The 13-bit tach count's full scale: the fan is stopped or slower than the range can measure. */
export const EMC2103_TACH_STOPPED = 0x1fff;
/** The temperature word (MSB:LSB) the chip reports for an open or shorted diode. */
export const EMC2103_DIODE_FAULT = 0x8000;

/** Fan percent (0..100) → the fan setting register, floor(255 × p / 100). */
export function emc2103FanSetting(percent: number): number {
  const p = Math.min(100, Math.max(0, percent));
  return Math.floor((EMC2103_FAN_SETTING_MAX * p) / 100 + 1e-9);
}

/** The fan setting register → percent (what was commanded, rounded to one decimal). */
export function emc2103FanPercent(setting: number): number {
  return Math.round(((setting & 0xff) * 1000) / EMC2103_FAN_SETTING_MAX) / 10;
}

/** Tach registers → the 13-bit count: MSB holds count bits 12..5, LSB bits 4..0 in its top five bits. */
export function emc2103TachCount(msb: number, lsb: number): number {
  return (((msb & 0xff) << 8) | (lsb & 0xf8)) >> 3;
}

/**
 * Tach registers → RPM, 7,864,320 / count. A full-scale count (no pulses: stopped, stalled or no fan) reads
 * as 0 RPM; ESP-Miner would convert it to 960 RPM, which a stall check would take for a spinning fan.
 */
export function emc2103Rpm(msb: number, lsb: number): number {
  const count = emc2103TachCount(msb, lsb);
  if (count === 0 || count === EMC2103_TACH_STOPPED) return 0;
  return Math.floor(EMC2103_RPM_NUMERATOR / count);
}

export type Emc2103Temperature = { kind: 'temp'; tempC: number } | { kind: 'fault' };

/**
 * Temperature registers → °C: an 11-bit two's complement value in MSB:LSB[7:5], in 1/8 °C. The word 0x8000
 * (which would otherwise read −128 °C) is the chip's diode-fault code, never a temperature.
 */
export function decodeEmc2103Temperature(msb: number, lsb: number): Emc2103Temperature {
  const word = ((msb & 0xff) << 8) | (lsb & 0xff);
  if (word === EMC2103_DIODE_FAULT) return { kind: 'fault' };
  const raw = (word & 0xffe0) >> 5;
  const signed = raw & 0x400 ? raw - 0x800 : raw;
  return { kind: 'temp', tempC: signed / 8 };
}

/** °C → the temperature registers (MSB, LSB), rounded to 1/8 °C and clamped to the 11-bit range. */
export function encodeEmc2103Temperature(celsius: number): { msb: number; lsb: number } {
  // −128 °C itself is the fault code; the lowest temperature the chip reports is one step above it.
  const raw = Math.max(-1023, Math.min(1023, Math.round(celsius * 8))) & 0x7ff;
  const word = raw << 5;
  return { msb: (word >> 8) & 0xff, lsb: word & 0xff };
}

export class Emc2103 {
  constructor(
    private readonly bus: I2CBus,
    readonly address: number = EMC2103_ADDRESS,
  ) {}

  /**
   * The Bitaxe setup, as ESP-Miner writes it: CONFIGURATION1 and PWM_CONFIG cleared (conversions running,
   * alerts unmasked, normal PWM output). The fan stays in direct setting mode (the power-on default), so
   * FAN_SETTING drives it. ESP-Miner checks no identity here, and neither does this driver: a missing part
   * NACKs.
   */
  async init(): Promise<void> {
    await this.bus.writeByte(this.address, EMC2103_REG.CONFIGURATION1, 0x00);
    await this.bus.writeByte(this.address, EMC2103_REG.PWM_CONFIG, 0x00);
  }

  async setFanPercent(percent: number): Promise<void> {
    await this.bus.writeByte(this.address, EMC2103_REG.FAN_SETTING, emc2103FanSetting(percent));
  }

  /** The fan setting the chip holds now, as percent. */
  async readFanPercent(): Promise<number> {
    return emc2103FanPercent(await this.bus.readByte(this.address, EMC2103_REG.FAN_SETTING));
  }

  async readFanRpm(): Promise<number> {
    // MSB first: reading it latches the LSB, so the two halves belong to one count.
    const msb = await this.bus.readByte(this.address, EMC2103_REG.TACH_MSB);
    const lsb = await this.bus.readByte(this.address, EMC2103_REG.TACH_LSB);
    return emc2103Rpm(msb, lsb);
  }

  /** One input's temperature, °C; a diode fault throws DeviceFaultError naming the input. */
  async readTempC(channel: Emc2103Channel): Promise<number> {
    const regs = EMC2103_TEMP_REGS[channel];
    // MSB first: reading it latches the LSB.
    const msb = await this.bus.readByte(this.address, regs.msb);
    const lsb = await this.bus.readByte(this.address, regs.lsb);
    const reading = decodeEmc2103Temperature(msb, lsb);
    if (reading.kind === 'fault') {
      throw new DeviceFaultError('EMC2103', this.address, `${channelName(channel)} fault (open or short circuit)`);
    }
    return reading.tempC;
  }
}

function channelName(channel: Emc2103Channel): string {
  return channel === 'internal' ? 'internal sensor' : `external diode ${channel.slice(-1)}`;
}

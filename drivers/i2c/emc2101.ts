import { DeviceFaultError } from './device-error.js';
import { hex2, type I2CBus } from './i2c-bus.js';

/**
 * Microchip EMC2101 fan controller and temperature monitor, as Bitaxe boards use it: PWM fan in direct
 * setting mode, tachometer on pin 4, the ASIC die diode on the external channel (or the chip's own sensor
 * on boards where the diode is not wired). Register map: EMC2101 datasheet as cited by ESP-Miner
 * main/thermal/EMC2101.h and mujina peripheral/emc2101.rs.
 */
export const EMC2101_ADDRESS = 0x4c;

export const EMC2101_REG = {
  INTERNAL_TEMP: 0x00,
  EXTERNAL_TEMP_MSB: 0x01,
  STATUS: 0x02,
  CONFIG: 0x03,
  CONVERSION_RATE: 0x04,
  EXTERNAL_TEMP_LSB: 0x10,
  IDEALITY_FACTOR: 0x17,
  BETA_COMPENSATION: 0x18,
  TACH_LSB: 0x46,
  TACH_MSB: 0x47,
  FAN_CONFIG: 0x4a,
  FAN_SPINUP: 0x4b,
  FAN_SETTING: 0x4c,
  PWM_FREQUENCY: 0x4d,
  PWM_DIVIDER: 0x4e,
  PRODUCT_ID: 0xfd,
  MANUFACTURER_ID: 0xfe,
  REVISION: 0xff,
} as const;

/** CONFIG bit 2 (ALT_TCH): pin 4 is the tachometer input instead of the ALERT output. */
export const EMC2101_CONFIG_TACH_INPUT = 0x04;
/**
 * FAN_CONFIG as ESP-Miner and mujina write it: bit 5 (PROG) lets the host drive the fan through the fan
 * setting register instead of the lookup table; bits 1..0 select the tach minimum-count mode. ESP-Miner's
 * comment describes other bits than this value sets; the value is what runs on Bitaxes.
 */
export const EMC2101_FAN_CONFIG_DIRECT = 0x23;
export const EMC2101_PRODUCT_IDS = [0x16, 0x28] as const;
export const EMC2101_MANUFACTURER_ID = 0x5d;
/** Full scale of the 6-bit fan setting. */
export const EMC2101_FAN_SETTING_MAX = 63;
/** RPM = 5,400,000 / tach count (fixed by the chip's tach clock). */
export const EMC2101_RPM_NUMERATOR = 5_400_000;
/** External-diode readings (11-bit) that mean a fault, not a temperature. */
export const EMC2101_DIODE_OPEN = 0x3f8;
export const EMC2101_DIODE_SHORT = 0x3ff;

/** Fan percent (0..100) → the 6-bit fan setting register value, floor(63 × p / 100). */
export function emc2101FanSetting(percent: number): number {
  const p = Math.min(100, Math.max(0, percent));
  return Math.floor((EMC2101_FAN_SETTING_MAX * p) / 100 + 1e-9);
}

/** The fan setting register → percent (what was commanded, rounded to one decimal). */
export function emc2101FanPercent(setting: number): number {
  return Math.round(((setting & 0x3f) * 1000) / EMC2101_FAN_SETTING_MAX) / 10;
}

/**
 * Tach count (MSB, LSB) → RPM. A count of 0xFFFF (no pulses: stopped or no fan) reads as 0, and so does the
 * 82 RPM that 0xFFFF would otherwise convert to.
 */
export function emc2101Rpm(msb: number, lsb: number): number {
  const count = ((msb & 0xff) << 8) | (lsb & 0xff);
  if (count === 0 || count === 0xffff) return 0;
  const rpm = Math.floor(EMC2101_RPM_NUMERATOR / count);
  return rpm === 82 ? 0 : rpm;
}

export type Emc2101External = { kind: 'temp'; tempC: number } | { kind: 'fault'; fault: 'open' | 'short' };

/** External diode registers → °C in 1/8 steps (an 11-bit two's complement value in MSB:LSB[7:5]). */
export function decodeEmc2101External(msb: number, lsb: number): Emc2101External {
  const raw = (((msb & 0xff) << 8) | (lsb & 0xe0)) >> 5;
  if (raw === EMC2101_DIODE_OPEN) return { kind: 'fault', fault: 'open' };
  if (raw === EMC2101_DIODE_SHORT) return { kind: 'fault', fault: 'short' };
  const signed = raw & 0x400 ? raw - 0x800 : raw;
  return { kind: 'temp', tempC: signed / 8 };
}

/** Internal sensor register → °C (signed whole degrees). */
export function decodeEmc2101Internal(byte: number): number {
  return byte & 0x80 ? (byte & 0xff) - 0x100 : byte & 0xff;
}

export interface Emc2101Setup {
  /** Register 0x17 value (Gamma boards write 0x24, ideality 1.0319), or null to keep the chip's default. */
  idealityFactor?: number | null;
  /** Register 0x18 value (Gamma boards write 0x00), or null to keep the default. */
  betaCompensation?: number | null;
}

export class Emc2101 {
  constructor(
    private readonly bus: I2CBus,
    readonly address: number = EMC2101_ADDRESS,
  ) {}

  /** Checks the part's identity, then applies the Bitaxe setup (tach input, direct fan drive, diode tuning). */
  async init(setup: Emc2101Setup = {}): Promise<void> {
    const product = await this.bus.readByte(this.address, EMC2101_REG.PRODUCT_ID);
    const maker = await this.bus.readByte(this.address, EMC2101_REG.MANUFACTURER_ID);
    if (maker !== EMC2101_MANUFACTURER_ID || !(EMC2101_PRODUCT_IDS as readonly number[]).includes(product)) {
      throw new DeviceFaultError(
        'EMC2101',
        this.address,
        `not an EMC2101 (manufacturer 0x${hex2(maker)}, product 0x${hex2(product)}); check the board file's address`,
      );
    }
    // The whole register, as ESP-Miner writes it: a read-modify-write would keep a STANDBY bit (6) left set
    // by someone else, and a chip in standby stops converting (frozen temperatures).
    await this.bus.writeByte(this.address, EMC2101_REG.CONFIG, EMC2101_CONFIG_TACH_INPUT);
    await this.bus.writeByte(this.address, EMC2101_REG.FAN_CONFIG, EMC2101_FAN_CONFIG_DIRECT);
    if (setup.idealityFactor != null) {
      await this.bus.writeByte(this.address, EMC2101_REG.IDEALITY_FACTOR, setup.idealityFactor);
    }
    if (setup.betaCompensation != null) {
      await this.bus.writeByte(this.address, EMC2101_REG.BETA_COMPENSATION, setup.betaCompensation);
    }
  }

  async setFanPercent(percent: number): Promise<void> {
    await this.bus.writeByte(this.address, EMC2101_REG.FAN_SETTING, emc2101FanSetting(percent));
  }

  /** The fan setting the chip holds now, as percent. */
  async readFanPercent(): Promise<number> {
    return emc2101FanPercent(await this.bus.readByte(this.address, EMC2101_REG.FAN_SETTING));
  }

  async readFanRpm(): Promise<number> {
    // LSB first: reading it latches the MSB, so the two halves belong to one count.
    const lsb = await this.bus.readByte(this.address, EMC2101_REG.TACH_LSB);
    const msb = await this.bus.readByte(this.address, EMC2101_REG.TACH_MSB);
    return emc2101Rpm(msb, lsb);
  }

  /** The external diode (the ASIC die on most Bitaxes), °C; a diode fault throws DeviceFaultError. */
  async readExternalTempC(): Promise<number> {
    // MSB first: reading it latches the LSB.
    const msb = await this.bus.readByte(this.address, EMC2101_REG.EXTERNAL_TEMP_MSB);
    const lsb = await this.bus.readByte(this.address, EMC2101_REG.EXTERNAL_TEMP_LSB);
    const reading = decodeEmc2101External(msb, lsb);
    if (reading.kind === 'fault') {
      throw new DeviceFaultError(
        'EMC2101',
        this.address,
        `external diode ${reading.fault === 'open' ? 'open circuit' : 'short circuit'}`,
      );
    }
    return reading.tempC;
  }

  async readInternalTempC(): Promise<number> {
    return decodeEmc2101Internal(await this.bus.readByte(this.address, EMC2101_REG.INTERNAL_TEMP));
  }
}

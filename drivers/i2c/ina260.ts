import { DeviceFaultError } from './device-error.js';
import { hex2, type I2CBus } from './i2c-bus.js';

/**
 * TI INA260 power monitor (integrated 2 mΩ shunt) on the board's input: bus voltage, current, power.
 * 16-bit registers, big-endian on the wire; no configuration is written (power-on defaults: continuous
 * shunt and bus conversion), as on Bitaxe boards (ESP-Miner main/power/INA260.c).
 */
export const INA260_ADDRESS = 0x40;

export const INA260_REG = {
  CONFIG: 0x00,
  CURRENT: 0x01,
  BUS_VOLTAGE: 0x02,
  POWER: 0x03,
  MASK_ENABLE: 0x06,
  ALERT_LIMIT: 0x07,
  MANUFACTURER_ID: 0xfe,
  DIE_ID: 0xff,
} as const;

/** "TI" in ASCII. */
export const INA260_MANUFACTURER_ID = 0x5449;
export const INA260_CURRENT_LSB_MA = 1.25;
export const INA260_VOLTAGE_LSB_MV = 1.25;
export const INA260_POWER_LSB_MW = 10;

/**
 * Current register → mA. The register is two's complement; ESP-Miner reads it unsigned, which turns a
 * small reverse current into ~80 A. Signed is what the part means.
 */
export function ina260CurrentMa(word: number): number {
  const signed = word & 0x8000 ? word - 0x10000 : word;
  return signed * INA260_CURRENT_LSB_MA;
}

export function ina260BusVoltageMv(word: number): number {
  return (word & 0xffff) * INA260_VOLTAGE_LSB_MV;
}

export function ina260PowerMw(word: number): number {
  return (word & 0xffff) * INA260_POWER_LSB_MW;
}

export interface Ina260Reading {
  busVoltageMv: number;
  currentMa: number;
  powerW: number;
}

export class Ina260 {
  /** A Buffer (a Uint8Array) so i2c-bus's own promisified bus can be handed to this driver as is. */
  private readonly buf = Buffer.alloc(2);

  constructor(
    private readonly bus: I2CBus,
    readonly address: number = INA260_ADDRESS,
  ) {}

  async init(): Promise<void> {
    const maker = await this.readRegister(INA260_REG.MANUFACTURER_ID);
    if (maker !== INA260_MANUFACTURER_ID) {
      throw new DeviceFaultError(
        'INA260',
        this.address,
        `not an INA260 (manufacturer id 0x${maker.toString(16)}); check the address`,
      );
    }
  }

  async readRegister(register: number): Promise<number> {
    await this.bus.readI2cBlock(this.address, register, 2, this.buf);
    return (this.buf[0] << 8) | this.buf[1];
  }

  async read(): Promise<Ina260Reading> {
    const current = await this.readRegister(INA260_REG.CURRENT);
    const voltage = await this.readRegister(INA260_REG.BUS_VOLTAGE);
    const power = await this.readRegister(INA260_REG.POWER);
    return {
      busVoltageMv: ina260BusVoltageMv(voltage),
      currentMa: ina260CurrentMa(current),
      powerW: ina260PowerMw(power) / 1000,
    };
  }

  toString(): string {
    return `INA260 at 0x${hex2(this.address)}`;
  }
}

import {
  INA260_CURRENT_LSB_MA,
  INA260_MANUFACTURER_ID,
  INA260_POWER_LSB_MW,
  INA260_REG,
  INA260_VOLTAGE_LSB_MV,
} from '../i2c/ina260.js';
import { type I2cDeviceModel, I2cModelNack } from './i2c-emulated-bus.js';

const CONFIG_DEFAULT = 0x6127;
const CONFIG_RESET = 0x8000;
const DIE_ID = 0x2270;

/**
 * INA260 register model: 16-bit registers, big-endian, selected by the pointer byte of each transfer. The
 * physics sets bus voltage and current; the power register follows as |I| × V in 10 mW steps, as the part
 * computes it. Unknown pointers NACK.
 */
export class Ina260Model implements I2cDeviceModel {
  readonly part = 'INA260';
  private readonly regs = new Map<number, number>();

  constructor() {
    this.reset();
  }

  private reset(): void {
    this.regs.set(INA260_REG.CONFIG, CONFIG_DEFAULT);
    this.regs.set(INA260_REG.CURRENT, 0);
    this.regs.set(INA260_REG.BUS_VOLTAGE, 0);
    this.regs.set(INA260_REG.POWER, 0);
    this.regs.set(INA260_REG.MASK_ENABLE, 0);
    this.regs.set(INA260_REG.ALERT_LIMIT, 0);
    this.regs.set(INA260_REG.MANUFACTURER_ID, INA260_MANUFACTURER_ID);
    this.regs.set(INA260_REG.DIE_ID, DIE_ID);
  }

  /** Physics → registers (mV on the bus, mA through the shunt). */
  setMeasurement(busMv: number, currentMa: number): void {
    const current = Math.max(-32768, Math.min(32767, Math.round(currentMa / INA260_CURRENT_LSB_MA)));
    const bus = Math.max(0, Math.min(0xffff, Math.round(busMv / INA260_VOLTAGE_LSB_MV)));
    const powerMw = (Math.abs(current) * INA260_CURRENT_LSB_MA * bus * INA260_VOLTAGE_LSB_MV) / 1000;
    this.regs.set(INA260_REG.CURRENT, current & 0xffff);
    this.regs.set(INA260_REG.BUS_VOLTAGE, bus);
    this.regs.set(INA260_REG.POWER, Math.min(0xffff, Math.round(powerMw / INA260_POWER_LSB_MW)));
  }

  write(command: number, data: Uint8Array): void {
    if (!this.regs.has(command)) throw new I2cModelNack(`INA260 has no register 0x${command.toString(16)}`);
    if (data.length < 2) return; // pointer-only write
    const word = (data[0] << 8) | data[1];
    if (command === INA260_REG.CONFIG) {
      if (word & CONFIG_RESET) this.reset();
      else this.regs.set(command, word);
    } else if (command === INA260_REG.MASK_ENABLE || command === INA260_REG.ALERT_LIMIT) {
      this.regs.set(command, word);
    }
  }

  read(command: number, length: number): Uint8Array {
    const value = this.regs.get(command);
    if (value === undefined) throw new I2cModelNack(`INA260 has no register 0x${command.toString(16)}`);
    const out = new Uint8Array(length).fill(0xff);
    if (length > 0) out[0] = value >> 8;
    if (length > 1) out[1] = value & 0xff;
    return out;
  }
}

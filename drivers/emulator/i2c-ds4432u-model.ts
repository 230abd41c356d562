import { DS4432U_REG, ds4432uVoltageMv } from '../i2c/ds4432u.js';
import { type I2cDeviceModel, I2cModelNack } from './i2c-emulated-bus.js';

/**
 * DS4432U model: two one-byte current registers (0xF8 OUT0, 0xF9 OUT1), zero at power-on. The core buck's
 * output follows OUT0 through the Bitaxe's feedback network (the inverse of the driver's transfer function),
 * so a code of 0 gives the buck's nominal ~1.46 V, exactly as on the board.
 */
export class Ds4432uModel implements I2cDeviceModel {
  readonly part = 'DS4432U';
  readonly regs = new Map<number, number>([
    [DS4432U_REG.OUT0, 0],
    [DS4432U_REG.OUT1, 0],
  ]);

  /** The buck's output voltage (mV) for the current OUT0 code, when the buck is enabled. */
  outputMv(): number {
    return ds4432uVoltageMv(this.regs.get(DS4432U_REG.OUT0) ?? 0);
  }

  write(command: number, data: Uint8Array): void {
    if (!this.regs.has(command)) throw new I2cModelNack(`DS4432U has no register 0x${command.toString(16)}`);
    if (data.length > 0) this.regs.set(command, data[0]);
  }

  read(command: number, length: number): Uint8Array {
    const value = this.regs.get(command);
    if (value === undefined) throw new I2cModelNack(`DS4432U has no register 0x${command.toString(16)}`);
    const out = new Uint8Array(length);
    out[0] = value;
    return out;
  }
}

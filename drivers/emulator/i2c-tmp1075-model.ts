import { TMP1075_REG } from '../i2c/tmp1075.js';
import type { I2cDeviceModel } from './i2c-emulated-bus.js';

/**
 * TMP1075 / LM75-compatible sensor model: temperature at pointer 0x00 as a 12-bit value left-aligned in a
 * big-endian word (1/16 °C), configuration at 0x01. `stuck` freezes the reading.
 */
export class Tmp1075Model implements I2cDeviceModel {
  readonly part: string;
  stuck = false;
  private tempWord = 0;
  private config = 0x00ff;

  constructor(part: 'TMP1075' | 'LM75' = 'TMP1075') {
    this.part = part;
  }

  setTemperature(tempC: number): void {
    if (this.stuck) return;
    const sixteenths = Math.max(-2048, Math.min(2047, Math.round(tempC * 16)));
    this.tempWord = (sixteenths << 4) & 0xffff;
  }

  write(command: number, data: Uint8Array): void {
    if (command === TMP1075_REG.CONFIG && data.length >= 1)
      this.config = (data[0] << 8) | (data[1] ?? this.config & 0xff);
  }

  read(command: number, length: number): Uint8Array {
    const word = command === TMP1075_REG.CONFIG ? this.config : command === TMP1075_REG.TEMPERATURE ? this.tempWord : 0;
    const out = new Uint8Array(length);
    if (length > 0) out[0] = word >> 8;
    if (length > 1) out[1] = word & 0xff;
    return out;
  }
}

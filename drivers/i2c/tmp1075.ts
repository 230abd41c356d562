import type { I2CBus } from './i2c-bus.js';

/**
 * TI TMP1075 (and LM75-compatible sensors such as the PiAxe's): temperature register 0x00, two bytes
 * big-endian, a 12-bit two's complement value in the top bits, 1/16 °C per step. The Hex reads two of them
 * at 0x4A/0x4B (ESP-Miner main/thermal/TMP1075.c); the PiAxe one at 0x48 (piaxe-miner).
 */
export const TMP1075_REG = { TEMPERATURE: 0x00, CONFIG: 0x01 } as const;

/** Temperature register bytes → °C. */
export function decodeTmp1075(msb: number, lsb: number): number {
  const word = ((msb & 0xff) << 8) | (lsb & 0xff);
  const signed = word & 0x8000 ? word - 0x10000 : word;
  return (signed >> 4) * 0.0625;
}

export class Tmp1075 {
  /** A Buffer (a Uint8Array) so i2c-bus's own promisified bus can be handed to this driver as is. */
  private readonly buf = Buffer.alloc(2);

  constructor(
    private readonly bus: I2CBus,
    readonly address: number,
    readonly part: 'TMP1075' | 'LM75' = 'TMP1075',
  ) {}

  async readTempC(): Promise<number> {
    await this.bus.readI2cBlock(this.address, TMP1075_REG.TEMPERATURE, 2, this.buf);
    return decodeTmp1075(this.buf[0], this.buf[1]);
  }
}

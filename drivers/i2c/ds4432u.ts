import { DeviceFaultError } from './device-error.js';
import type { I2CBus } from './i2c-bus.js';

/**
 * Maxim DS4432U+ current DAC trimming the feedback node of the Bitaxe's TPS40305 core buck.
 *
 * The buck regulates its FB pin to 0.6 V through a divider RA (output to FB) and RB (FB to ground); the DAC
 * sinks or sources a current I at FB, which moves the output: Vout = VFB + RA × (VFB/RB − I). Sourcing
 * (sign bit set) raises FB and so lowers Vout. Code = sign bit + 7-bit magnitude, magnitude = |I| / IFS × 127.
 * Constants from ESP-Miner main/power/DS4432U.c (R14/R15 on the Bitaxe, full-scale current from Rfs).
 */
export const DS4432U_ADDRESS = 0x48;
export const DS4432U_REG = { OUT0: 0xf8, OUT1: 0xf9 } as const;

const VFB_V = 0.6;
const RA_OHM = 4750;
const RB_OHM = 3320;
const IFS_A = 0.000098921;
/** ESP-Miner's "nominal" output with the DAC at zero; below it the sign bit is set. */
const VNOM_V = 1.451;
const SIGN_BIT = 0x80;

/** Output range the 7-bit magnitude can reach (mV), about 989..1928 with the Bitaxe's resistors. */
export const DS4432U_RANGE_MV = {
  min: Math.ceil((VFB_V + RA_OHM * (VFB_V / RB_OHM - IFS_A)) * 1000),
  max: Math.floor((VFB_V + RA_OHM * (VFB_V / RB_OHM + IFS_A)) * 1000),
} as const;

/**
 * Core mV → OUT0 code, ESP-Miner's transfer function (float32 arithmetic, ceil of the magnitude, sign bit
 * below nominal): 1200 mV → 0xC6, 1250 → 0xB9, 1400 → 0x90. Throws RangeError outside the DAC's reach.
 */
export function ds4432uCode(voltageMv: number): number {
  if (!(voltageMv >= DS4432U_RANGE_MV.min && voltageMv <= DS4432U_RANGE_MV.max)) {
    throw new RangeError(
      `${voltageMv} mV is outside the DS4432U's reach ${DS4432U_RANGE_MV.min}..${DS4432U_RANGE_MV.max} mV`,
    );
  }
  const f = Math.fround;
  const v = f(voltageMv / 1000);
  const current = f(f(VFB_V / RB_OHM) - f(f(v - VFB_V) / RA_OHM));
  const magnitude = Math.min(127, Math.ceil(f(Math.abs(f(f(current / IFS_A) * 127)))));
  return v < VNOM_V ? magnitude | SIGN_BIT : magnitude;
}

/** OUT0 code → the core voltage it produces (mV): the inverse of `ds4432uCode`, to within one code step. */
export function ds4432uVoltageMv(code: number): number {
  const magnitude = code & 0x7f;
  const current = ((code & SIGN_BIT ? 1 : -1) * magnitude * IFS_A) / 127;
  return (VFB_V + RA_OHM * (VFB_V / RB_OHM - current)) * 1000;
}

export class Ds4432u {
  constructor(
    private readonly bus: I2CBus,
    readonly address: number = DS4432U_ADDRESS,
  ) {}

  /** Reads OUT0 to prove the part answers (it has no identity register). */
  async init(): Promise<void> {
    await this.bus.readByte(this.address, DS4432U_REG.OUT0);
  }

  async setVoltageMv(voltageMv: number): Promise<number> {
    let code: number;
    try {
      code = ds4432uCode(voltageMv);
    } catch (err) {
      throw new DeviceFaultError('DS4432U', this.address, (err as Error).message);
    }
    await this.bus.writeByte(this.address, DS4432U_REG.OUT0, code);
    return code;
  }

  async readCode(): Promise<number> {
    return this.bus.readByte(this.address, DS4432U_REG.OUT0);
  }

  /** The voltage the DAC is set for, inferred from its code (the Pi has no ADC to measure Vcore). */
  async readSetVoltageMv(): Promise<number> {
    return ds4432uVoltageMv(await this.readCode());
  }
}

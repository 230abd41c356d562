/**
 * PMBus number formats and command codes (PMBus 1.3 part II), as the TPS546 uses them.
 *
 * LINEAR11 ("SLINEAR11"): a 16-bit word, bits 15..11 a signed 5-bit exponent, bits 10..0 a signed 11-bit
 * mantissa; value = mantissa × 2^exponent. ULINEAR16 (VOUT_* commands): an unsigned 16-bit mantissa whose
 * exponent is the signed low 5 bits of VOUT_MODE, read from the part.
 */

export const PMBUS = {
  OPERATION: 0x01,
  ON_OFF_CONFIG: 0x02,
  CLEAR_FAULTS: 0x03,
  PHASE: 0x04,
  CAPABILITY: 0x19,
  VOUT_MODE: 0x20,
  VOUT_COMMAND: 0x21,
  VOUT_MAX: 0x24,
  VOUT_MARGIN_HIGH: 0x25,
  VOUT_MARGIN_LOW: 0x26,
  VOUT_SCALE_LOOP: 0x29,
  VOUT_MIN: 0x2b,
  FREQUENCY_SWITCH: 0x33,
  VIN_ON: 0x35,
  VIN_OFF: 0x36,
  INTERLEAVE: 0x37,
  VOUT_OV_FAULT_LIMIT: 0x40,
  VOUT_OV_WARN_LIMIT: 0x42,
  VOUT_UV_WARN_LIMIT: 0x43,
  VOUT_UV_FAULT_LIMIT: 0x44,
  IOUT_OC_FAULT_LIMIT: 0x46,
  IOUT_OC_FAULT_RESPONSE: 0x47,
  IOUT_OC_WARN_LIMIT: 0x4a,
  OT_FAULT_LIMIT: 0x4f,
  OT_FAULT_RESPONSE: 0x50,
  OT_WARN_LIMIT: 0x51,
  VIN_OV_FAULT_LIMIT: 0x55,
  VIN_OV_FAULT_RESPONSE: 0x56,
  VIN_UV_WARN_LIMIT: 0x58,
  TON_DELAY: 0x60,
  TON_RISE: 0x61,
  TON_MAX_FAULT_LIMIT: 0x62,
  TON_MAX_FAULT_RESPONSE: 0x63,
  TOFF_DELAY: 0x64,
  TOFF_FALL: 0x65,
  STATUS_BYTE: 0x78,
  STATUS_WORD: 0x79,
  STATUS_VOUT: 0x7a,
  STATUS_IOUT: 0x7b,
  STATUS_INPUT: 0x7c,
  STATUS_TEMPERATURE: 0x7d,
  STATUS_CML: 0x7e,
  STATUS_OTHER: 0x7f,
  STATUS_MFR_SPECIFIC: 0x80,
  READ_VIN: 0x88,
  READ_VOUT: 0x8b,
  READ_IOUT: 0x8c,
  READ_TEMPERATURE_1: 0x8d,
  MFR_ID: 0x99,
  MFR_MODEL: 0x9a,
  MFR_REVISION: 0x9b,
  IC_DEVICE_ID: 0xad,
  IC_DEVICE_REV: 0xae,
  COMPENSATION_CONFIG: 0xb1,
  SYNC_CONFIG: 0xe4,
  STACK_CONFIG: 0xec,
  PIN_DETECT_OVERRIDE: 0xee,
} as const;

/** STATUS_WORD bits. */
export const STATUS_WORD = {
  VOUT: 0x8000,
  IOUT: 0x4000,
  INPUT: 0x2000,
  MFR: 0x1000,
  POWER_GOOD_N: 0x0800,
  OTHER: 0x0200,
  BUSY: 0x0080,
  OFF: 0x0040,
  VOUT_OV_FAULT: 0x0020,
  IOUT_OC_FAULT: 0x0010,
  VIN_UV_FAULT: 0x0008,
  TEMPERATURE: 0x0004,
  CML: 0x0002,
  NONE_OF_THE_ABOVE: 0x0001,
} as const;

/** STATUS_TEMPERATURE bits. */
export const STATUS_TEMPERATURE = { OT_FAULT: 0x80, OT_WARNING: 0x40 } as const;
/** STATUS_IOUT bits. */
export const STATUS_IOUT = { OC_FAULT: 0x80, OC_WARNING: 0x20 } as const;
/** STATUS_VOUT bits. */
export const STATUS_VOUT = {
  OV_FAULT: 0x80,
  OV_WARNING: 0x40,
  UV_WARNING: 0x20,
  UV_FAULT: 0x10,
  MIN_MAX: 0x08,
} as const;
/** STATUS_CML bits. */
export const STATUS_CML = { INVALID_COMMAND: 0x80, INVALID_DATA: 0x40 } as const;

function signExtend(value: number, bits: number): number {
  const shift = 32 - bits;
  return (value << shift) >> shift;
}

/** LINEAR11 word → number. */
export function decodeSlinear11(word: number): number {
  const exponent = signExtend((word >>> 11) & 0x1f, 5);
  const mantissa = signExtend(word & 0x7ff, 11);
  return mantissa * 2 ** exponent;
}

function packSlinear11(mantissa: number, exponent: number): number {
  return (((exponent & 0x1f) << 11) | (mantissa & 0x7ff)) & 0xffff;
}

/**
 * Number → LINEAR11 with the finest resolution that fits (the most negative exponent whose mantissa stays
 * within 11 signed bits), truncating toward zero as ESP-Miner does for volts and amps.
 */
export function encodeSlinear11(value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`cannot encode ${value} as LINEAR11`);
  if (value === 0) return 0;
  for (let exponent = -16; exponent <= 15; exponent++) {
    const mantissa = Math.trunc(value / 2 ** exponent + (value >= 0 ? 1e-9 : -1e-9));
    if (mantissa >= -1024 && mantissa <= 1023) return packSlinear11(mantissa, exponent);
  }
  throw new RangeError(`${value} is out of LINEAR11 range`);
}

/**
 * Integer → LINEAR11 with the smallest non-negative exponent (ESP-Miner's encoding of kHz, °C and ms
 * settings: 105 °C is 0x0069, not an equivalent fractional form).
 */
export function encodeSlinear11Int(value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${value} is not a non-negative integer`);
  for (let exponent = 0; exponent <= 15; exponent++) {
    const mantissa = Math.trunc(value / 2 ** exponent);
    if (mantissa <= 1023) return packSlinear11(mantissa, exponent);
  }
  throw new RangeError(`${value} is out of LINEAR11 range`);
}

/** The signed ULINEAR16 exponent from a VOUT_MODE byte (linear mode: low 5 bits). */
export function voutModeExponent(voutMode: number): number {
  return signExtend(voutMode & 0x1f, 5);
}

export function decodeUlinear16(word: number, exponent: number): number {
  return (word & 0xffff) * 2 ** exponent;
}

/** Volts → ULINEAR16, truncating as ESP-Miner does (1.2 V at 2⁻⁹ V/LSB → 0x0266). */
export function encodeUlinear16(volts: number, exponent: number): number {
  const word = Math.trunc(volts / 2 ** exponent + 1e-9);
  if (!(word >= 0 && word <= 0xffff)) throw new RangeError(`${volts} V does not fit ULINEAR16 at 2^${exponent}`);
  return word;
}

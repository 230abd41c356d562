import { PllError } from './errors.js';

/**
 * PLL0 (register 0x08): the hash clock is 25 MHz × FBDIV / (REFDIV × POSTDIV1 × POSTDIV2), VCO = 25 × FBDIV / REFDIV.
 *
 * Divider choice follows ESP-Miner's solver (restated in README.md): REFDIV 2 then 1, POSTDIV1 7..1, POSTDIV2 7..1,
 * FBDIV rounded from the target, POSTDIV1 strictly above POSTDIV2, FBDIV inside the model's range; keep the closest
 * frequency, then the lowest VCO, then the smallest post-divider product. The ESP32 runs it in single precision,
 * and so does this port (Math.fround at every float store), so ties break the same way.
 *
 * Register layout: top byte 0x40 (PLL enable) or 0x50 (also the high-VCO select, BM1366 family when VCO ≥ 2400 MHz),
 * then FBDIV, REFDIV, and a byte with POSTDIV1 in the high nibble and POSTDIV2 in the low one. The BM1397 writes
 * the post dividers as they are; the BM1366 family writes each minus one.
 */

export const PLL_REFERENCE_MHZ = 25;

export interface PllSettings {
  readonly fbDivider: number;
  readonly refDivider: number;
  readonly postDivider1: number;
  readonly postDivider2: number;
  /** The frequency these dividers give. */
  readonly frequencyMhz: number;
  readonly vcoMhz: number;
}

export interface PllEncoding {
  readonly fbDividerMin: number;
  readonly fbDividerMax: number;
  /** BM1366 family: post dividers stored minus one. */
  readonly postDividersMinusOne: boolean;
  /** BM1366 family: top byte 0x50 when the VCO runs at 2400 MHz or more. */
  readonly highVcoFlag: boolean;
}

const EPSILON = Math.fround(0.0001);
const f32 = Math.fround;

/** ESP-Miner's divider search for `targetMhz`; throws PllError when nothing fits the FBDIV range. */
export function solvePll(targetMhz: number, fbDividerMin: number, fbDividerMax: number): PllSettings {
  if (!(targetMhz > 0) || !Number.isFinite(targetMhz)) {
    throw new PllError(`frequency must be a positive number of MHz, got ${targetMhz}`);
  }
  const target = f32(targetMhz);
  let best: PllSettings | null = null;
  let minDiff = f32(3.4028234663852886e38);
  let minVco = minDiff;
  let minPost = 0xffff;
  for (let ref = 2; ref > 0; ref--) {
    for (let pd1 = 7; pd1 > 0; pd1--) {
      for (let pd2 = 7; pd2 > 0; pd2--) {
        const divider = ref * pd1 * pd2;
        // C's round(): half away from zero; the argument is computed in double precision.
        const exact = (target / PLL_REFERENCE_MHZ) * divider;
        const fb = Math.sign(exact) * Math.round(Math.abs(exact));
        if (!(pd1 > pd2 && fb >= fbDividerMin && fb <= fbDividerMax)) continue;
        const freq = f32((PLL_REFERENCE_MHZ * fb) / divider);
        const diff = f32(Math.abs(f32(target - freq)));
        const vco = f32((PLL_REFERENCE_MHZ * fb) / ref);
        const sameDiff = Math.abs(f32(diff - minDiff)) < EPSILON;
        if (
          diff < minDiff ||
          (sameDiff && vco < minVco) ||
          (sameDiff && Math.abs(f32(vco - minVco)) < EPSILON && pd1 * pd2 < minPost)
        ) {
          minDiff = diff;
          minVco = vco;
          minPost = pd1 * pd2;
          best = {
            fbDivider: fb,
            refDivider: ref,
            postDivider1: pd1,
            postDivider2: pd2,
            frequencyMhz: freq,
            vcoMhz: vco,
          };
        }
      }
    }
  }
  if (best === null) {
    throw new PllError(
      `no PLL setting reaches ${targetMhz} MHz with FBDIV ${fbDividerMin}..${fbDividerMax}; choose another frequency`,
    );
  }
  return best;
}

/** The 32-bit value of register 0x08 for these dividers. */
export function encodePllRegister(settings: PllSettings, encoding: PllEncoding): number {
  const vco = (PLL_REFERENCE_MHZ * settings.fbDivider) / settings.refDivider;
  const top = encoding.highVcoFlag && vco >= 2400 ? 0x50 : 0x40;
  const minus = encoding.postDividersMinusOne ? 1 : 0;
  const post = (((settings.postDivider1 - minus) & 0xf) << 4) | ((settings.postDivider2 - minus) & 0xf);
  return ((top << 24) | (settings.fbDivider << 16) | (settings.refDivider << 8) | post) >>> 0;
}

/** Dividers and frequency a register 0x08 value programs (the reverse of encodePllRegister). Null if it is off. */
export function decodePllRegister(value: number, encoding: PllEncoding): PllSettings | null {
  const fb = (value >>> 16) & 0xfff;
  const ref = (value >>> 8) & 0x3f;
  const plus = encoding.postDividersMinusOne ? 1 : 0;
  const pd1 = ((value >>> 4) & 0x7) + plus;
  const pd2 = (value & 0x7) + plus;
  if (fb === 0 || ref === 0 || pd1 === 0 || pd2 === 0) return null;
  const frequencyMhz = (PLL_REFERENCE_MHZ * fb) / (ref * pd1 * pd2);
  return {
    fbDivider: fb,
    refDivider: ref,
    postDivider1: pd1,
    postDivider2: pd2,
    frequencyMhz,
    vcoMhz: (PLL_REFERENCE_MHZ * fb) / ref,
  };
}

/** MHz that a register 0x08 value programs, or 0 if it programs nothing. */
export function frequencyFromPllRegister(value: number, encoding: PllEncoding): number {
  return decodePllRegister(value, encoding)?.frequencyMhz ?? 0;
}

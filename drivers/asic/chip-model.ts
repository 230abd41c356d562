import type { PllEncoding } from './pll.js';
import { REG } from './registers.js';

/**
 * Everything that differs between BM13xx models, as data and small functions. The chain driver, the emulator and
 * the frame inspector read the model from here; nothing else switches on the model name. Sources and the reasons
 * for each choice are in README.md.
 */

export type ChipModelName = 'bm1397' | 'bm1366' | 'bm1368' | 'bm1370';
export const CHIP_MODEL_NAMES: readonly ChipModelName[] = ['bm1397', 'bm1366', 'bm1368', 'bm1370'];

/** How a chip's slice of the nonce space is chosen (and so how a nonce names its chip). */
export type ChipSlice =
  /** BM1397 (ESP-Miner's reading): the sweep counter starts at address << 17; nonce bits 24..17 carry the address. */
  | 'address-bit-17'
  /** BM1366/BM1368: the counter starts at (address >> 1) << 18; nonce bits 24..18 carry address bits 7..1. */
  | 'address-bit-18'
  /** BM1370: the counter starts at CHIP_NONCE_OFFSET << 9 (register 0x0C, bit 31 enables); no chip field. */
  | 'nonce-offset';

export interface ChipModel extends PllEncoding {
  readonly name: ChipModelName;
  /** Bytes 0..1 of the CHIP_ID register. */
  readonly chipId: number;
  /** Byte 2 of the CHIP_ID register (BM1397: 0x18, later models 0). */
  readonly chipIdCoreByte: number;
  readonly jobFormat: 'midstate' | 'full-header';
  /** The chip rolls version bits itself (register 0xA4). */
  readonly rollsVersions: boolean;
  /** Cores as ESP-Miner counts them (HCN and job-interval maths). */
  readonly cores: number;
  /** ESP-Miner's small-core count: expected hash rate = f × smallCores per chip. */
  readonly smallCores: number;
  /** Versions a core hashes in parallel: sub-cores (BM1366+: 8 or 16) or host midstates (BM1397: up to 4). */
  readonly subcoresPerCore: number;
  /** Core ids that appear in nonce bits 31..25 (the emulator searches with this many cores). */
  readonly nonceCores: number;
  readonly chipSlice: ChipSlice;
  /** Step between job ids ESP-Miner sends (ids are taken mod 128). */
  readonly jobIdStep: number;
  readonly defaultFrequencyMhz: number;
  /** Register write that raises the chain's UART, and the host baud that must follow. */
  readonly fastBaud: { readonly register: number; readonly value: number; readonly baud: number };
  /** Ticks ESP-Miner subtracts from HASH_COUNTING_NUMBER; null when the model has no such register written. */
  readonly hashCountingErrataTicks: number | null;
  /** Version-rolling writes before the chip-id read (ESP-Miner: 3, BM1368: 4; BM1397: none). */
  readonly versionWritesBeforeEnumeration: number;
}

export const BM1397: ChipModel = {
  name: 'bm1397',
  chipId: 0x1397,
  chipIdCoreByte: 0x18,
  jobFormat: 'midstate',
  rollsVersions: false,
  cores: 168,
  smallCores: 672,
  subcoresPerCore: 4,
  nonceCores: 128,
  chipSlice: 'address-bit-17',
  jobIdStep: 4,
  defaultFrequencyMhz: 425,
  fastBaud: { register: REG.MISC_CONTROL, value: 0x00006031, baud: 3_125_000 },
  hashCountingErrataTicks: null,
  versionWritesBeforeEnumeration: 0,
  fbDividerMin: 60,
  fbDividerMax: 200,
  postDividersMinusOne: false,
  highVcoFlag: false,
};

export const BM1366: ChipModel = {
  name: 'bm1366',
  chipId: 0x1366,
  chipIdCoreByte: 0,
  jobFormat: 'full-header',
  rollsVersions: true,
  cores: 112,
  smallCores: 894,
  subcoresPerCore: 8,
  nonceCores: 112,
  chipSlice: 'address-bit-18',
  jobIdStep: 8,
  defaultFrequencyMhz: 485,
  fastBaud: { register: REG.FAST_UART_CONFIGURATION, value: 0x11300200, baud: 1_000_000 },
  hashCountingErrataTicks: 0,
  versionWritesBeforeEnumeration: 3,
  fbDividerMin: 144,
  fbDividerMax: 235,
  postDividersMinusOne: true,
  highVcoFlag: true,
};

export const BM1368: ChipModel = {
  ...BM1366,
  name: 'bm1368',
  chipId: 0x1368,
  cores: 80,
  smallCores: 1276,
  subcoresPerCore: 16,
  nonceCores: 80,
  jobIdStep: 24,
  defaultFrequencyMhz: 490,
  versionWritesBeforeEnumeration: 4,
};

export const BM1370: ChipModel = {
  ...BM1366,
  name: 'bm1370',
  chipId: 0x1370,
  cores: 128,
  smallCores: 2040,
  subcoresPerCore: 16,
  nonceCores: 128,
  chipSlice: 'nonce-offset',
  jobIdStep: 24,
  defaultFrequencyMhz: 525,
  hashCountingErrataTicks: 268,
  fbDividerMin: 160,
  fbDividerMax: 239,
};

const MODELS: Record<ChipModelName, ChipModel> = { bm1397: BM1397, bm1366: BM1366, bm1368: BM1368, bm1370: BM1370 };

export function isChipModelName(name: string): name is ChipModelName {
  return Object.hasOwn(MODELS, name);
}

export function chipModel(name: ChipModelName): ChipModel {
  return MODELS[name];
}

/** The model whose CHIP_ID is `id` (0x1366 → BM1366), or null. */
export function chipModelById(id: number): ChipModel | null {
  for (const m of Object.values(MODELS)) if (m.chipId === id) return m;
  return null;
}

// ---- reply byte 7: job id and sub-core ----

/** The job id byte the host sent, recovered from a nonce reply's byte 7. */
export function jobIdFromReply(model: ChipModel, resultHeader: number): number {
  switch (model.jobIdStep) {
    case 4:
      return resultHeader & 0xfc;
    case 8:
      return resultHeader & 0xf8;
    default:
      // BM1368/70: the sent byte's bits 6..3 come back in bits 7..4.
      return (resultHeader & 0xf0) >>> 1;
  }
}

/** Sub-core (BM1366+) or midstate index (BM1397) from a nonce reply's byte 7. */
export function subcoreFromReply(model: ChipModel, resultHeader: number): number {
  switch (model.jobIdStep) {
    case 4:
      return resultHeader & 0x03;
    case 8:
      return resultHeader & 0x07;
    default:
      return resultHeader & 0x0f;
  }
}

/** Byte 7 a chip sends for a nonce of job `jobId` found by sub-core (or midstate) `subcore`. */
export function replyResultHeader(model: ChipModel, jobId: number, subcore: number): number {
  switch (model.jobIdStep) {
    case 4:
      return (jobId & 0xfc) | (subcore & 0x03);
    case 8:
      return (jobId & 0xf8) | (subcore & 0x07);
    default:
      return ((jobId << 1) & 0xf0) | (subcore & 0x0f);
  }
}

// ---- nonce layout ----

/** Nonce bits 24..0 (read most significant byte first) are each core's sweep counter; bits 31..25 the core id. */
export const COUNTER_BITS = 25;
export const COUNTER_SPAN = 2 ** COUNTER_BITS;

export function coreIdOfNonce(nonceBE: number): number {
  return nonceBE >>> 25;
}

export function counterOfNonce(nonceBE: number): number {
  return nonceBE & (COUNTER_SPAN - 1);
}

/**
 * Where a chip's sweep counter starts: from its address (BM1397, BM1366, BM1368) or from CHIP_NONCE_OFFSET when
 * enabled (BM1370; 0 when not written).
 */
export function sliceStart(model: ChipModel, address: number, nonceOffsetRegister = 0): number {
  switch (model.chipSlice) {
    case 'address-bit-17':
      return (address & 0xff) * 2 ** 17;
    case 'address-bit-18':
      return ((address & 0xff) >>> 1) * 2 ** 18;
    default:
      return nonceOffsetRegister & 0x80000000 ? (nonceOffsetRegister & 0xffff) * 2 ** 9 : 0;
  }
}

/** CHIP_NONCE_OFFSET values that split the BM1370 counter evenly over a chain (factory firmware rounds up). */
export function nonceOffsetsFor(chips: number): number[] {
  return Array.from({ length: chips }, (_, i) => Math.ceil((i * 65536) / chips) & 0xffff);
}

// ---- CHIP_ID and power-on registers ----

/** CHIP_ID register value a chip with this address holds. */
export function chipIdRegister(model: ChipModel, address: number): number {
  return ((model.chipId << 16) | (model.chipIdCoreByte << 8) | (address & 0xff)) >>> 0;
}

/** Baud the chip's UART runs at for a given baud-register write (null when the register is not the baud one). */
export function baudFromRegister(model: ChipModel, register: number, value: number): number | null {
  if (model.name === 'bm1397') {
    if (register !== REG.MISC_CONTROL) return null;
    // BT8D: bits 12..8 low, bits 27..24 high; BCLK_SEL (bit 16) = 0 selects the 25 MHz clock.
    const divider = ((value >>> 8) & 0x1f) | (((value >>> 24) & 0x0f) << 5);
    return Math.round(25e6 / (8 * (divider + 1)));
  }
  if (register !== REG.FAST_UART_CONFIGURATION) return null;
  const divider = (value >>> 8) & 0xff;
  return Math.round(25e6 / (8 * (divider + 1)));
}

/** Response frame size: 9 bytes on the BM1397 and before version rolling is enabled, else 11. */
export function responseBytesFor(model: ChipModel, rollingEnabled: boolean): 9 | 11 {
  return model.rollsVersions && rollingEnabled ? 11 : 9;
}

/** ESP-Miner's expected hash rate: one hash per small core per clock. */
export function expectedHashrateGhs(model: ChipModel, frequencyMhz: number, chips = 1): number {
  return (frequencyMhz * model.smallCores * chips) / 1000;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * How often ESP-Miner sends a fresh job (ms): BM1397 sweeps its nonce slice in this time at `frequencyMhz`
 * (4 midstates in parallel); the chip-rolling models use a fixed interval (BM1366 2000 ms, BM1368/70 500 ms)
 * divided by the chain's next power of two.
 */
export function jobIntervalMs(model: ChipModel, chips: number, frequencyMhz: number): number {
  if (model.name === 'bm1397') {
    return 2 ** 32 / nextPow2(model.cores) / nextPow2(chips) / (frequencyMhz * 1000);
  }
  const base = model.name === 'bm1366' ? 2000 : 500;
  return Math.floor(base / nextPow2(chips));
}

import type { ChipModel, ChipModelName } from './chip-model.js';
import { REG } from './registers.js';

/**
 * What each model needs written between reset and mining, as data the chain driver plays back. The order and the
 * constants are ESP-Miner's (byte-exact: test/drivers/asic/init-sequence.test.ts replays them against the captured
 * sequences), plus one addition: multi-chip BM1370 chains get a CHIP_NONCE_OFFSET per chip, as factory firmware
 * does, so their chips do not sweep the same nonces (README.md, "Nonce space").
 */

export interface RegisterWrite {
  readonly register: number;
  readonly value: number;
}

export type InitStep =
  /** Broadcast register write. */
  | ({ readonly op: 'write' } & RegisterWrite)
  /** Write to the first chip of the chain only. */
  | ({ readonly op: 'write-first-chip' } & RegisterWrite)
  | { readonly op: 'chain-inactive' }
  /** One set-address command per chip, in chain order. */
  | { readonly op: 'assign-addresses' }
  /** The same writes addressed to each chip in turn. */
  | { readonly op: 'per-chip'; readonly writes: readonly RegisterWrite[]; readonly delayAfterMs: number }
  | { readonly op: 'ticket-mask' }
  | { readonly op: 'delay'; readonly ms: number }
  /** Frequency ramp from the power-on 50 MHz to the target. */
  | { readonly op: 'ramp' }
  | { readonly op: 'hash-counting' }
  | { readonly op: 'version-mask' }
  | { readonly op: 'nonce-offsets' };

const w = (register: number, value: number): InitStep => ({ op: 'write', register, value });
const cw = (register: number, value: number): RegisterWrite => ({ register, value });

const SEQUENCES: Record<ChipModelName, readonly InitStep[]> = {
  bm1397: [
    { op: 'delay', ms: 20 },
    { op: 'chain-inactive' },
    { op: 'assign-addresses' },
    w(REG.CLOCK_ORDER_CONTROL0, 0),
    w(REG.CLOCK_ORDER_CONTROL1, 0),
    w(REG.ORDERED_CLOCK_ENABLE, 1),
    w(REG.CORE_REGISTER_CONTROL, 0x80008074),
    { op: 'ticket-mask' },
    w(REG.PLL3_PARAMETER, 0xc0700111),
    w(REG.FAST_UART_CONFIGURATION, 0x0600000f),
    w(REG.MISC_CONTROL, 0x00007a31), // baud divider 26: the power-on rate, stated explicitly
    { op: 'ramp' },
  ],
  bm1366: [
    w(REG.SOFT_RESET_CONTROL, 0x00070000),
    w(REG.MISC_CONTROL, 0xff0fc100),
    { op: 'chain-inactive' },
    { op: 'assign-addresses' },
    w(REG.CORE_REGISTER_CONTROL, 0x80008540),
    w(REG.CORE_REGISTER_CONTROL, 0x80008020),
    { op: 'ticket-mask' },
    w(REG.ANALOG_MUX, 0x00000003),
    w(REG.IO_DRIVER_STRENGTH, 0x02111111),
    { op: 'write-first-chip', register: REG.UART_RELAY, value: 0x007c0003 },
    {
      op: 'per-chip',
      writes: [
        cw(REG.SOFT_RESET_CONTROL, 0x000701f0),
        cw(REG.MISC_CONTROL, 0xf000c100),
        cw(REG.CORE_REGISTER_CONTROL, 0x80008540),
        cw(REG.CORE_REGISTER_CONTROL, 0x80008020),
        cw(REG.CORE_REGISTER_CONTROL, 0x800082aa),
      ],
      delayAfterMs: 0,
    },
    { op: 'ramp' },
    { op: 'hash-counting' },
    { op: 'version-mask' },
  ],
  bm1368: [
    { op: 'chain-inactive' },
    w(REG.SOFT_RESET_CONTROL, 0x00070000),
    w(REG.MISC_CONTROL, 0xff0fc100),
    w(REG.CORE_REGISTER_CONTROL, 0x80008b00),
    w(REG.CORE_REGISTER_CONTROL, 0x80008018),
    { op: 'ticket-mask' },
    w(REG.ANALOG_MUX, 0x00000003),
    w(REG.IO_DRIVER_STRENGTH, 0x02111111),
    { op: 'assign-addresses' },
    {
      op: 'per-chip',
      writes: [
        cw(REG.SOFT_RESET_CONTROL, 0x000701f0),
        cw(REG.MISC_CONTROL, 0xf000c100),
        cw(REG.CORE_REGISTER_CONTROL, 0x80008b00),
        cw(REG.CORE_REGISTER_CONTROL, 0x80008018),
        cw(REG.CORE_REGISTER_CONTROL, 0x800082aa),
      ],
      delayAfterMs: 500,
    },
    { op: 'ticket-mask' },
    { op: 'ramp' },
    { op: 'hash-counting' },
    { op: 'version-mask' },
  ],
  bm1370: [
    { op: 'version-mask' },
    w(REG.SOFT_RESET_CONTROL, 0x00070000),
    w(REG.MISC_CONTROL, 0xf000c100),
    { op: 'chain-inactive' },
    { op: 'assign-addresses' },
    w(REG.CORE_REGISTER_CONTROL, 0x80008b00),
    w(REG.CORE_REGISTER_CONTROL, 0x8000800c),
    { op: 'ticket-mask' },
    w(REG.IO_DRIVER_STRENGTH, 0x00011111),
    {
      op: 'per-chip',
      writes: [
        cw(REG.SOFT_RESET_CONTROL, 0x000701f0),
        cw(REG.MISC_CONTROL, 0xf000c100),
        cw(REG.CORE_REGISTER_CONTROL, 0x80008b00),
        cw(REG.CORE_REGISTER_CONTROL, 0x8000800c),
        cw(REG.CORE_REGISTER_CONTROL, 0x800082aa),
      ],
      delayAfterMs: 0,
    },
    w(REG.ADC_CONTROL, 0x00004480),
    w(REG.ANALOG_MUX, 0x00000002),
    w(REG.ADC_CONTROL, 0x00004480),
    w(REG.CORE_REGISTER_CONTROL, 0x80008dee),
    { op: 'ramp' },
    { op: 'hash-counting' },
    { op: 'nonce-offsets' },
  ],
};

/** The steps after enumeration up to (not including) the baud switch. */
export function initSequence(model: ChipModel): readonly InitStep[] {
  return SEQUENCES[model.name];
}

/**
 * One frequency step's writes and waits. BM1397 (ESP-Miner and cgminer): PLL0_DIVIDER ← 0F0F0F00 twice, then the
 * PLL value twice, 10 ms before each write and after the last. BM1366 family: one PLL write.
 */
export function frequencyStepWrites(
  model: ChipModel,
  pllValue: number,
): ReadonlyArray<RegisterWrite & { readonly delayBeforeMs: number }> {
  if (model.name !== 'bm1397') return [{ register: REG.PLL0_PARAMETER, value: pllValue, delayBeforeMs: 0 }];
  return [
    { register: REG.PLL0_DIVIDER, value: 0x0f0f0f00, delayBeforeMs: 10 },
    { register: REG.PLL0_DIVIDER, value: 0x0f0f0f00, delayBeforeMs: 10 },
    { register: REG.PLL0_PARAMETER, value: pllValue, delayBeforeMs: 10 },
    { register: REG.PLL0_PARAMETER, value: pllValue, delayBeforeMs: 10 },
  ];
}

/** Wait after each frequency step (on top of the step's own waits): 100 ms, + 10 ms settle on the BM1397. */
export function frequencyStepSettleMs(model: ChipModel): number {
  return model.name === 'bm1397' ? 110 : 100;
}

/** Frequency every model runs at after reset, as ESP-Miner assumes. */
export const POWER_ON_FREQUENCY_MHZ = 50;

import type { BoardDefinition } from '../../src/config/board.js';

export type LimitedField = 'voltageMv' | 'frequencyMhz' | 'fanPercent' | 'fanTargetC' | 'minFanPercent';

const WHAT: Record<LimitedField, { noun: string; unit: string }> = {
  voltageMv: { noun: 'core voltage', unit: 'mV' },
  frequencyMhz: { noun: 'frequency', unit: 'MHz' },
  fanPercent: { noun: 'fan speed', unit: '%' },
  fanTargetC: { noun: 'target temperature', unit: '°C' },
  minFanPercent: { noun: 'minimum fan speed', unit: '%' },
};

/**
 * A setting outside what the board allows, refused before anything touches hardware. Carries the limit so
 * the API and CLI can show it: "core voltage 1450 mV above bitaxe-ultra's limit 1300 mV".
 */
export class BoardLimitError extends Error {
  override readonly name = 'BoardLimitError';
  constructor(
    readonly field: LimitedField,
    readonly value: number,
    readonly min: number,
    readonly max: number,
    readonly board: string,
  ) {
    const { noun, unit } = WHAT[field];
    const sp = unit === '%' || unit === '°C' ? '' : ' ';
    const v = Number.isFinite(value) ? `${value}${sp}${unit}` : String(value);
    let message: string;
    if (!Number.isFinite(value)) message = `${noun} must be a number, got ${v}`;
    else if (value > max) message = `${noun} ${v} above ${board}'s limit ${max}${sp}${unit}`;
    else if (value < min && field === 'fanPercent')
      message =
        `manual fan speed ${v} below ${board}'s minimum ${min}%: slower, the chips can overheat at full power ` +
        `(use auto for a quieter fan: it follows the temperature)`;
    else if (value < min) message = `${noun} ${v} below ${board}'s minimum ${min}${sp}${unit}`;
    else message = `${noun} ${v} must be a whole number`;
    super(message);
  }

  get unit(): string {
    return WHAT[this.field].unit;
  }
}

function check(field: LimitedField, value: number, min: number, max: number, board: string, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new BoardLimitError(field, value, min, max, board);
  }
  return value;
}

export function checkVoltageMv(board: BoardDefinition, mv: number): number {
  return check('voltageMv', mv, board.limits.voltageMv.min, board.limits.voltageMv.max, board.name, true);
}

export function checkFrequencyMhz(board: BoardDefinition, mhz: number): number {
  return check('frequencyMhz', mhz, board.limits.frequencyMhz.min, board.limits.frequencyMhz.max, board.name);
}

/** A fixed (manual) fan speed: never under the board file's `limits.manualFanPercent.min`. */
export function checkFanPercent(board: BoardDefinition, percent: number): number {
  return check('fanPercent', percent, board.limits.manualFanPercent.min, 100, board.name);
}

/** ESP-Miner allows 35..66 °C; here also at least 5 °C under the board's overheat limit. */
export function checkFanTargetC(board: BoardDefinition, c: number): number {
  return check('fanTargetC', c, 35, Math.min(66, board.limits.asicTempC.max - 5), board.name);
}

export function checkMinFanPercent(board: BoardDefinition, percent: number): number {
  return check('minFanPercent', percent, 0, 99, board.name, true);
}

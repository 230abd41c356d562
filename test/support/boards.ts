/** The board files the project ships and supports: each must exist, validate, and mine against its emulated chain. */
export const SUPPORTED_BOARDS = [
  'bitaxe-max',
  'bitaxe-ultra',
  'bitaxe-supra',
  'bitaxe-gamma',
  'bitaxe-gamma-duo',
  'bitaxe-gamma-turbo',
  'bitaxe-hex',
  'piaxe',
] as const;

import { parseArgs } from 'node:util';
import { UsageError } from './command.js';

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: boolean };

/**
 * `util.parseArgs` with errors turned into UsageError (exit 2) and a one-line message that names the flag.
 */
export function parseCommandArgs<T extends Record<string, OptionSpec>>(
  args: string[],
  options: T,
  allowPositionals = true,
): { values: { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: values as never, positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

/** Parses a base-10 integer flag value within [min, max]; the error names the flag and the range. */
export function parseIntInRange(name: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined || !/^-?\d+$/.test(text.trim())) {
    throw new UsageError(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(text ?? '')}`);
  }
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Parses a decimal number flag value within [min, max]. */
export function parseNumberInRange(name: string, text: string | undefined, min: number, max: number): number {
  const value = text === undefined || text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new UsageError(`${name} must be a number between ${min} and ${max}, got ${JSON.stringify(text ?? '')}`);
  }
  if (value < min || value > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

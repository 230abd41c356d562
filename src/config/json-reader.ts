/**
 * Reading untrusted JSON configuration field by field, so every error names the file, the field path and what
 * is allowed (`hashaxe.json: pools[0].url must be sv2+tcp://HOST:PORT[/KEY], got "x"`). Board files and the
 * miner's config file both go through it.
 */

/** A configuration value that is not valid; `field` is the JSON path ('' for the whole file). */
export class ConfigFieldError extends Error {
  override readonly name: string = 'ConfigFieldError';
  constructor(
    readonly source: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${source}: ${field === '' ? '' : `${field} `}${detail}`);
  }
}

export type Json = Record<string, unknown>;

/** Field readers that know the file and the path, so every error names both. */
export class JsonReader {
  constructor(
    readonly source: string,
    private readonly makeError: (source: string, field: string, detail: string) => Error = (src, field, detail) =>
      new ConfigFieldError(src, field, detail),
  ) {}

  fail(path: string, detail: string): never {
    throw this.makeError(this.source, path, detail);
  }

  object(value: unknown, path: string, allowed: readonly string[], optional: readonly string[] = []): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `must be an object, got ${describe(value)}`);
    }
    const obj = value as Json;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key) && !optional.includes(key) && key !== '$comment') {
        this.fail(join(path, key), `is not a known field; expected one of ${[...allowed, ...optional].join(', ')}`);
      }
    }
    for (const key of allowed) {
      if (!(key in obj)) this.fail(join(path, key), 'is required');
    }
    return obj;
  }

  number(obj: Json, key: string, path: string, range: { min: number; max: number; integer?: boolean }): number {
    const p = join(path, key);
    const value = obj[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(p, `must be a number, got ${describe(value)}`);
    if (range.integer && !Number.isInteger(value)) this.fail(p, `must be an integer, got ${value}`);
    if (value < range.min) this.fail(p, `must be ≥ ${range.min}, got ${value}`);
    if (value > range.max) this.fail(p, `must be ≤ ${range.max}, got ${value}`);
    return value;
  }

  string(obj: Json, key: string, path: string, pattern?: RegExp, hint?: string): string {
    const p = join(path, key);
    const value = obj[key];
    if (typeof value !== 'string' || value.length === 0)
      this.fail(p, `must be a non-empty string, got ${describe(value)}`);
    if (pattern && !pattern.test(value))
      this.fail(p, `must be ${hint ?? `like ${pattern}`}, got ${JSON.stringify(value)}`);
    return value;
  }

  boolean(obj: Json, key: string, path: string): boolean {
    const value = obj[key];
    if (typeof value !== 'boolean') this.fail(join(path, key), `must be true or false, got ${describe(value)}`);
    return value;
  }

  oneOf<T extends string>(obj: Json, key: string, path: string, allowed: readonly T[], what = 'one of'): T {
    const value = obj[key];
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.fail(join(path, key), `must be ${what} ${allowed.join(', ')}, got ${describe(value)}`);
    }
    return value as T;
  }

  /** An I2C 7-bit address as a number or a "0x4C" string. */
  address(obj: Json, key: string, path: string): number {
    return this.byteLike(obj, key, path, 0x03, 0x77, 'a 7-bit I2C address 0x03..0x77');
  }

  byteLike(obj: Json, key: string, path: string, min: number, max: number, what: string): number {
    const p = join(path, key);
    const raw = obj[key];
    let value: number;
    if (typeof raw === 'number' && Number.isInteger(raw)) value = raw;
    else if (typeof raw === 'string' && /^0x[0-9a-fA-F]{1,2}$/.test(raw)) value = Number.parseInt(raw.slice(2), 16);
    else this.fail(p, `must be ${what}, got ${describe(raw)}`);
    if (value < min || value > max) this.fail(p, `must be ${what}, got ${describe(raw)}`);
    return value;
  }

  numberArray(obj: Json, key: string, path: string, range: { min: number; max: number }): number[] {
    const p = join(path, key);
    const value = obj[key];
    if (!Array.isArray(value)) this.fail(p, `must be an array of numbers, got ${describe(value)}`);
    return value.map((v, i) => this.number({ [i]: v }, String(i), p, range));
  }
}

export function join(path: string, key: string): string {
  return path === '' ? key : /^\d+$/.test(key) ? `${path}[${key}]` : `${path}.${key}`;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * The kinds of value a Stratum V1 parameter can be, each as a small descriptor that checks and decodes a JSON
 * value and writes one back as JSON text. Method definitions (messages.ts) are lists of (wire name, type), so
 * the limits on what a pool may send live here once: how long a job id, how many merkle branches, which
 * difficulties are believable, which extranonce2 sizes a device can roll.
 */
import { bytesToHex } from '../util/hex.js';
import { hexBytes, prevHashFromNotify, prevHashToNotify, Sv1FieldError, u32FromHex, u32ToHex } from './wire-format.js';

/** How a pool writes some fields (public-pool does not zero-pad notify's version and nbits). */
export interface EncodeStyle {
  unpaddedHex?: boolean;
}

export interface ParamType<T> {
  /** What the wire value is, for error messages. */
  readonly describe: string;
  /** Checks and converts a JSON value; throws Sv1FieldError naming `field`. */
  decode(value: unknown, field: string): T;
  /** The value as JSON text. */
  encode(value: T, style?: EncodeStyle): string;
}

/** Easiest and hardest share difficulty believed: outside it a target is nonsense (2^-32 is the whole hash space). */
export const MIN_DIFFICULTY = 2 ** -32;
export const MAX_DIFFICULTY = 2 ** 64;
/** extranonce2 sizes a device can roll: 0 leaves nothing to roll, more than 8 is no pool we know. */
export const MAX_EXTRANONCE2_SIZE = 8;
/** extranonce1 length taken (NiceHash 5 bytes, ckpool 4 or 8). */
export const MAX_EXTRANONCE1_BYTES = 32;
/** A block of 4 million transactions has a 22-level tree; ESP-Miner takes 32. */
export const MAX_MERKLE_BRANCHES = 32;
/** Coinbase halves: a coinbase with hundreds of payout outputs (OCEAN) is tens of kB. */
export const MAX_COINBASE_PART_BYTES = 100_000;

function fail(field: string, message: string): never {
  throw new Sv1FieldError(field, message);
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A string of printable characters, `min`..`max` long (job ids, worker names). */
export function text(min: number, max: number): ParamType<string> {
  return {
    describe: `a string of ${min} to ${max} characters`,
    decode(value, field) {
      if (typeof value !== 'string') fail(field, `must be a string, got ${show(value)}`);
      if (value.length < min || value.length > max) {
        fail(field, `must be ${min} to ${max} characters, got ${value.length}`);
      }
      return value;
    },
    encode: (value) => JSON.stringify(value),
  };
}

/** Any string up to `max` characters; longer ones are cut (messages for a log). */
export function message(max: number): ParamType<string> {
  return {
    describe: 'a string',
    decode(value, field) {
      if (typeof value !== 'string') fail(field, `must be a string, got ${show(value)}`);
      return value.length > max ? value.slice(0, max) : value;
    },
    encode: (value) => JSON.stringify(value),
  };
}

export const BOOL: ParamType<boolean> = {
  describe: 'true or false',
  decode(value, field) {
    if (typeof value !== 'boolean') fail(field, `must be true or false, got ${show(value)}`);
    return value;
  },
  encode: (value) => (value ? 'true' : 'false'),
};

/** A u32 as big-endian hex (notify: 1..8 digits; written 8 digits, or unpadded in public-pool's style). */
export const U32_HEX: ParamType<number> = {
  describe: '1 to 8 hex digits',
  decode: (value, field) => u32FromHex(value, field),
  encode: (value, style) => `"${style?.unpaddedHex ? (value >>> 0).toString(16) : u32ToHex(value)}"`,
};

/** notify's word-swapped prev hash, decoded to header byte order. */
export const PREV_HASH: ParamType<Uint8Array> = {
  describe: '64 hex digits',
  decode: (value, field) => prevHashFromNotify(value as string, field),
  encode: (value) => `"${prevHashToNotify(value)}"`,
};

/** Hex bytes, any length up to `maxBytes`. */
export function hex(maxBytes: number): ParamType<Uint8Array> {
  return {
    describe: `hex of up to ${maxBytes} bytes`,
    decode: (value, field) => hexBytes(value, field, undefined, maxBytes),
    encode: (value) => `"${bytesToHex(value)}"`,
  };
}

/** Merkle branches: 32-byte hashes in header order (not word-swapped), at most MAX_MERKLE_BRANCHES. */
export const MERKLE_BRANCHES: ParamType<Uint8Array[]> = {
  describe: `a list of up to ${MAX_MERKLE_BRANCHES} 32-byte hashes`,
  decode(value, field) {
    if (!Array.isArray(value)) fail(field, `must be a list of hashes, got ${show(value)}`);
    if (value.length > MAX_MERKLE_BRANCHES) fail(field, `has ${value.length} branches, at most ${MAX_MERKLE_BRANCHES}`);
    return value.map((v, i) => hexBytes(v, `${field}[${i}]`, 32));
  },
  encode: (value) => `[${value.map((b) => `"${bytesToHex(b)}"`).join(',')}]`,
};

/** A share difficulty: a finite number in [MIN_DIFFICULTY, MAX_DIFFICULTY] (fractions allowed). */
export const DIFFICULTY: ParamType<number> = {
  describe: 'a difficulty',
  decode(value, field) {
    if (typeof value !== 'number' || Number.isNaN(value)) fail(field, `must be a number, got ${show(value)}`);
    if (!(value > 0)) fail(field, `must be above 0, got ${value}`);
    if (!Number.isFinite(value) || value < MIN_DIFFICULTY || value > MAX_DIFFICULTY) {
      fail(field, `${value} is not a believable share difficulty (2^-32 to 2^64)`);
    }
    return value;
  },
  encode: (value) => String(value),
};

/** A version-rolling mask as hex (BIP310: 8 digits; fewer are taken). */
export const MASK_HEX: ParamType<number> = {
  describe: 'a mask of 8 hex digits',
  decode: (value, field) => u32FromHex(value, field),
  encode: (value) => `"${u32ToHex(value)}"`,
};

export const EXTRANONCE1: ParamType<Uint8Array> = {
  describe: `hex of up to ${MAX_EXTRANONCE1_BYTES} bytes`,
  decode: (value, field) => hexBytes(value, field, undefined, MAX_EXTRANONCE1_BYTES),
  encode: (value) => `"${bytesToHex(value)}"`,
};

export const EXTRANONCE2_SIZE: ParamType<number> = {
  describe: `an integer 1 to ${MAX_EXTRANONCE2_SIZE}`,
  decode(value, field) {
    if (typeof value !== 'number' || !Number.isInteger(value)) fail(field, `must be an integer, got ${show(value)}`);
    if (value < 1 || value > MAX_EXTRANONCE2_SIZE) {
      fail(field, `${value} bytes is not a size a device can roll (1 to ${MAX_EXTRANONCE2_SIZE})`);
    }
    return value;
  },
  encode: (value) => String(value),
};

/** A list of short strings (mining.configure's extension names). */
export const NAMES: ParamType<string[]> = {
  describe: 'a list of names',
  decode(value, field) {
    if (!Array.isArray(value) || value.length > 16) fail(field, `must be a list of up to 16 names, got ${show(value)}`);
    return value.map((v, i) => text(1, 64).decode(v, `${field}[${i}]`));
  },
  encode: (value) => JSON.stringify(value),
};

/** A JSON object with primitive members (mining.configure's parameters, its result). */
export const OBJECT: ParamType<Record<string, unknown>> = {
  describe: 'an object',
  decode(value, field) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      fail(field, `must be an object, got ${show(value)}`);
    }
    return value as Record<string, unknown>;
  },
  encode: (value) => JSON.stringify(value),
};

/** Anything (informational fields such as the subscription list). */
export const ANY: ParamType<unknown> = {
  describe: 'any value',
  decode: (value) => value,
  encode: (value) => JSON.stringify(value) ?? 'null',
};

/** client.reconnect's host: a host name, or null/"" for the same one. */
export const HOST_OR_SAME: ParamType<string | null> = {
  describe: 'a host name',
  decode(value, field) {
    if (value === null || value === undefined || value === '') return null;
    if (typeof value !== 'string' || value.length > 253 || !/^[A-Za-z0-9.:[\]_-]+$/.test(value)) {
      fail(field, `must be a host name, got ${show(value)}`);
    }
    return value;
  },
  encode: (value) => JSON.stringify(value),
};

/** client.reconnect's port: a number or numeric string, or null/0 for the same one. */
export const PORT_OR_SAME: ParamType<number | null> = {
  describe: 'a port',
  decode(value, field) {
    if (value === null || value === undefined || value === '' || value === 0) return null;
    const n = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
      fail(field, `must be a port 1..65535, got ${show(value)}`);
    }
    return n;
  },
  encode: (value) => (value === null ? 'null' : String(value)),
};

/** Seconds to wait (client.reconnect), a non-negative number or null. */
export const SECONDS_OR_NONE: ParamType<number | null> = {
  describe: 'seconds',
  decode(value, field) {
    if (value === null || value === undefined) return null;
    const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) fail(field, `must be seconds ≥ 0, got ${show(value)}`);
    return n;
  },
  encode: (value) => (value === null ? 'null' : String(value)),
};

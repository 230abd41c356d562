/**
 * Stratum V1's JSON-RPC-ish envelope: what a line is, and what a pool meant by an answer.
 *
 * Three shapes share one line format and are told apart by their keys, not by `id` (a notification may carry
 * `id: null`, a number, or no id at all; Braiins sends `mining.set_version_mask` with `id: null`, ESP-Miner's
 * tests with `id: 1`):
 *   request / notification  `{"id": N|null, "method": M, "params": [...]}`  → has `method`
 *   response                `{"id": N, "result": R, "error": E}`           → has `result` or `error`
 * Extra keys (`"jsonrpc": "2.0"` from miningcore, ckpool's `reject-reason`) are allowed; a missing `error` key
 * is an absent error.
 *
 * Pools refuse things in at least five shapes, all read by `answerOf` (in ESP-Miner's order):
 *   `"error": [21, "Job not found", ""]`                public-pool and most NOMP-likes
 *   `"error": {"code": 22, "message": "duplicate"}`       JSON-RPC 2.0 (miningcore)
 *   `"error": "Stale"`                                    a bare string (ckpool on malformed submits)
 *   `"result": false, "reject-reason": "Above target"`    ckpool's rejects
 *   `"result": false` / `"result": null` with nothing else
 */
import { Sv1ProtocolError } from './errors.js';

export type Sv1Id = number | string;

/** A method call from the peer: a request when `id` is not null (it may want an answer), else a notification. */
export interface Sv1Request {
  kind: 'request';
  id: Sv1Id | null;
  method: string;
  params: readonly unknown[];
}

export interface Sv1Response {
  kind: 'response';
  id: Sv1Id | null;
  result: unknown;
  error: unknown;
  /** ckpool's `reject-reason` beside `result: false`, when present. */
  rejectReason: unknown;
}

export type Sv1Message = Sv1Request | Sv1Response;

/** Longest reject reason kept (it becomes a statistics key and a log line). */
export const MAX_REASON_CHARS = 160;

/** Parses one line (without its `\n`); throws Sv1ProtocolError `invalid-json` or `not-a-message`. */
export function parseSv1Message(text: string): Sv1Message {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Sv1ProtocolError('invalid-json', `not JSON (${(err as Error).message}): ${excerpt(text)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Sv1ProtocolError('invalid-json', `not a JSON object: ${excerpt(text)}`);
  }
  const o = value as Record<string, unknown>;
  const id = idOf(o.id);
  if ('method' in o) {
    if (typeof o.method !== 'string' || o.method.length === 0 || o.method.length > 64) {
      throw new Sv1ProtocolError('not-a-message', `"method" must be a short string: ${excerpt(text)}`);
    }
    const params = o.params === undefined || o.params === null ? [] : o.params;
    if (!Array.isArray(params)) {
      throw new Sv1ProtocolError('bad-params', `${o.method}: "params" must be an array: ${excerpt(text)}`, o.method);
    }
    return { kind: 'request', id, method: o.method, params };
  }
  if ('result' in o || 'error' in o) {
    return {
      kind: 'response',
      id,
      result: o.result ?? null,
      error: o.error ?? null,
      rejectReason: o['reject-reason'] ?? null,
    };
  }
  throw new Sv1ProtocolError('not-a-message', `neither a method call nor an answer: ${excerpt(text)}`);
}

function idOf(value: unknown): Sv1Id | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') return value;
  return null;
}

/** What an answer says: the result when it succeeded, else the pool's reason and code. */
export type Sv1Answer = { ok: true; result: unknown } | { ok: false; reason: string; code: number | null };

/**
 * Reads an answer in every shape pools use. `falseIsRefusal`: a bare `result: false` (or null) is a refusal
 * (mining.submit, mining.authorize); for other requests it is just the result.
 */
export function answerOf(response: Sv1Response, falseIsRefusal: boolean): Sv1Answer {
  const e = response.error;
  if (e !== null && e !== undefined && e !== false) {
    if (Array.isArray(e)) {
      const code = typeof e[0] === 'number' ? e[0] : null;
      const message = typeof e[1] === 'string' ? e[1] : typeof e[0] === 'string' ? e[0] : JSON.stringify(e);
      return { ok: false, reason: cleanReason(message), code };
    }
    if (typeof e === 'string') return { ok: false, reason: cleanReason(e), code: null };
    if (typeof e === 'object') {
      const o = e as Record<string, unknown>;
      const message = typeof o.message === 'string' ? o.message : JSON.stringify(o);
      return { ok: false, reason: cleanReason(message), code: typeof o.code === 'number' ? o.code : null };
    }
    return { ok: false, reason: cleanReason(String(e)), code: typeof e === 'number' ? e : null };
  }
  if (falseIsRefusal && (response.result === false || response.result === null)) {
    const why = response.rejectReason;
    return {
      ok: false,
      reason: typeof why === 'string' && why.length > 0 ? cleanReason(why) : 'rejected without a reason',
      code: null,
    };
  }
  return { ok: true, result: response.result };
}

/** A reason fit for a log line and a statistics key: printable, one line, bounded. */
export function cleanReason(text: string): string {
  let s = '';
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    s += c < 0x20 || c === 0x7f ? ' ' : ch;
    if (s.length >= MAX_REASON_CHARS) {
      s += '…';
      break;
    }
  }
  s = s.trim();
  return s.length === 0 ? 'rejected without a reason' : s;
}

/** The start of a line for an error message. */
export function excerpt(text: string, max = 120): string {
  const one = text.replace(/[\r\n]+/g, ' ');
  return one.length > max ? `${JSON.stringify(one.slice(0, max))}… (${text.length} characters)` : JSON.stringify(one);
}

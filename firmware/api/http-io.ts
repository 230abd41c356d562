/**
 * Small HTTP helpers the API's routes share: the error type every refusal throws, JSON replies with the CORS
 * headers AxeOS pages expect, and a capped JSON body reader.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A refusal with its HTTP status; the message is what the client (and the AxeOS UI) shows. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * CORS on every `/api/*` reply, as ESP-Miner sends on its successful ones: another device's AxeOS swarm page
 * reads this device's info and posts restart/identify/pause to it. Writes still pass the access check (origin or
 * token), so the headers let a page read, not act.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Authorization',
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...CORS_HEADERS,
    ...headers,
  });
  res.end(text);
}

/**
 * An error body both readers understand: the AxeOS UI shows `message` (any other object reads "An unknown error
 * occurred"), hashaxe's own CLI reads `error`.
 */
export function errorBody(message: string): { message: string; error: string } {
  return { message, error: message };
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...CORS_HEADERS,
    ...headers,
  });
  res.end(text);
}

/**
 * Reads a JSON body of at most `limit` bytes. A body over the limit is refused with 413 as soon as it is known
 * (by Content-Length or while reading). A parse failure says where it failed, never what the value was: a
 * 5,000-deep nest must not come back as a 5 kB echo, nor crash a formatter.
 */
export function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    return Promise.reject(new HttpError(413, `request body over ${limit} bytes`, { Connection: 'close' }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, `request body over ${limit} bytes`, { Connection: 'close' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(new HttpError(400, `request body: ${err.message}`));
      }
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        reject(new HttpError(400, 'empty body: send a JSON object'));
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        // V8's message names a position and at most a few characters of the input: safe to pass on, bounded.
        reject(new HttpError(400, `invalid JSON: ${String((err as Error).message).slice(0, 120)}`));
        return;
      }
      const depth = jsonDepth(value, MAX_JSON_DEPTH);
      if (depth > MAX_JSON_DEPTH) {
        reject(new HttpError(400, `JSON nested deeper than ${MAX_JSON_DEPTH} levels; settings are at most 3 deep`));
        return;
      }
      resolve(value);
    });
  });
}

/** No AxeOS request nests deeper than 3 (`pools[i].field`); 16 leaves room and bounds every later walk. */
export const MAX_JSON_DEPTH = 16;

/** The nesting depth of a parsed JSON value, counted without recursion and given up past `stopAt`. */
export function jsonDepth(value: unknown, stopAt: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    if (max > stopAt) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth]);
  }
  return max;
}

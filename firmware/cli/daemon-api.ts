import { UsageError, WorkError } from './command.js';

/**
 * How the operator commands (status, fan, voltage, freq) reach the running daemon's HTTP API.
 * `--api` or HASHAXE_API picks the daemon (default http://127.0.0.1:4028), `--token` or HASHAXE_TOKEN
 * authorises changes when the daemon has a token.
 */
export const DEFAULT_API_URL = 'http://127.0.0.1:4028';

export const API_OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const API_USAGE = `Daemon options:
  --api URL       the daemon's API (default $HASHAXE_API or ${DEFAULT_API_URL})
  --token TOKEN   bearer token for changes (default $HASHAXE_TOKEN)
  --timeout MS    give up after MS milliseconds (default 30000)
  --json          print one JSON object`;

export interface ApiTarget {
  url: URL;
  token: string | null;
  timeoutMs: number;
}

export function apiTarget(
  values: { api?: string; token?: string; timeout?: string },
  env: NodeJS.ProcessEnv = process.env,
): ApiTarget {
  const raw = values.api ?? env.HASHAXE_API ?? DEFAULT_API_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--api must be a URL like ${DEFAULT_API_URL}, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--api must be an http:// URL, got ${JSON.stringify(raw)}`);
  }
  let timeoutMs = 30_000;
  if (values.timeout !== undefined) {
    timeoutMs = Number(values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000) {
      throw new UsageError(
        `--timeout must be whole milliseconds between 100 and 600000, got ${JSON.stringify(values.timeout)}`,
      );
    }
  }
  const token = values.token ?? env.HASHAXE_TOKEN ?? null;
  return { url, token: token === '' ? null : token, timeoutMs };
}

export interface ApiReply {
  status: number;
  body: unknown;
}

/** One request to the daemon. Unreachable, timed out or not JSON → WorkError (exit 1) naming the URL. */
export async function callDaemon(
  target: ApiTarget,
  method: 'GET' | 'PATCH' | 'POST',
  path: string,
  body: unknown,
  signal: AbortSignal,
): Promise<ApiReply> {
  const url = new URL(path, target.url);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (target.token !== null && method !== 'GET') headers.Authorization = `Bearer ${target.token}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(target.timeoutMs)]),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } };
    const cause = e.cause;
    const why =
      e.name === 'TimeoutError'
        ? `no answer in ${target.timeoutMs} ms`
        : e.name === 'AbortError'
          ? 'interrupted'
          : (cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? e.message);
    throw new WorkError(
      `cannot reach the hashaxe daemon at ${target.url.origin}: ${why}; is it running (hashaxe mine) and is --api right?`,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    throw new WorkError(
      `${url.href} answered ${response.status} with something that is not JSON; is --api a hashaxe daemon?`,
    );
  }
  return { status: response.status, body: parsed };
}

/** Turns a non-2xx reply into the CLI's error: 400 = bad input (exit 2), anything else = refused (exit 1). */
export function raiseForStatus(reply: ApiReply): void {
  if (reply.status >= 200 && reply.status < 300) return;
  const msg =
    typeof reply.body === 'object' &&
    reply.body !== null &&
    typeof (reply.body as { error?: unknown }).error === 'string'
      ? (reply.body as { error: string }).error
      : `HTTP ${reply.status}`;
  if (reply.status === 400) throw new UsageError(`the daemon refused: ${msg}`);
  if (reply.status === 401 || reply.status === 403) throw new WorkError(`not allowed: ${msg}`);
  throw new WorkError(`the daemon refused (HTTP ${reply.status}): ${msg}`);
}

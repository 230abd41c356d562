/**
 * The dashboard's calls to its own daemon. Writes carry the API token when one is set; the token is asked once
 * (when the daemon answers 401) and kept for this browser session only (sessionStorage: gone when the tab
 * closes, never readable by another site).
 */

const TOKEN_KEY = 'hashaxe.apiToken';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Private mode without storage: the token lives until the page reloads.
  }
  memoryToken = token;
}

let memoryToken: string | null = storedToken();

/** Calls the API; a refusal throws ApiError with the daemon's own reason. */
export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && memoryToken !== null) headers.Authorization = `Bearer ${memoryToken}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'the daemon does not answer (is hashaxe running?)');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  if (!res.ok) {
    const message =
      typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string'
        ? (json as { message: string }).message
        : text || res.statusText;
    throw new ApiError(res.status, message);
  }
  return json as T;
}

/**
 * Stratum V1 pool addresses as users write them: `stratum+tcp://host:port` (plain), `stratum+ssl://host:port`
 * or `stratum+tls://host:port` (TLS; both spellings are in use). NiceHash's `#xnsub` suffix (extranonce
 * subscription wanted) is understood. One parser for the client, the config and the CLI.
 */

export class Sv1UrlError extends Error {
  override readonly name = 'Sv1UrlError';
}

export interface Sv1Endpoint {
  host: string;
  port: number;
  tls: boolean;
  /** The URL asked for mining.extranonce.subscribe (`#xnsub`). */
  extranonceSubscribe: boolean;
}

export const SV1_SCHEMES = ['stratum+tcp', 'stratum+ssl', 'stratum+tls'] as const;

/** The URL's scheme in lower case ('' when it has none). */
export function urlScheme(url: string): string {
  return /^([a-z0-9+.-]+):\/\//i.exec(url.trim())?.[1]?.toLowerCase() ?? '';
}

export function isSv1Scheme(scheme: string): boolean {
  return (SV1_SCHEMES as readonly string[]).includes(scheme);
}

/** Parses a V1 pool URL; the error names what is wrong and what to write instead. */
export function parseSv1Url(text: string): Sv1Endpoint {
  const trimmed = text.trim();
  const scheme = urlScheme(trimmed);
  if (scheme === '') {
    throw new Sv1UrlError(`pool URL ${JSON.stringify(trimmed)} needs a scheme: stratum+tcp://host:port`);
  }
  if (!isSv1Scheme(scheme)) {
    throw new Sv1UrlError(
      `unknown pool URL scheme ${scheme}://; a Stratum V1 pool is stratum+tcp://host:port (stratum+ssl:// for TLS)`,
    );
  }
  let rest = trimmed.slice(scheme.length + 3);
  let extranonceSubscribe = false;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const fragment = rest.slice(hash + 1);
    if (fragment.toLowerCase() !== 'xnsub') {
      throw new Sv1UrlError(`pool URL ${JSON.stringify(trimmed)}: unknown suffix #${fragment} (only #xnsub is known)`);
    }
    extranonceSubscribe = true;
    rest = rest.slice(0, hash);
  }
  rest = rest.replace(/\/+$/, '');
  if (rest.includes('/')) {
    throw new Sv1UrlError(`pool URL ${JSON.stringify(trimmed)} has a path; a V1 URL is only host:port`);
  }
  if (rest.includes('@')) {
    throw new Sv1UrlError(
      `pool URL ${JSON.stringify(trimmed)} carries a user: put the worker in "user" (--user) and the password in "password"`,
    );
  }
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9a-f:.]+)\](?::(.*))?$/i.exec(rest);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (host === '' || !/^[A-Za-z0-9.:_-]+$/.test(host)) {
    throw new Sv1UrlError(`pool URL ${JSON.stringify(trimmed)} has no valid host`);
  }
  if (portText === undefined || portText === '') {
    throw new Sv1UrlError(`pool URL ${JSON.stringify(trimmed)} has no port; V1 pools usually listen on :3333`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new Sv1UrlError(`pool URL port ${JSON.stringify(portText)} must be 1..65535`);
  }
  return { host, port: Number(portText), tls: scheme !== 'stratum+tcp', extranonceSubscribe };
}

/** The URL for an endpoint (IPv6 hosts bracketed). */
export function formatSv1Url(host: string, port: number, tls = false): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'stratum+ssl' : 'stratum+tcp'}://${h}:${port}`;
}

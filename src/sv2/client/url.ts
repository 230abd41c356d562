/**
 * Pool addresses as users write them: `sv2+tcp://host:port[/authority-key]`. The spec's own form
 * `stratum2+tcp://` is accepted too. One parser for the client, the daemon config and the CLI.
 */
import { AuthorityKeyError, parseAuthorityKey } from '../noise/authority-key.js';

export class Sv2UrlError extends Error {
  override readonly name = 'Sv2UrlError';
}

export interface Sv2Endpoint {
  host: string;
  port: number;
  /** The x-only authority key from the URL path, or null when the URL names none. */
  authorityKey: Uint8Array | null;
  /** The key as written (base58check), for logs and config round trips. */
  authorityKeyText: string | null;
}

const SCHEMES = ['sv2+tcp:', 'stratum2+tcp:'];

/** Parses an SV2 pool URL; the error names the part that is wrong and what to write instead. */
export function parseSv2Url(text: string): Sv2Endpoint {
  const trimmed = text.trim();
  const scheme = /^([a-z0-9+.-]+:)\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new Sv2UrlError(`pool URL ${JSON.stringify(trimmed)} needs a scheme: sv2+tcp://host:port[/authority-key]`);
  }
  if (scheme === 'stratum+tcp:' || scheme === 'stratum+ssl:') {
    throw new Sv2UrlError(`${scheme}// is Stratum V1; an SV2 pool URL looks like sv2+tcp://host:port/authority-key`);
  }
  if (!SCHEMES.includes(scheme)) {
    throw new Sv2UrlError(`unknown pool URL scheme ${scheme}//; use sv2+tcp://host:port[/authority-key]`);
  }
  const rest = trimmed.slice(scheme.length + 2);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9a-f:.]+)\](?::(.*))?$/i.exec(authority);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else {
    const colon = authority.lastIndexOf(':');
    host = colon < 0 ? authority : authority.slice(0, colon);
    portText = colon < 0 ? undefined : authority.slice(colon + 1);
  }
  if (host === '' || /[\s/@]/.test(host)) {
    throw new Sv2UrlError(`pool URL ${JSON.stringify(trimmed)} has no valid host`);
  }
  if (portText === undefined || portText === '') {
    throw new Sv2UrlError(`pool URL ${JSON.stringify(trimmed)} has no port; SV2 pools usually listen on :34254`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new Sv2UrlError(`pool URL port ${JSON.stringify(portText)} must be 1..65535`);
  }
  let authorityKey: Uint8Array | null = null;
  if (path !== '') {
    try {
      authorityKey = parseAuthorityKey(path);
    } catch (err) {
      if (err instanceof AuthorityKeyError) throw new Sv2UrlError(`pool URL: ${err.message}`);
      throw err;
    }
  }
  return { host, port: Number(portText), authorityKey, authorityKeyText: path === '' ? null : path };
}

/** The URL for an endpoint (IPv6 hosts bracketed). */
export function formatSv2Url(host: string, port: number, authorityKeyText?: string | null): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `sv2+tcp://${h}:${port}${authorityKeyText ? `/${authorityKeyText}` : ''}`;
}

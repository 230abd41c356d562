/**
 * The owner's node as users write it: `http://[USER:PASS@]HOST[:PORT]` (Bitcoin Core's RPC has no TLS), with the
 * credentials kept apart from the address so logs and the API never show them. Cookie files (`--rpc-cookie`)
 * are read here too: Core writes `__cookie__:<hex>` into its data dir at every start.
 */
import { readFileSync } from 'node:fs';
import { TemplateSourceError } from '../template-source.js';

export interface NodeEndpoint {
  host: string;
  port: number;
  /** `http://host:port`, no credentials: what logs, the status line and the API show. */
  display: string;
  /** user:password from the URL, when given. */
  credentials: { user: string; password: string } | null;
}

/** Core's default RPC ports, for the message when a port is missing. */
export const DEFAULT_RPC_PORTS = { main: 8332, test: 18332, testnet4: 48332, signet: 38332, regtest: 18443 } as const;

/** Parses a node URL; TemplateSourceError('config') says what is wrong. The port defaults to mainnet's 8332. */
export function parseNodeUrl(text: string): NodeEndpoint {
  const t = text.trim();
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(t);
  if (m === null)
    throw new TemplateSourceError(
      'config',
      `node URL ${JSON.stringify(redactCredentials(t))} must look like http://[USER:PASS@]HOST:PORT`,
    );
  const scheme = m[1].toLowerCase();
  if (scheme === 'https') {
    throw new TemplateSourceError(
      'config',
      "Bitcoin Core's RPC speaks plain HTTP (no TLS): use http:// to a node on this machine or your LAN",
    );
  }
  if (scheme !== 'http') throw new TemplateSourceError('config', `node URL scheme ${scheme}:// is not http://`);
  let rest = m[2].replace(/\/+$/, '');
  if (rest.includes('/')) throw new TemplateSourceError('config', 'node URL must have no path (http://HOST:PORT)');
  let credentials: NodeEndpoint['credentials'] = null;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    if (colon <= 0) throw new TemplateSourceError('config', 'node URL credentials must be USER:PASSWORD@');
    credentials = { user: safeDecode(auth.slice(0, colon)), password: safeDecode(auth.slice(colon + 1)) };
  }
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d*))?$/.exec(rest);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else {
    const colon = rest.lastIndexOf(':');
    host = colon < 0 ? rest : rest.slice(0, colon);
    portText = colon < 0 ? undefined : rest.slice(colon + 1);
  }
  if (host === '' || !/^[A-Za-z0-9.:-]+$/.test(host))
    throw new TemplateSourceError('config', 'node URL has no valid host');
  let port: number = DEFAULT_RPC_PORTS.main;
  if (portText !== undefined && portText !== '') {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new TemplateSourceError('config', `node URL port ${JSON.stringify(portText)} must be 1..65535`);
    }
    port = Number(portText);
  }
  const h = host.includes(':') ? `[${host}]` : host;
  return { host, port, display: `http://${h}:${port}`, credentials };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The URL with any `user:pass@` replaced, for messages. */
export function redactCredentials(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

/**
 * Reads Core's cookie file: one line `USER:PASSWORD` (`__cookie__:<64 hex>`). Errors say what to fix: the path
 * (network subdirectories), or the permissions (rpccookieperms=group).
 */
export function readCookieFile(path: string): { user: string; password: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new TemplateSourceError(
        'config',
        `cookie file ${path} does not exist: is the node running, and is this its data dir? (testnet, signet and regtest keep .cookie in a subdirectory)`,
      );
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new TemplateSourceError(
        'config',
        `cookie file ${path} is not readable by this user: add rpccookieperms=group to bitcoin.conf and this user to the node's group`,
      );
    }
    throw new TemplateSourceError('config', `cookie file ${path} cannot be read (${code ?? String(err)})`);
  }
  const line = text.split(/\r?\n/)[0]?.trim() ?? '';
  const colon = line.indexOf(':');
  if (colon <= 0 || colon === line.length - 1 || line.length > 1024) {
    throw new TemplateSourceError('config', `cookie file ${path} does not hold USER:PASSWORD (is it Core's .cookie?)`);
  }
  return { user: line.slice(0, colon), password: line.slice(colon + 1) };
}

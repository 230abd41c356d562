/**
 * Who may change the device through the API.
 *
 * Reads are open: AxeOS swarm pages, pyasic and Home Assistant poll without credentials. A write (any method
 * but GET, HEAD and OPTIONS) is allowed when
 * - a token is configured and the request carries it (`Authorization: Bearer <token>`, or Basic with the token
 *   as the password, as AxeOS's proposed login sends); with a token set nothing else is enough; or
 * - no token is configured and the request comes from no web page at all (no `Origin`: the CLI, curl, pyasic),
 *   or from a page this daemon served itself (its own origin).
 * Any other page is refused, loopback included: a page on http://127.0.0.1:<another port> or at
 * http://2130706433 (the same address in numeric form) is still another site, and through the operator's
 * browser it must not drive fan, voltage or frequency. Origins are compared after the URL parser normalises
 * them, so every numeric spelling of an address is that address.
 *
 * "Own origin" means: the Origin names this server's port and a host that this machine answers to by itself
 * (a loopback address, one of its interface addresses, `localhost`, its host name or `<host>.local`) and equals
 * the Host the request was sent to. A name pointed at the machine by someone else's DNS (rebinding) is not one
 * of those, so such a page stays another site.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import { HttpError } from './http-io.js';

export interface AccessPolicy {
  /** Null: no token (writes from the own origin or from non-browser clients). */
  token: string | null;
  /** The port the API listens on (an own-origin page names it). */
  port: () => number;
  /** Extra origins the owner trusts to write without the token (e.g. another device's AxeOS swarm page). */
  trustedOrigins?: readonly string[];
  /** Host names this machine answers to by itself; default: `localhost`, the OS host name and `<name>.local`. */
  ownNames?: readonly string[];
  /** Addresses of this machine; default: every interface's. */
  ownAddresses?: () => readonly string[];
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** `scheme://host[:port]` as the URL parser normalises it (numeric IPv4 forms to dotted quads), or null. */
export function normaliseOrigin(origin: string): { origin: string; hostname: string; port: number } | null {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  return { origin: `${u.protocol}//${u.host}`, hostname: u.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port };
}

function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) out.push(i.address.toLowerCase());
  }
  return out;
}

export class AccessControl {
  private readonly tokenDigest: Buffer | null;
  private readonly trusted: Set<string>;
  private readonly names: Set<string>;

  constructor(private readonly policy: AccessPolicy) {
    this.tokenDigest = policy.token === null ? null : digest(policy.token);
    this.trusted = new Set(
      (policy.trustedOrigins ?? []).map((o) => normaliseOrigin(o)?.origin).filter((o): o is string => o !== undefined),
    );
    const host = osHostname().toLowerCase();
    this.names = new Set((policy.ownNames ?? ['localhost', host, `${host}.local`]).map((n) => n.toLowerCase()));
  }

  get tokenRequired(): boolean {
    return this.tokenDigest !== null;
  }

  /** Throws HttpError 401/403 with the reason when `req` may not write. */
  authorizeWrite(req: IncomingMessage): void {
    if (this.tokenDigest !== null) {
      if (this.carriesToken(req)) return;
      throw new HttpError(
        401,
        'this device needs its API token for changes: send "Authorization: Bearer <token>" (hashaxe --token or HASHAXE_TOKEN; the dashboard asks for it)',
        { 'WWW-Authenticate': 'Bearer realm="hashaxe"' },
      );
    }
    const origin = req.headers.origin;
    if (origin === undefined) return;
    if (this.isOwnOrigin(origin, req.headers.host)) return;
    const n = normaliseOrigin(origin);
    if (n !== null && this.trusted.has(n.origin)) return;
    throw new HttpError(
      403,
      `writes from a page on another site (${n?.origin ?? 'an opaque origin'}) are refused: use this device's own dashboard, or set an API token`,
    );
  }

  /** True when the request carries the configured token (false when none is configured). */
  carriesToken(req: IncomingMessage): boolean {
    if (this.tokenDigest === null) return false;
    const auth = req.headers.authorization ?? '';
    let presented: string | null = null;
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
    if (bearer !== null) presented = bearer[1];
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth);
    if (basic !== null) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      presented = colon < 0 ? decoded : decoded.slice(colon + 1);
    }
    return presented !== null && timingSafeEqual(digest(presented), this.tokenDigest);
  }

  /** The page that sent `origin` was served by this daemon (see the file comment). */
  isOwnOrigin(origin: string, hostHeader: string | undefined): boolean {
    const o = normaliseOrigin(origin);
    // This server speaks plain HTTP: an https page is never one it served.
    if (o === null || !o.origin.startsWith('http:') || o.port !== this.policy.port() || hostHeader === undefined)
      return false;
    const h = normaliseOrigin(`http://${hostHeader}`);
    if (h === null || h.hostname !== o.hostname || h.port !== o.port) return false;
    if (isLoopback(o.hostname) || this.names.has(o.hostname)) return true;
    const own = this.policy.ownAddresses?.() ?? interfaceAddresses();
    return own.includes(o.hostname);
  }
}

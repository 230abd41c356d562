/**
 * Pools as AxeOS shows and edits them, and as the daemon's failover list holds them.
 *
 * AxeOS keeps up to 8 pool slots (ids 0–7), each a bare host, a port, a user and a protocol ("SV1"/"SV2"), and
 * names a primary and a secondary slot. hashaxe mines over an ordered failover list of pool URLs. The table here
 * is the bridge: slots are read from the configured URLs (`sv2+tcp://host:port/key` is SV2, `stratum+tcp://` and
 * `stratum+ssl://` are V1), and a PATCH from the AxeOS pool page becomes a new failover list: the primary first,
 * the secondary next, then the other slots by id. The daemon restarts its upstream with that list or refuses the
 * change with the reason; nothing is stored that is not used.
 */
import type { ChannelChoice } from '../../src/config/miner-config.js';
import type { UpstreamPool } from '../daemon/upstream.js';
import { HttpError } from './http-io.js';

export type AxeosProtocol = 'SV1' | 'SV2';

export interface PoolSlot {
  id: number;
  protocol: AxeosProtocol;
  /** Bare host: no scheme, no port (what the AxeOS pool form accepts). */
  host: string;
  port: number;
  user: string;
  /** V1's password ("x" by default); SV2 has none. Never reported back (AxeOS shows "*****"). */
  password: string;
  /** SV2: the pool's authority public key (base58check), "" when none. */
  authorityKey: string;
  /** 0 plain, 1 TLS checked against the system store, 2 TLS also trusting `cert` (V1 over TLS). */
  tls: number;
  /** tls 2: the PEM certificate trusted for this pool (AxeOS `stratumCert`), "" otherwise. */
  cert: string;
  /** SV2: the channel kind asked for (AxeOS knows "standard"/"extended"; a config may say "auto"). */
  channel: ChannelChoice;
  /** V1: mining.suggest_difficulty after authorize; 0 = none. */
  suggestedDifficulty: number;
  /** V1: mining.extranonce.subscribe (NiceHash). */
  extranonceSubscribe: boolean;
}

export interface PoolTable {
  slots: PoolSlot[];
  primaryIndex: number;
  secondaryIndex: number;
  /** AxeOS `useFallbackStratum`: the secondary is tried first. */
  useFallback: boolean;
}

export const MAX_POOL_SLOTS = 8;
const MASKED_PASSWORD = '*****';

/** The scheme hashaxe uses for a slot (the job source factory picks the adapter by it). */
export function poolUrl(slot: PoolSlot): string {
  const host = slot.host.includes(':') ? `[${slot.host}]` : slot.host;
  if (slot.protocol === 'SV2')
    return `sv2+tcp://${host}:${slot.port}${slot.authorityKey ? `/${slot.authorityKey}` : ''}`;
  return `${slot.tls === 1 ? 'stratum+ssl' : 'stratum+tcp'}://${host}:${slot.port}`;
}

/** A configured pool as a slot; the protocol from the URL's scheme. */
export function slotFromPool(pool: UpstreamPool, id: number): PoolSlot {
  const m = /^([a-z0-9+.-]+):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?(?:\/([^/?#]*))?/i.exec(pool.url);
  const scheme = m?.[1]?.toLowerCase() ?? '';
  const protocol: AxeosProtocol = scheme.startsWith('sv2') ? 'SV2' : 'SV1';
  return {
    id,
    protocol,
    host: (m?.[2] ?? pool.url).replace(/^\[|\]$/g, ''),
    port: m?.[3] !== undefined ? Number(m[3]) : 0,
    user: pool.user,
    password: pool.password ?? 'x',
    authorityKey: pool.authorityKey ?? (protocol === 'SV2' ? (m?.[4] ?? '') : ''),
    tls: scheme.includes('ssl') || scheme.includes('tls') ? (pool.tlsCa ? 2 : 1) : 0,
    cert: pool.tlsCa ?? '',
    channel: pool.channel ?? 'auto',
    suggestedDifficulty: pool.suggestDifficulty ?? 0,
    extranonceSubscribe: pool.extranonceSubscribe ?? false,
  };
}

/** The failover order a table means: primary, secondary, then the rest by id. */
export function failoverOrder(table: PoolTable): PoolSlot[] {
  const byId = new Map(table.slots.map((s) => [s.id, s]));
  const order: PoolSlot[] = [];
  const first = table.useFallback
    ? [table.secondaryIndex, table.primaryIndex]
    : [table.primaryIndex, table.secondaryIndex];
  for (const id of [...first, ...[...byId.keys()].sort((a, b) => a - b)]) {
    const s = byId.get(id);
    if (s !== undefined && !order.includes(s)) order.push(s);
  }
  return order;
}

export function poolsOf(table: PoolTable): UpstreamPool[] {
  return failoverOrder(table).map((s) => ({
    url: poolUrl(s),
    user: s.user,
    authorityKey: s.protocol === 'SV2' && s.authorityKey !== '' ? s.authorityKey : null,
    ...(s.protocol === 'SV2' ? { channel: s.channel } : {}),
    ...(s.protocol === 'SV1'
      ? {
          password: s.password,
          suggestDifficulty: s.suggestedDifficulty > 0 ? s.suggestedDifficulty : null,
          extranonceSubscribe: s.extranonceSubscribe,
          tlsCa: s.tls === 2 && s.cert !== '' ? s.cert : null,
        }
      : {}),
  }));
}

/** What the daemon reports live about the pool it mines on (from `Upstream.state`). */
export interface LivePool {
  slotId: number;
  channelKind: string | null;
}

/** One slot as AxeOS's `pools[]` entry. */
export function axeosPool(slot: PoolSlot, live: LivePool | null): Record<string, unknown> {
  const channel = live !== null && live.slotId === slot.id ? live.channelKind : null;
  return {
    id: slot.id,
    stratumProtocol: slot.protocol,
    stratumURL: slot.host,
    stratumPort: slot.port,
    stratumUser: slot.user,
    stratumPassword: MASKED_PASSWORD,
    stratumSuggestedDifficulty: slot.suggestedDifficulty,
    stratumExtranonceSubscribe: slot.extranonceSubscribe,
    stratumTLS: slot.tls,
    stratumCert: slot.cert,
    stratumDecodeCoinbase: true,
    // The kind in use while this slot mines; otherwise what it asks for ("auto" tries extended first).
    stratumV2ChannelType: (channel ?? slot.channel) === 'standard' ? 'standard' : 'extended',
    stratumV2AuthorityPubkey: slot.authorityKey,
    stratumV2RequireAuth: slot.protocol === 'SV2' && slot.authorityKey !== '',
  };
}

/** The legacy flat `stratum*` / `fallbackStratum*` copies of a slot (pyasic reads these directly). */
export function flatPoolFields(
  prefix: 'stratum' | 'fallbackStratum',
  slot: PoolSlot | undefined,
  live: LivePool | null = null,
): Record<string, unknown> {
  const p = slot === undefined ? null : axeosPool(slot, live);
  return {
    [`${prefix}URL`]: slot?.host ?? '',
    [`${prefix}Port`]: slot?.port ?? 0,
    [`${prefix}User`]: slot?.user ?? '',
    [`${prefix}SuggestedDifficulty`]: slot?.suggestedDifficulty ?? 0,
    [`${prefix}ExtranonceSubscribe`]: slot?.extranonceSubscribe ?? false,
    [`${prefix}TLS`]: slot?.tls ?? 0,
    [`${prefix}Cert`]: slot?.cert ?? '',
    [`${prefix}DecodeCoinbase`]: true,
    [`${prefix}Protocol`]: slot?.protocol ?? 'SV1',
    [`${prefix}V2AuthorityPubkey`]: slot?.authorityKey ?? '',
    [`${prefix}V2ChannelType`]: p?.stratumV2ChannelType ?? 'standard',
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short, bounded description of a JSON value for an error message (never the value itself in full). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v.length > 40 ? `a ${v.length}-character string` : JSON.stringify(v);
  return String(v);
}

function str(o: Record<string, unknown>, key: string, where: string, min: number, max: number): string | undefined {
  if (!(key in o)) return undefined;
  const v = o[key];
  if (typeof v !== 'string' || v.length < min || v.length > max) {
    throw new HttpError(
      400,
      `${where}.${key} must be a string of ${min} to ${max} characters, got ${describeValue(v)}`,
    );
  }
  return v;
}

function flagValue(o: Record<string, unknown>, key: string, where: string): boolean | undefined {
  if (!(key in o)) return undefined;
  const v = o[key];
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new HttpError(400, `${where}.${key} must be true/false or 1/0, got ${describeValue(v)}`);
}

/**
 * One AxeOS pool object applied over `prior` (the slot's current value, if any). The URL may be a bare host (what
 * the pool page sends) or, leniently, a full `stratum+tcp://host:port` (what pyasic writes): its scheme and port
 * then count.
 */
export function parsePoolObject(o: unknown, id: number, prior: PoolSlot | undefined): PoolSlot {
  const where = `pools[${id}]`;
  if (!isObject(o)) throw new HttpError(400, `${where} must be an object`);
  let host = str(o, 'stratumURL', where, 1, 255) ?? prior?.host;
  let port: number | undefined;
  if ('stratumPort' in o) {
    const p = o.stratumPort;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) {
      throw new HttpError(400, `${where}.stratumPort must be a whole number from 1 to 65535, got ${describeValue(p)}`);
    }
    port = p;
  } else {
    port = prior?.port;
  }
  let protocol: AxeosProtocol = prior?.protocol ?? 'SV1';
  if ('stratumProtocol' in o) {
    const v = o.stratumProtocol;
    if (v !== 'SV1' && v !== 'SV2')
      throw new HttpError(400, `${where}.stratumProtocol must be "SV1" or "SV2", got ${describeValue(v)}`);
    protocol = v;
  }
  let tls = prior?.tls ?? 0;
  if ('stratumTLS' in o) {
    const v = o.stratumTLS;
    if (v !== 0 && v !== 1 && v !== 2 && v !== true && v !== false) {
      throw new HttpError(400, `${where}.stratumTLS must be 0, 1 or 2, got ${describeValue(v)}`);
    }
    tls = v === true ? 1 : v === false ? 0 : v;
  }
  const cert = str(o, 'stratumCert', where, 0, 3000) ?? prior?.cert ?? '';
  if (tls === 2 && !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(cert)) {
    throw new HttpError(400, `${where}.stratumTLS 2 needs stratumCert: the pool's PEM certificate (or its CA)`);
  }
  if (host !== undefined) {
    const full = /^([a-z0-9+.-]+):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/i.exec(host.trim());
    if (full !== null) {
      const scheme = full[1].toLowerCase();
      if (scheme.startsWith('sv2')) protocol = 'SV2';
      else if (scheme.startsWith('stratum')) protocol = 'SV1';
      if (scheme.includes('ssl') || scheme.includes('tls')) tls = 1;
      host = full[2].replace(/^\[|\]$/g, '');
      if (full[3] !== undefined && !('stratumPort' in o)) port = Number(full[3]);
    }
    if (!/^(\[?[0-9a-fA-F:.]+\]?|[A-Za-z0-9.-]+)$/.test(host)) {
      throw new HttpError(
        400,
        `${where}.stratumURL must be a host name or address (no spaces, no path), got ${describeValue(host)}`,
      );
    }
  }
  const user = str(o, 'stratumUser', where, 1, 255) ?? prior?.user;
  if (host === undefined || port === undefined || user === undefined) {
    throw new HttpError(400, `${where} needs stratumURL, stratumPort and stratumUser`);
  }
  const pw = str(o, 'stratumPassword', where, 0, 255);
  const password = pw === undefined ? (prior?.password ?? 'x') : pw === MASKED_PASSWORD ? (prior?.password ?? 'x') : pw;
  const key =
    str(o, 'stratumV2AuthorityPubkey', where, 0, 128) ?? (prior?.protocol === 'SV2' ? prior.authorityKey : '');
  const extranonceSubscribe = flagValue(o, 'stratumExtranonceSubscribe', where) ?? prior?.extranonceSubscribe ?? false;
  flagValue(o, 'stratumDecodeCoinbase', where);
  flagValue(o, 'stratumV2RequireAuth', where);
  let suggestedDifficulty = prior?.suggestedDifficulty ?? 0;
  if ('stratumSuggestedDifficulty' in o) {
    const d = o.stratumSuggestedDifficulty;
    if (typeof d !== 'number' || !Number.isFinite(d) || d < 0 || d > 1e18) {
      throw new HttpError(
        400,
        `${where}.stratumSuggestedDifficulty must be a number from 0 to 1e18, got ${describeValue(d)}`,
      );
    }
    suggestedDifficulty = d;
  }
  let channel: ChannelChoice = prior?.channel ?? 'auto';
  if ('stratumV2ChannelType' in o) {
    const v = o.stratumV2ChannelType;
    if (v !== 'standard' && v !== 'extended') {
      throw new HttpError(
        400,
        `${where}.stratumV2ChannelType must be "standard" or "extended", got ${describeValue(v)}`,
      );
    }
    // "extended" is what AxeOS shows for auto too: keep auto (extended first, standard when refused) unless changed.
    if (!(v === 'extended' && channel === 'auto')) channel = v;
  }
  if (protocol === 'SV2' && key === '') {
    throw new HttpError(
      400,
      `${where}: an SV2 pool needs its authority public key (stratumV2AuthorityPubkey), so its certificate can be checked`,
    );
  }
  return {
    id,
    protocol,
    host,
    port,
    user,
    password,
    authorityKey: protocol === 'SV2' ? key : '',
    tls: protocol === 'SV1' ? tls : 0,
    cert: protocol === 'SV1' && tls === 2 ? cert : '',
    channel,
    suggestedDifficulty,
    extranonceSubscribe,
  };
}

function index(o: Record<string, unknown>, key: string): number | undefined {
  if (!(key in o)) return undefined;
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= MAX_POOL_SLOTS) {
    throw new HttpError(400, `${key} must be a pool slot from 0 to ${MAX_POOL_SLOTS - 1}, got ${describeValue(v)}`);
  }
  return v;
}

/** The pool keys of a PATCH /api/system body, or null when it names none. */
export const POOL_PATCH_KEYS = ['pools', 'primaryPoolIndex', 'secondaryPoolIndex', 'useFallbackStratum'] as const;

/**
 * A PATCH body's pool part applied to `table`: every pool checked before anything changes. Returns null when
 * the body has no pool keys. The indexes must name configured slots.
 */
export function applyPoolPatch(body: Record<string, unknown>, table: PoolTable): PoolTable | null {
  if (!POOL_PATCH_KEYS.some((k) => k in body)) return null;
  const slots = new Map(table.slots.map((s) => [s.id, s]));
  if ('pools' in body) {
    const list = body.pools;
    if (!Array.isArray(list)) throw new HttpError(400, 'pools must be an array of pool objects');
    if (list.length > MAX_POOL_SLOTS) throw new HttpError(400, `at most ${MAX_POOL_SLOTS} pools`);
    list.forEach((p, i) => {
      const id = isObject(p) && 'id' in p ? p.id : i;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_POOL_SLOTS) {
        throw new HttpError(
          400,
          `pools[${i}].id must be a slot from 0 to ${MAX_POOL_SLOTS - 1}, got ${describeValue(id)}`,
        );
      }
      slots.set(id, parsePoolObject(p, id, slots.get(id)));
    });
  }
  const primaryIndex = index(body, 'primaryPoolIndex') ?? table.primaryIndex;
  const secondaryIndex = index(body, 'secondaryPoolIndex') ?? table.secondaryIndex;
  if (!slots.has(primaryIndex)) throw new HttpError(400, `primaryPoolIndex ${primaryIndex} names an empty pool slot`);
  // Forcing the fallback: the secondary is tried first (AxeOS applies it at its next restart; here at once).
  const useFallback = flagValue(body, 'useFallbackStratum', 'settings') ?? table.useFallback;
  return {
    slots: [...slots.values()].sort((a, b) => a.id - b.id),
    primaryIndex,
    secondaryIndex: slots.has(secondaryIndex) ? secondaryIndex : primaryIndex,
    useFallback,
  };
}

/** A slot removed (DELETE /api/system/pools/{i}); the primary and secondary cannot be. */
export function removePoolSlot(table: PoolTable, id: number): PoolTable {
  if (!Number.isInteger(id) || id < 0 || id >= MAX_POOL_SLOTS) throw new HttpError(400, 'Invalid pool index');
  if (id === table.primaryIndex || id === table.secondaryIndex) {
    throw new HttpError(
      400,
      `pool ${id} is the ${id === table.primaryIndex ? 'primary' : 'secondary'} pool; choose another first`,
    );
  }
  return { ...table, slots: table.slots.filter((s) => s.id !== id) };
}

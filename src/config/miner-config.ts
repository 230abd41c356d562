import { AddressError, type Chain, parseAddress, parseChain } from '../bitcoin/address.js';
import { parseSv1Url } from '../sv1/url.js';
import { hasControlCharacter } from '../util/printable.js';
import { parseScale } from '../util/units.js';
import { JsonFileProblem, readJsonFile } from './json-file.js';
import { ConfigFieldError, describe, type Json, JsonReader, join } from './json-reader.js';

/**
 * Where the chain is: an emulated chain in-process, the board file's own UART (`board`: what a Pi install
 * uses), a serial device / pty, or a ser2net-style TCP port.
 */
export type PortSpec =
  | { kind: 'emulated' }
  | { kind: 'board' }
  | { kind: 'serial'; path: string }
  | { kind: 'tcp'; url: string };

/**
 * Which SV2 channel to open: `extended` (the device builds the coinbase and rolls an extranonce; what ESP-Miner,
 * SRI's proxies and most pools use), `standard` (header-only), or `auto`: extended, falling back to standard when
 * the pool refuses it, and the other way round.
 */
export type ChannelChoice = 'extended' | 'standard' | 'auto';
export const CHANNEL_CHOICES: readonly ChannelChoice[] = ['auto', 'extended', 'standard'];

/**
 * One pool. SV2 (`sv2+tcp://host:port[/authority-key]`) and Stratum V1 (`stratum+tcp://host:port`,
 * `stratum+ssl://` / `stratum+tls://` for TLS) mix freely in the failover list; the fields only one protocol
 * knows are refused on the other, naming the field.
 */
export interface PoolSpec {
  url: string;
  /** SV2: this pool's channel kind; absent or null = the top-level `channel`. */
  channel?: ChannelChoice | null;
  /** Worker name (SV2 OpenMiningChannel, V1 mining.authorize); falls back to the top-level `user`. */
  user: string | null;
  /** SV2: overrides the key in the URL. */
  authorityKey: string | null;
  /** V1: mining.authorize's password (default "x"). */
  password?: string | null;
  /** V1: sent as mining.suggest_difficulty after authorize; fractions allowed. */
  suggestDifficulty?: number | null;
  /** V1: send mining.extranonce.subscribe (NiceHash). */
  extranonceSubscribe?: boolean;
  /** V1 over TLS: a PEM file with the pool's self-signed certificate (or its CA), trusted besides the system store. */
  tlsCa?: string | null;
  /** V1: follow client.reconnect to another host (default: the same host only). */
  reconnectToOtherHosts?: boolean;
}

/** The protocol a pool URL speaks, or null when it is neither. */
export function poolProtocol(url: string): 'sv2' | 'sv1' | null {
  if (isSv2Url(url)) return 'sv2';
  try {
    parseSv1Url(url);
    return 'sv1';
  } catch {
    return null;
  }
}

/** What a pool URL must look like, for errors. */
export const POOL_URL_HINT =
  'sv2+tcp://HOST:PORT[/AUTHORITY_KEY] or stratum+tcp://HOST:PORT (stratum+ssl://HOST:PORT for TLS)';

/**
 * Solo mining on the owner's own templates: Bitcoin Core over JSON-RPC, or an SV2 Template Provider. It is the
 * primary upstream; configured pools become its backups.
 */
export interface SoloConfig {
  /** `http://[USER:PASS@]HOST:PORT` of Bitcoin Core, or `local` (the embedded synthetic node). */
  node: string | null;
  /** Core's cookie file (instead of USER:PASS in `node`). */
  rpcCookie: string | null;
  /** `sv2+tcp://HOST:PORT/AUTHORITY_KEY` of a Template Provider, or `local` (the embedded synthetic one). */
  templateProvider: string | null;
  /** Who the blocks pay; required except with `local` (a regtest address is used then). */
  payout: string | null;
  /** The chain: a TP says none (default: from its port, else main); a node's is checked against it. */
  network: Chain | null;
  /** Pushed into the coinbase after the height (printable ASCII, up to 32 bytes). */
  tag: string;
  /** The embedded node / TP: blocks every this many seconds on average at the chips' hash rate. */
  localBlockIntervalSec: number;
}

export type FanMode = 'auto' | 'manual';

export interface SettingsOverrides {
  frequencyMhz?: number;
  voltageMv?: number;
  fanMode?: FanMode;
  fanPercent?: number;
  fanTargetC?: number;
  minFanPercent?: number;
}

export interface MinerConfig {
  /** A shipped board name or a path to a board JSON file. */
  board: string;
  port: PortSpec;
  /** Upstream pools in failover order; empty = the embedded local pool. */
  pools: PoolSpec[];
  /** The channel kind for pools that do not name one, and for the embedded local pool. */
  channel: ChannelChoice;
  user: string;
  settings: SettingsOverrides;
  /**
   * The HTTP API and dashboard. `port` 80 lets another Bitaxe's AxeOS swarm page (which assumes port 80) and
   * pyasic find the device; the Pi service can bind it (CAP_NET_BIND_SERVICE). `trustedOrigins`: pages (e.g.
   * `http://192.168.1.50`, another Bitaxe's AxeOS) allowed to write without the token.
   */
  api: { enabled: boolean; host: string; port: number; token: string | null; trustedOrigins: string[] };
  /** The in-process emulated chain (`port: "emulated"`). */
  emulator: { hashrateHs: number; difficultyScale: number; workers: number };
  /**
   * Chips behind `port` report at ticket × this. 1 for silicon; set it to the scale an external `hashaxe emulate`
   * prints when mining against one.
   */
  difficultyScale: number;
  /** The embedded local pool (used when `pools` is empty), reached over SV2 or, with `protocol: "sv1"`, Stratum V1. */
  localPool: { sharesPerMinute: number; blockIntervalSec: number; jobIntervalSec: number; protocol: 'sv2' | 'sv1' };
  /** How often a status line is printed when stdout is not a terminal (s). */
  statusIntervalSec: number;
  /** Where the all-time best difficulty is kept across restarts; null = nowhere (session figures only). */
  stateFile: string | null;
  /** Solo mining on the owner's templates; null = pools only. */
  solo: SoloConfig | null;
}

/** The solo section's defaults (what `--solo` starts from). */
export const DEFAULT_SOLO_CONFIG: SoloConfig = {
  node: null,
  rpcCookie: null,
  templateProvider: null,
  payout: null,
  network: null,
  tag: '/hashaxe/',
  localBlockIntervalSec: 5,
};

/** The embedded default: an emulated Bitaxe Ultra mining on a local pool. */
export const DEFAULT_MINER_CONFIG: MinerConfig = {
  board: 'bitaxe-ultra',
  port: { kind: 'emulated' },
  pools: [],
  channel: 'auto',
  user: 'hashaxe',
  settings: {},
  api: { enabled: true, host: '127.0.0.1', port: 4028, token: null, trustedOrigins: [] },
  emulator: { hashrateHs: 1_000_000, difficultyScale: 2 ** -21, workers: 1 },
  difficultyScale: 1,
  localPool: { sharesPerMinute: 120, blockIntervalSec: 60, jobIntervalSec: 20, protocol: 'sv2' },
  statusIntervalSec: 10,
  stateFile: null,
  solo: null,
};

const SV2_URL = /^sv2\+tcp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}(\/[1-9A-HJ-NP-Za-km-z]+)?\/?$/;
const USER = /^[\x21-\x7e]{1,255}$/;

/** Parses a port spec as written in the file or on the command line; the error says what is accepted. */
export function parsePortSpec(text: string): PortSpec | string {
  const t = text.trim();
  if (t === 'emulated') return { kind: 'emulated' };
  if (t === 'board') return { kind: 'board' };
  if (t.startsWith('tcp://')) {
    return /^tcp:\/\/[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(t) ? { kind: 'tcp', url: t } : 'must be tcp://HOST:PORT';
  }
  if (t.startsWith('/')) return { kind: 'serial', path: t };
  return 'must be "emulated", "board" (the board file\'s UART), a serial device path such as /dev/ttyAMA0, or tcp://HOST:PORT';
}

/** Checks an SV2 pool URL's shape (the SV2 client parses it fully when it connects). */
export function isSv2Url(text: string): boolean {
  return SV2_URL.test(text.trim());
}

/** Reads and validates a config file; throws ConfigFieldError naming the field (exit 2 in the CLI). */
export function loadMinerConfig(path: string): MinerConfig {
  let json: unknown;
  try {
    json = readJsonFile(path);
  } catch (err) {
    if (err instanceof JsonFileProblem) throw new ConfigFieldError(path, '', err.message);
    throw err;
  }
  return validateMinerConfig(json, path);
}

/** Validates parsed JSON as a config file: absent fields take the embedded defaults. */
export function validateMinerConfig(json: unknown, source: string): MinerConfig {
  const r: JsonReader = new JsonReader(source);
  const keys = [
    'board',
    'port',
    'pools',
    'channel',
    'user',
    'settings',
    'api',
    'emulator',
    'difficultyScale',
    'localPool',
    'statusIntervalSec',
    'stateFile',
    'solo',
  ];
  const root = r.object(json, '', [], keys);
  const d = DEFAULT_MINER_CONFIG;
  const config: MinerConfig = structuredClone(d);
  if ('board' in root) config.board = r.string(root, 'board', '');
  if ('port' in root) {
    const raw = r.string(root, 'port', '');
    const port = parsePortSpec(raw);
    if (typeof port === 'string') r.fail('port', `${port}, got ${JSON.stringify(raw)}`);
    config.port = port;
  }
  if ('user' in root) config.user = r.string(root, 'user', '', USER, '1 to 255 printable ASCII characters');
  if ('pools' in root) {
    const pools = root.pools;
    if (!Array.isArray(pools) || pools.length > 8)
      r.fail('pools', `must be a list of 0 to 8 pools, got ${describe(pools)}`);
    config.pools = pools.map((p, i) => readPool(r, p, join('pools', String(i))));
  }
  if ('channel' in root) config.channel = r.oneOf(root, 'channel', '', CHANNEL_CHOICES);
  if ('settings' in root) config.settings = readSettings(r, root.settings);
  if ('api' in root) {
    const o = r.object(root.api, 'api', [], ['enabled', 'host', 'port', 'token', 'trustedOrigins']);
    if ('enabled' in o) config.api.enabled = r.boolean(o, 'enabled', 'api');
    if ('host' in o)
      config.api.host = r.string(o, 'host', 'api', /^[A-Za-z0-9.:[\]-]{1,253}$/, 'a host name or IP address');
    if ('port' in o) config.api.port = r.number(o, 'port', 'api', { min: 0, max: 65535, integer: true });
    if ('token' in o) {
      config.api.token =
        o.token === null
          ? null
          : r.string(o, 'token', 'api', /^[\x21-\x7e]{16,256}$/, '16 to 256 printable characters');
    }
    if ('trustedOrigins' in o) {
      const list = o.trustedOrigins;
      if (!Array.isArray(list))
        r.fail('api.trustedOrigins', 'must be an array of origins such as "http://192.168.1.50"');
      config.api.trustedOrigins = list.map((v, i) => {
        if (typeof v !== 'string' || !/^https?:\/\/[A-Za-z0-9.[\]:-]{1,253}$/.test(v)) {
          r.fail(
            `api.trustedOrigins[${i}]`,
            'must be an origin such as "http://192.168.1.50" (scheme and host, no path)',
          );
        }
        return v;
      });
    }
  }
  if ('emulator' in root) {
    const o = r.object(root.emulator, 'emulator', [], ['hashrateHs', 'difficultyScale', 'workers']);
    if ('hashrateHs' in o) config.emulator.hashrateHs = r.number(o, 'hashrateHs', 'emulator', { min: 1000, max: 1e9 });
    if ('difficultyScale' in o) config.emulator.difficultyScale = scaleField(r, o, 'difficultyScale', 'emulator');
    if ('workers' in o) config.emulator.workers = r.number(o, 'workers', 'emulator', { min: 0, max: 8, integer: true });
  }
  if ('difficultyScale' in root) config.difficultyScale = scaleField(r, root, 'difficultyScale', '');
  if ('localPool' in root) {
    const o = r.object(
      root.localPool,
      'localPool',
      [],
      ['sharesPerMinute', 'blockIntervalSec', 'jobIntervalSec', 'protocol'],
    );
    const lp = config.localPool;
    if ('sharesPerMinute' in o)
      lp.sharesPerMinute = r.number(o, 'sharesPerMinute', 'localPool', { min: 0.1, max: 6000 });
    if ('blockIntervalSec' in o)
      lp.blockIntervalSec = r.number(o, 'blockIntervalSec', 'localPool', { min: 0, max: 86400 });
    if ('jobIntervalSec' in o) lp.jobIntervalSec = r.number(o, 'jobIntervalSec', 'localPool', { min: 0, max: 86400 });
    if ('protocol' in o) lp.protocol = r.oneOf(o, 'protocol', 'localPool', ['sv2', 'sv1'] as const);
  }
  if ('statusIntervalSec' in root) {
    config.statusIntervalSec = r.number(root, 'statusIntervalSec', '', { min: 1, max: 3600 });
  }
  if ('stateFile' in root) {
    config.stateFile =
      root.stateFile === null ? null : r.string(root, 'stateFile', '', /^[^\0]{1,4096}$/, 'a file path');
  }
  if ('solo' in root) config.solo = root.solo === null ? null : readSolo(r, root.solo);
  return config;
}

const SV1_ONLY = ['password', 'suggestDifficulty', 'extranonceSubscribe', 'tlsCa', 'reconnectToOtherHosts'];

/** One entry of `pools`: the URL decides the protocol, and the fields the other protocol has are refused. */
function readPool(r: JsonReader, value: unknown, path: string): PoolSpec {
  const o = r.object(value, path, ['url'], ['user', 'authorityKey', 'channel', ...SV1_ONLY]);
  const url = r.string(o, 'url', path);
  const protocol = poolProtocol(url);
  if (protocol === null) {
    let why = '';
    if (/^stratum\+/i.test(url.trim())) {
      try {
        parseSv1Url(url);
      } catch (err) {
        why = ` (${(err as Error).message})`;
      }
    }
    r.fail(join(path, 'url'), `must be ${POOL_URL_HINT}, got ${JSON.stringify(url)}${why}`);
  }
  const pool: PoolSpec = {
    url,
    user: 'user' in o ? r.string(o, 'user', path, USER, '1 to 255 printable ASCII characters') : null,
    authorityKey: null,
  };
  if (protocol === 'sv1') {
    if ('authorityKey' in o) r.fail(join(path, 'authorityKey'), 'is for sv2+tcp:// pools; a Stratum V1 pool has none');
    if ('channel' in o) r.fail(join(path, 'channel'), 'is for sv2+tcp:// pools; a Stratum V1 pool has no channels');
    if ('password' in o) {
      const pw = o.password;
      if (typeof pw !== 'string' || pw.length > 255 || hasControlCharacter(pw)) {
        r.fail(join(path, 'password'), `must be a string of up to 255 printable characters, got ${describe(pw)}`);
      }
      pool.password = pw;
    }
    if ('suggestDifficulty' in o) {
      const d = o.suggestDifficulty;
      if (d !== null) {
        if (typeof d !== 'number' || !Number.isFinite(d) || !(d > 0) || d > 1e15) {
          r.fail(join(path, 'suggestDifficulty'), `must be a number above 0 (fractions allowed), got ${describe(d)}`);
        }
        pool.suggestDifficulty = d;
      }
    }
    if ('extranonceSubscribe' in o) pool.extranonceSubscribe = r.boolean(o, 'extranonceSubscribe', path);
    if ('reconnectToOtherHosts' in o) pool.reconnectToOtherHosts = r.boolean(o, 'reconnectToOtherHosts', path);
    if ('tlsCa' in o) {
      if (!parseSv1Url(url).tls) {
        r.fail(join(path, 'tlsCa'), 'is for TLS pools (stratum+ssl:// or stratum+tls://)');
      }
      pool.tlsCa = r.string(o, 'tlsCa', path, /^[^\0]{1,4096}$/, 'a file path');
    }
  } else {
    for (const key of SV1_ONLY) {
      if (key in o) r.fail(join(path, key), 'is for Stratum V1 pools (stratum+tcp://); an SV2 pool has none');
    }
    if ('channel' in o) pool.channel = r.oneOf(o, 'channel', path, CHANNEL_CHOICES);
    if ('authorityKey' in o) {
      pool.authorityKey = r.string(
        o,
        'authorityKey',
        path,
        /^[1-9A-HJ-NP-Za-km-z]{40,60}$/,
        'a base58check authority key',
      );
    }
  }
  return pool;
}

const NODE_URL = /^(local|http:\/\/\S+)$/;
const TAG = /^[\x20-\x7e]{0,32}$/;

function readSolo(r: JsonReader, value: unknown): SoloConfig {
  const o = r.object(
    value,
    'solo',
    [],
    ['node', 'rpcCookie', 'templateProvider', 'payout', 'network', 'tag', 'localBlockIntervalSec'],
  );
  const s: SoloConfig = { ...DEFAULT_SOLO_CONFIG };
  if ('node' in o) s.node = r.string(o, 'node', 'solo', NODE_URL, 'http://[USER:PASS@]HOST:PORT or "local"');
  if ('rpcCookie' in o) s.rpcCookie = r.string(o, 'rpcCookie', 'solo', /^[^\0]{1,4096}$/, 'a file path');
  if ('templateProvider' in o) {
    s.templateProvider = r.string(o, 'templateProvider', 'solo');
    if (s.templateProvider !== 'local' && !isSv2Url(s.templateProvider)) {
      r.fail(
        'solo.templateProvider',
        `must be sv2+tcp://HOST:PORT/AUTHORITY_KEY or "local", got ${JSON.stringify(s.templateProvider)}`,
      );
    }
  }
  if ('payout' in o) {
    s.payout = r.string(o, 'payout', 'solo');
    try {
      parseAddress(s.payout);
    } catch (err) {
      if (err instanceof AddressError) r.fail('solo.payout', err.message);
      throw err;
    }
  }
  if ('network' in o) {
    const text = r.string(o, 'network', 'solo');
    const chain = parseChain(text);
    if (chain === null)
      r.fail('solo.network', `must be main, test, testnet4, signet or regtest, got ${JSON.stringify(text)}`);
    s.network = chain;
  }
  if ('tag' in o) {
    const tag = o.tag;
    if (typeof tag !== 'string' || !TAG.test(tag))
      r.fail('solo.tag', `must be up to 32 printable ASCII characters, got ${describe(tag)}`);
    s.tag = tag;
  }
  if ('localBlockIntervalSec' in o) {
    s.localBlockIntervalSec = r.number(o, 'localBlockIntervalSec', 'solo', { min: 0.5, max: 3600 });
  }
  const problem = soloProblem(s);
  if (problem !== null) r.fail(problem.field === '' ? 'solo' : `solo.${problem.field}`, problem.message);
  return s;
}

/**
 * What is wrong with a solo section as a whole (fields are checked one by one first), or null. `field` is the
 * key to name (empty for the section). Shared by the config file and the command line.
 */
export function soloProblem(s: SoloConfig): { field: string; message: string } | null {
  if ((s.node === null) === (s.templateProvider === null)) {
    return { field: '', message: 'needs exactly one of node (Bitcoin Core RPC) and templateProvider (SV2)' };
  }
  if (s.rpcCookie !== null && s.node === null)
    return { field: 'rpcCookie', message: 'is for a node; a template provider uses its authority key' };
  if (s.rpcCookie !== null && s.node !== null && /\/\/[^/@]*@/.test(s.node)) {
    return { field: 'rpcCookie', message: 'and USER:PASS in node are two ways to log in: give one' };
  }
  const local = s.node === 'local' || s.templateProvider === 'local';
  if (s.node !== null && s.node !== 'local' && s.rpcCookie === null && !/\/\/[^/@]+:[^/@]*@/.test(s.node)) {
    return { field: 'node', message: 'needs USER:PASS (http://USER:PASS@HOST:PORT) or an rpcCookie file to log in' };
  }
  if (s.payout === null && !local) return { field: 'payout', message: 'is required: the address the blocks pay' };
  if (local && s.network !== null && s.network !== 'regtest') {
    return { field: 'network', message: 'must be regtest (or absent) for the local synthetic node' };
  }
  return null;
}

function scaleField(r: JsonReader, o: Json, key: string, path: string): number {
  const value = parseScale(o[key]);
  if (value === null) r.fail(join(path, key), `must be in (0, 1], e.g. 1 or "2^-21", got ${describe(o[key])}`);
  return value;
}

function readSettings(r: JsonReader, value: unknown): SettingsOverrides {
  const o = r.object(value, 'settings', [], ['frequencyMhz', 'voltageMv', 'fan']);
  const s: SettingsOverrides = {};
  // Broad sanity here; the board's own limits are checked once the board is known (checkSettingsForBoard).
  if ('frequencyMhz' in o) s.frequencyMhz = r.number(o, 'frequencyMhz', 'settings', { min: 1, max: 2000 });
  if ('voltageMv' in o) s.voltageMv = r.number(o, 'voltageMv', 'settings', { min: 1, max: 20000, integer: true });
  if ('fan' in o) {
    const f = r.object(o.fan, 'settings.fan', [], ['mode', 'percent', 'targetC', 'minPercent']);
    if ('mode' in f) s.fanMode = r.oneOf(f, 'mode', 'settings.fan', ['auto', 'manual'] as const);
    if ('percent' in f) s.fanPercent = r.number(f, 'percent', 'settings.fan', { min: 0, max: 100 });
    if ('targetC' in f) s.fanTargetC = r.number(f, 'targetC', 'settings.fan', { min: 20, max: 90 });
    if ('minPercent' in f) s.minFanPercent = r.number(f, 'minPercent', 'settings.fan', { min: 0, max: 100 });
  }
  return s;
}

/**
 * The board's own limits for the settings a config file sets, checked before anything touches hardware. `source`
 * names where the settings came from (the file, or a flag).
 */
export function checkSettingsForBoard(
  settings: SettingsOverrides,
  limits: {
    frequencyMhz: { min: number; max: number };
    voltageMv: { min: number; max: number };
    manualFanPercent: { min: number };
  },
  boardName: string,
  source: string,
): void {
  const f = settings.frequencyMhz;
  if (f !== undefined && (f < limits.frequencyMhz.min || f > limits.frequencyMhz.max)) {
    throw new ConfigFieldError(
      source,
      'settings.frequencyMhz',
      `must be between ${limits.frequencyMhz.min} and ${limits.frequencyMhz.max} MHz on ${boardName}, got ${f}`,
    );
  }
  const v = settings.voltageMv;
  if (v !== undefined && (v < limits.voltageMv.min || v > limits.voltageMv.max)) {
    throw new ConfigFieldError(
      source,
      'settings.voltageMv',
      `must be between ${limits.voltageMv.min} and ${limits.voltageMv.max} mV on ${boardName}, got ${v}`,
    );
  }
  const fan = settings.fanPercent;
  if (fan !== undefined && fan < limits.manualFanPercent.min) {
    throw new ConfigFieldError(
      source,
      'settings.fan.percent',
      `must be at least ${limits.manualFanPercent.min} % on ${boardName} (its manual fan floor: slower, the chips ` +
        `can overheat at full power; use "mode": "auto" for a quieter fan), got ${fan}`,
    );
  }
}

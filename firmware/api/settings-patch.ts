import type { BoardDefinition } from '../../src/config/board.js';
import type { FanChange } from '../board/board-control.js';
import {
  BoardLimitError,
  checkFanPercent,
  checkFanTargetC,
  checkFrequencyMhz,
  checkMinFanPercent,
  checkVoltageMv,
} from '../board/limits.js';
import { describeValue, POOL_PATCH_KEYS } from './pool-slots.js';
import type { DevicePreferences } from './system-info.js';

/**
 * A PATCH /api/system body, checked in full: any bad field refuses the whole request (nothing applied).
 * Board settings go to the board control, device preferences to the API's store, pool keys to the daemon (see
 * pool-slots.ts). Every key the AxeOS pages send is either applied or refused with the reason; the only keys
 * accepted without effect are two old names no current page sends (`flipscreen`, `invertfanpolarity`), and the
 * reply lists them under `ignored`.
 */
export interface SettingsPatch {
  fan: FanChange | null;
  voltageMv: number | null;
  frequencyMhz: number | null;
  /** `overheat_mode: 0`: clear the latch (by a checked restart). */
  clearOverheat: boolean;
  preferences: Partial<DevicePreferences>;
  /** The body's pool keys (pools, indexes, fallback, and the legacy flat stratum keys as a pools patch), or null. */
  pools: Record<string, unknown> | null;
  ignored: string[];
}

/** What the device reports now, for the keys that may only be sent back unchanged. */
export interface PatchContext {
  ssid: string;
  hostname: string;
  primaryPoolIndex: number;
  secondaryPoolIndex: number;
}

export class PatchError extends Error {
  override readonly name = 'PatchError';
}

const BOARD_KEYS = [
  'autofanspeed',
  'manualFanSpeed',
  'fanspeed',
  'minFanSpeed',
  'minfanspeed',
  'temptarget',
  'coreVoltage',
  'frequency',
  'overheat_mode',
];
const PREFERENCE_KEYS = ['display', 'rotation', 'invertscreen', 'displayTimeout', 'statsFrequency', 'overclockEnabled'];
const DEVICE_KEYS = ['ssid', 'wifiPass', 'hostname', 'useCustomWWW', 'displayOffset'];
const LEGACY_POOL_KEYS = ['URL', 'Port', 'User', 'Password'].flatMap((k) => [`stratum${k}`, `fallbackStratum${k}`]);
/** Other legacy flat pool keys (AxeOS lists them in its openapi; no page sends them). */
const LEGACY_POOL_EXTRAS = [
  'SuggestedDifficulty',
  'ExtranonceSubscribe',
  'TLS',
  'Cert',
  'DecodeCoinbase',
  'Protocol',
  'V2AuthorityPubkey',
  'V2ChannelType',
  'V2RequireAuth',
].flatMap((k) => [`stratum${k}`, `fallbackStratum${k}`]);
const IGNORED = ['flipscreen', 'invertfanpolarity'];

/** AxeOS display names (the settings form's choices); a Pi has none attached. */
const DISPLAYS = ['NONE', 'SSD1306 (128x32)', 'SSD1309 (128x64)', 'SH1107 (64x128)', 'SH1107 (128x128)'];

/**
 * ESP-Miner looks settings up with cJSON_GetObjectItem, which ignores case, and tools rely on it (pyasic
 * sends "autoFanspeed"). Keys are matched the same way here and rewritten to their canonical spelling
 * (`minfanspeed`, what the AxeOS form sends, is an alias of `minFanSpeed`).
 */
const CANONICAL = new Map<string, string>(
  [
    ...BOARD_KEYS,
    ...PREFERENCE_KEYS,
    ...DEVICE_KEYS,
    ...POOL_PATCH_KEYS,
    ...LEGACY_POOL_KEYS,
    ...LEGACY_POOL_EXTRAS,
    ...IGNORED,
  ].map((k): [string, string] => [k.toLowerCase(), k === 'minfanspeed' ? 'minFanSpeed' : k]),
);

function number(body: Record<string, unknown>, key: string): number | undefined {
  if (!(key in body)) return undefined;
  const v = body[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new PatchError(`${key} must be a number, got ${describeValue(v)}`);
  return v;
}

function integer(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = number(body, key);
  if (v === undefined) return undefined;
  const i = Math.trunc(v);
  if (i < min || i > max) throw new PatchError(`${key} must be from ${min} to ${max}, got ${v}`);
  return i;
}

function flag(body: Record<string, unknown>, key: string): boolean | undefined {
  if (!(key in body)) return undefined;
  const v = body[key];
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new PatchError(`${key} must be true/false or 1/0, got ${describeValue(v)}`);
}

/** Checks a value against the board, naming the AxeOS field in the error. */
function limited(key: string, check: () => number): number {
  try {
    return check();
  } catch (err) {
    if (err instanceof BoardLimitError) throw new PatchError(`${key}: ${err.message}`);
    throw err;
  }
}

/**
 * The settings a body names that only board control can apply (fan, core voltage, frequency, overheat clear), in
 * their canonical spelling and body order; [] for anything not an object.
 */
export function boardSettingsNamed(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const named: string[] = [];
  for (const key of Object.keys(body)) {
    const name = CANONICAL.get(key.toLowerCase());
    if (name !== undefined && BOARD_KEYS.includes(name) && !named.includes(name)) named.push(name);
  }
  return named;
}

/** Legacy flat pool keys (`stratumURL`… as pyasic writes them) as a pools patch on the primary/secondary slots. */
function legacyPools(b: Record<string, unknown>, ctx: PatchContext): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [prefix, id] of [
    ['stratum', ctx.primaryPoolIndex],
    ['fallbackStratum', ctx.secondaryPoolIndex],
  ] as const) {
    const pool: Record<string, unknown> = { id };
    for (const k of ['URL', 'Port', 'User', 'Password']) {
      if (`${prefix}${k}` in b) pool[`stratum${k}`] = b[`${prefix}${k}`];
    }
    if (Object.keys(pool).length > 1) out.push(pool);
  }
  return out;
}

export function parseSettingsPatch(body: unknown, board: BoardDefinition, ctx: PatchContext): SettingsPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PatchError('the body must be a JSON object of settings, e.g. {"coreVoltage": 1200}');
  }
  const b: Record<string, unknown> = {};
  const spelledAs = new Map<string, string>();
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const name = CANONICAL.get(key.toLowerCase());
    if (name === undefined) {
      throw new PatchError(
        `unknown setting ${describeValue(key)}; this API changes ${[...BOARD_KEYS, ...PREFERENCE_KEYS, ...POOL_PATCH_KEYS].join(', ')}`,
      );
    }
    const earlier = spelledAs.get(name);
    if (earlier !== undefined) {
      throw new PatchError(`${name} is given twice (as ${describeValue(earlier)} and ${describeValue(key)})`);
    }
    spelledAs.set(name, key);
    if (IGNORED.includes(name)) ignored.push(name);
    else b[name] = value;
  }
  for (const k of LEGACY_POOL_EXTRAS) {
    if (k in b) throw new PatchError(`${k} cannot be set here; edit the pool through "pools" (the AxeOS pool page)`);
  }

  // Keys a Pi manages itself: sent back unchanged (the AxeOS network page always sends them) they are fine.
  if ('ssid' in b && b.ssid !== ctx.ssid) {
    throw new PatchError('Wi-Fi is managed by the Raspberry Pi OS (nmtui or raspi-config), not by hashaxe');
  }
  if ('wifiPass' in b)
    throw new PatchError('Wi-Fi is managed by the Raspberry Pi OS (nmtui or raspi-config), not by hashaxe');
  if ('hostname' in b) {
    const h = typeof b.hostname === 'string' ? b.hostname.replace(/\.local$/i, '') : b.hostname;
    if (h !== ctx.hostname) {
      throw new PatchError(
        `the host name is the Pi's: change it with "sudo hostnamectl set-hostname NAME", then restart hashaxe`,
      );
    }
  }
  if ('useCustomWWW' in b && flag(b, 'useCustomWWW') === true) {
    throw new PatchError('hashaxe serves its own dashboard; a custom AxeOS web bundle cannot be installed');
  }
  if ('displayOffset' in b) integer(b, 'displayOffset', 0, 255);

  const preferences: Partial<DevicePreferences> = {};
  if ('display' in b) {
    const d = b.display;
    if (typeof d !== 'string' || !DISPLAYS.includes(d)) {
      throw new PatchError(`display must be one of ${DISPLAYS.map((x) => JSON.stringify(x)).join(', ')}`);
    }
    if (d !== 'NONE') throw new PatchError(`no display is attached to hashaxe; display must be "NONE"`);
    preferences.display = d;
  }
  const rotation = integer(b, 'rotation', 0, 270);
  if (rotation !== undefined) {
    if (![0, 90, 180, 270].includes(rotation))
      throw new PatchError(`rotation must be 0, 90, 180 or 270, got ${rotation}`);
    preferences.rotation = rotation;
  }
  const invert = flag(b, 'invertscreen');
  if (invert !== undefined) preferences.invertscreen = invert ? 1 : 0;
  const timeout = integer(b, 'displayTimeout', -1, 65535);
  if (timeout !== undefined) preferences.displayTimeout = timeout;
  const stats = integer(b, 'statsFrequency', 0, 65535);
  if (stats !== undefined) preferences.statsFrequency = stats;
  const oc = flag(b, 'overclockEnabled');
  if (oc !== undefined) preferences.overclockEnabled = oc ? 1 : 0;

  const auto = flag(b, 'autofanspeed');
  const manualRaw = number(b, 'manualFanSpeed') ?? number(b, 'fanspeed');
  const manual =
    manualRaw === undefined ? undefined : limited('manualFanSpeed', () => checkFanPercent(board, manualRaw));
  const minRaw = number(b, 'minFanSpeed');
  const minPercent = minRaw === undefined ? undefined : limited('minFanSpeed', () => checkMinFanPercent(board, minRaw));
  const targetRaw = number(b, 'temptarget');
  const targetC = targetRaw === undefined ? undefined : limited('temptarget', () => checkFanTargetC(board, targetRaw));
  const vRaw = number(b, 'coreVoltage');
  const voltageMv = vRaw === undefined ? null : limited('coreVoltage', () => checkVoltageMv(board, vRaw));
  const fRaw = number(b, 'frequency');
  const frequencyMhz = fRaw === undefined ? null : limited('frequency', () => checkFrequencyMhz(board, fRaw));
  let clearOverheat = false;
  if ('overheat_mode' in b) {
    // The AxeOS settings form always sends the value it read: 1 while latched means "no change", 0 clears.
    const v = flag(b, 'overheat_mode');
    clearOverheat = v === false;
  }

  const poolBody: Record<string, unknown> = {};
  for (const k of POOL_PATCH_KEYS) if (k in b) poolBody[k] = b[k];
  const legacy = legacyPools(b, ctx);
  if (legacy.length > 0) {
    if ('pools' in poolBody)
      throw new PatchError('send either "pools" or the flat stratumURL/stratumPort/… keys, not both');
    poolBody.pools = legacy;
  }

  const fan: FanChange = {};
  if (auto !== undefined) fan.mode = auto ? 'auto' : 'manual';
  if (manual !== undefined) fan.percent = manual;
  if (minPercent !== undefined) fan.minPercent = minPercent;
  if (targetC !== undefined) fan.targetC = targetC;
  return {
    fan: Object.keys(fan).length > 0 ? fan : null,
    voltageMv,
    frequencyMhz,
    clearOverheat,
    preferences,
    pools: Object.keys(poolBody).length > 0 ? poolBody : null,
    ignored,
  };
}

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

/** A PATCH /api/system body, checked in full: any bad field refuses the whole request (nothing applied). */
export interface SettingsPatch {
  fan: FanChange | null;
  voltageMv: number | null;
  frequencyMhz: number | null;
  /** `overheat_mode: 0`: clear the latch (by a checked restart). */
  clearOverheat: boolean;
  /** AxeOS settings this daemon does not manage (Wi-Fi, display, pools…), accepted and ignored. */
  ignored: string[];
}

export class PatchError extends Error {
  override readonly name = 'PatchError';
}

/**
 * AxeOS settings that exist on a Bitaxe but not here. The AxeOS settings page sends them with every save,
 * so they are accepted (and listed as ignored) rather than refused; anything else unknown is a typo.
 * Includes names older AxeOS releases sent (flipscreen, invertfanpolarity).
 */
const AXEOS_IGNORED = [
  'ssid',
  'wifiPass',
  'hostname',
  'pools',
  'primaryPoolIndex',
  'secondaryPoolIndex',
  'useFallbackStratum',
  'overclockEnabled',
  'display',
  'rotation',
  'invertscreen',
  'displayOffset',
  'displayTimeout',
  'useCustomWWW',
  'statsFrequency',
  'stratumURL',
  'stratumPort',
  'stratumUser',
  'stratumPassword',
  'stratumSuggestedDifficulty',
  'stratumExtranonceSubscribe',
  'stratumTLS',
  'stratumCert',
  'stratumDecodeCoinbase',
  'stratumProtocol',
  'stratumV2AuthorityPubkey',
  'stratumV2ChannelType',
  'stratumV2RequireAuth',
  'fallbackStratumURL',
  'fallbackStratumPort',
  'fallbackStratumUser',
  'fallbackStratumPassword',
  'fallbackStratumSuggestedDifficulty',
  'fallbackStratumExtranonceSubscribe',
  'fallbackStratumTLS',
  'fallbackStratumCert',
  'fallbackStratumDecodeCoinbase',
  'fallbackStratumProtocol',
  'fallbackStratumV2AuthorityPubkey',
  'fallbackStratumV2ChannelType',
  'flipscreen',
  'invertfanpolarity',
];

const HANDLED = [
  'autofanspeed',
  'manualFanSpeed',
  'fanspeed',
  'minFanSpeed',
  'temptarget',
  'coreVoltage',
  'frequency',
  'overheat_mode',
];

/**
 * ESP-Miner looks settings up with cJSON_GetObjectItem, which ignores case, and tools rely on it (pyasic
 * sends "autoFanspeed"). Keys are matched the same way here and rewritten to their canonical spelling.
 */
const CANONICAL = new Map<string, { name: string; handled: boolean }>([
  ...HANDLED.map((name): [string, { name: string; handled: boolean }] => [name.toLowerCase(), { name, handled: true }]),
  ...AXEOS_IGNORED.map((name): [string, { name: string; handled: boolean }] => [
    name.toLowerCase(),
    { name, handled: false },
  ]),
]);

function number(body: Record<string, unknown>, key: string): number | undefined {
  if (!(key in body)) return undefined;
  const v = body[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new PatchError(`${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function flag(body: Record<string, unknown>, key: string): boolean | undefined {
  if (!(key in body)) return undefined;
  const v = body[key];
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new PatchError(`${key} must be true/false or 1/0, got ${JSON.stringify(v)}`);
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
 * The settings a body names that only board control can apply (all of those this API changes: fan, core
 * voltage, frequency, overheat clear), in their canonical spelling and body order; [] for anything not an
 * object. A daemon without board control refuses these before looking at their values.
 */
export function boardSettingsNamed(body: unknown): string[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const named: string[] = [];
  for (const key of Object.keys(body)) {
    const known = CANONICAL.get(key.toLowerCase());
    if (known?.handled && !named.includes(known.name)) named.push(known.name);
  }
  return named;
}

export function parseSettingsPatch(body: unknown, board: BoardDefinition): SettingsPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PatchError('the body must be a JSON object of settings, e.g. {"coreVoltage": 1200}');
  }
  const b: Record<string, unknown> = {};
  const spelledAs = new Map<string, string>();
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const known = CANONICAL.get(key.toLowerCase());
    if (known === undefined) {
      throw new PatchError(`unknown setting ${JSON.stringify(key)}; this API changes ${HANDLED.join(', ')}`);
    }
    const earlier = spelledAs.get(known.name);
    if (earlier !== undefined) {
      throw new PatchError(`${known.name} is given twice (as ${JSON.stringify(earlier)} and ${JSON.stringify(key)})`);
    }
    spelledAs.set(known.name, key);
    if (known.handled) b[known.name] = value;
    else ignored.push(known.name);
  }

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
    if (b.overheat_mode !== 0 && b.overheat_mode !== false) {
      throw new PatchError('overheat_mode can only be set to 0 (clear the latched overheat)');
    }
    clearOverheat = true;
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
    ignored,
  };
}

/**
 * The AxeOS commands: what the API's writes do (settings, pools, restart, identify, pause/resume, theme), each
 * applied or refused with the reason. The server (server.ts) routes to these after the access check.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BoardDefinition } from '../../src/config/board.js';
import type { BoardControl, BoardLog } from '../board/board-control.js';
import { BoardStateError, DEFAULT_POLICY } from '../board/board-control.js';
import { BoardLimitError } from '../board/limits.js';
import { type DeviceApi, PoolChangeError } from './device-api.js';
import { errorBody, HttpError, sendJson } from './http-io.js';
import { applyPoolPatch, parsePoolObject, removePoolSlot } from './pool-slots.js';
import type { PreferencesWriter } from './preferences-store.js';
import { boardSettingsNamed, PatchError, parseSettingsPatch } from './settings-patch.js';
import type { StatisticsHistory } from './statistics-history.js';
import type { DevicePreferences } from './system-info.js';

/** What the API needs from the board control (BoardControl itself in the daemon). */
export type BoardApi = Pick<
  BoardControl,
  'board' | 'telemetry' | 'configureFan' | 'setVoltage' | 'setFrequency' | 'restart' | 'getSettings'
> &
  Partial<Pick<BoardControl, 'identify'>>;

/** What a refused change says on a daemon without board control (HTTP 409). */
export const NO_BOARD_CONTROL = 'this device has no board control (hashaxe runs with --peripherals none)';
const NO_DEVICE = 'no mining daemon is attached to this API';

export interface CommandContext {
  board: BoardApi | null;
  device: DeviceApi | null;
  definition: BoardDefinition;
  hostname: string;
  log: BoardLog;
  /** The stored device preferences (changed in place). */
  preferences: DevicePreferences;
  stats: StatisticsHistory;
  systemInfo(): Record<string, unknown>;
  body(req: IncomingMessage): Promise<unknown>;
  /** Stored theme (restored at start) and where changes are kept (null: memory only). */
  theme?: { colorScheme?: string; primaryColor?: string };
  store?: PreferencesWriter | null;
}

const ECHO_MESSAGE = (res: ServerResponse, message: string): void => sendJson(res, 200, { message });

export class AxeosCommands {
  /** AxeOS's theme (GET/POST /api/theme), with its defaults. */
  readonly theme = { colorScheme: 'dark', primaryColor: '#F80421' };

  constructor(private readonly c: CommandContext) {
    Object.assign(this.theme, c.theme);
  }

  private persist(): void {
    void this.c.store?.save({ preferences: { ...this.c.preferences }, theme: { ...this.theme } });
  }

  /**
   * Answers at once and power-cycles after: the AxeOS swarm page gives up after 800 ms, and a power cycle takes
   * longer. What would refuse the restart (no board control, a dead sensor, still hot) is checked before the
   * answer, so a refusal still comes back with its reason.
   */
  restart(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const board = this.c.board;
    if (board === null)
      throw new HttpError(409, `${NO_BOARD_CONTROL}: it cannot power-cycle the chips; nothing was done`);
    const t = board.telemetry();
    if (t.sensorFault !== null) throw new HttpError(409, `cannot restart: ${t.sensorFault.reason}`);
    const limit = board.board.limits.asicTempC.max - DEFAULT_POLICY.restartHysteresisC;
    if (t.asicTempC !== null && t.asicTempC > limit) {
      throw new HttpError(
        409,
        `cannot restart: ASIC still ${t.asicTempC.toFixed(1)} °C; restart is allowed below ${limit} °C`,
      );
    }
    sendJson(res, 200, { message: 'System will restart shortly.' });
    this.c.log.info('restart requested through the API: power-cycling the chips');
    setTimeout(() => {
      board.restart().catch((err: unknown) => this.c.log.warn(`restart: ${(err as Error).message}`));
    }, 20);
  }

  identify(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (this.c.board?.identify === undefined) {
      throw new HttpError(409, `${NO_BOARD_CONTROL}: there is no fan under hashaxe's control to pulse`);
    }
    this.c.board.identify(30_000);
    ECHO_MESSAGE(res, 'Identify signal sent: the fan pulses for 30 s');
  }

  pauseResume(req: IncomingMessage, res: ServerResponse, pause: boolean): void {
    req.resume();
    if (this.c.device === null) throw new HttpError(409, `${NO_DEVICE}: nothing to ${pause ? 'pause' : 'resume'}`);
    if (pause) this.c.device.pause();
    else this.c.device.resume();
    ECHO_MESSAGE(res, pause ? 'Mining paused' : 'Mining resumed');
  }

  refuseUpload(req: IncomingMessage, res: ServerResponse): void {
    // Not read: an image of megabytes is refused without being received.
    sendJson(
      res,
      400,
      errorBody(
        'firmware images are for ESP32 Bitaxes: update hashaxe on the Pi (git pull && npm install, then restart the service)',
      ),
      { Connection: 'close' },
    );
    res.once('finish', () => req.destroy());
  }

  setTheme(body: unknown, res: ServerResponse): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Invalid JSON');
    const b = body as Record<string, unknown>;
    // As on ESP-Miner: a key of the wrong type is skipped; lengths are bounded here.
    if (typeof b.colorScheme === 'string' && b.colorScheme.length <= 32) this.theme.colorScheme = b.colorScheme;
    if (typeof b.primaryColor === 'string' && b.primaryColor.length <= 32) this.theme.primaryColor = b.primaryColor;
    this.persist();
    sendJson(res, 200, { status: 'ok' });
  }

  async putPool(req: IncomingMessage, res: ServerResponse, param: string | null): Promise<void> {
    const id = poolIndex(param);
    const body = await this.c.body(req);
    const device = this.requireDevice();
    const table = device.poolTable();
    const slot = parsePoolObject(
      body,
      id,
      table.slots.find((s) => s.id === id),
    );
    const next = { ...table, slots: [...table.slots.filter((s) => s.id !== id), slot].sort((a, b) => a.id - b.id) };
    await this.applyPools(next);
    sendJson(res, 200, { message: 'Pool updated successfully' });
  }

  async deletePool(res: ServerResponse, param: string | null): Promise<void> {
    const id = poolIndex(param);
    const device = this.requireDevice();
    await this.applyPools(removePoolSlot(device.poolTable(), id));
    sendJson(res, 200, { message: 'Pool cleared successfully' });
  }

  private requireDevice(): DeviceApi {
    if (this.c.device === null) throw new HttpError(409, `${NO_DEVICE}: pools cannot be changed here`);
    return this.c.device;
  }

  private async applyPools(table: ReturnType<DeviceApi['poolTable']>): Promise<void> {
    try {
      await this.requireDevice().applyPoolTable(table);
    } catch (err) {
      if (err instanceof PoolChangeError) throw new HttpError(400, err.message);
      throw err;
    }
  }

  async patchSettings(body: unknown, res: ServerResponse): Promise<void> {
    const board = this.c.board;
    if (board === null) {
      // Refused before the values are checked: no value of these settings can be applied here.
      const named = boardSettingsNamed(body);
      if (named.length > 0) {
        throw new HttpError(
          409,
          `${NO_BOARD_CONTROL}: ${named.join(', ')} cannot be changed here; nothing was changed`,
        );
      }
    }
    const info = this.c.systemInfo();
    const table = this.c.device?.poolTable() ?? null;
    let patch: ReturnType<typeof parseSettingsPatch>;
    try {
      patch = parseSettingsPatch(body, this.c.definition, {
        ssid: String(info.ssid ?? ''),
        hostname: this.c.hostname,
        primaryPoolIndex: table?.primaryIndex ?? 0,
        secondaryPoolIndex: table?.secondaryIndex ?? 0,
      });
    } catch (err) {
      if (err instanceof PatchError) throw new HttpError(400, err.message);
      throw err;
    }
    // Everything is checked before anything changes; the pools go first, as they can still be refused by the
    // daemon (a protocol this build cannot speak), and then nothing else has changed.
    if (patch.pools !== null) {
      const next = applyPoolPatch(patch.pools, this.requireDevice().poolTable());
      if (next !== null) await this.applyPools(next);
    }
    const applied: Record<string, unknown> = {};
    Object.assign(this.c.preferences, patch.preferences);
    Object.assign(applied, patch.preferences);
    if (patch.preferences.statsFrequency !== undefined) this.c.stats.setFrequency(patch.preferences.statsFrequency);
    if (Object.keys(patch.preferences).length > 0) this.persist();
    if (patch.pools !== null) applied.pools = 'applied';
    if (board !== null) {
      try {
        if (patch.fan !== null) {
          const s = await board.configureFan(patch.fan);
          applied.autofanspeed = s.fanMode === 'auto' ? 1 : 0;
          applied.manualFanSpeed = s.fanPercent;
          applied.minFanSpeed = s.minFanPercent;
          applied.temptarget = s.fanTargetC;
        }
        // More voltage before more clock; less clock before less voltage.
        const current = board.getSettings();
        const raiseVoltageFirst = patch.voltageMv !== null && patch.voltageMv > current.voltageMv;
        if (raiseVoltageFirst && patch.voltageMv !== null)
          applied.coreVoltage = await board.setVoltage(patch.voltageMv);
        if (patch.frequencyMhz !== null) applied.frequency = await board.setFrequency(patch.frequencyMhz);
        if (!raiseVoltageFirst && patch.voltageMv !== null)
          applied.coreVoltage = await board.setVoltage(patch.voltageMv);
        if (patch.clearOverheat) {
          // AxeOS clears the flag; here clearing means the checked restart (a no-op when nothing is latched).
          if (board.telemetry().overheat !== null) await board.restart();
          applied.overheat_mode = 0;
        }
      } catch (err) {
        if (err instanceof BoardLimitError) throw new HttpError(400, err.message);
        if (err instanceof BoardStateError) throw new HttpError(409, err.message);
        throw err;
      }
    }
    sendJson(res, 200, { status: 'success', applied, ignored: patch.ignored });
  }
}

function poolIndex(param: string | null): number {
  if (param === null || param === '') throw new HttpError(400, 'Missing pool index');
  if (!/^[0-7]$/.test(param)) throw new HttpError(400, 'Invalid pool index');
  return Number(param);
}

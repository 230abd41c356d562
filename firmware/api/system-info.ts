import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';
import { ASIC_SMALL_CORES, type BoardDefinition } from '../../src/config/board.js';
import type { BoardTelemetry } from '../board/board-control.js';
import type { ChainStatus } from './chain-status.js';
import type { MiningStatus } from './mining-status.js';

/** Identity the API reports (AxeOS `version`, `hostname`, `macAddr`). */
export interface ApiIdentity {
  version: string;
  hostname: string;
  /** "AA:BB:CC:DD:EE:FF" as AxeOS prints it (pyasic reads it as the miner's identity); "" when unknown. */
  macAddr?: string;
}

/**
 * The MAC address of the first external network interface with a real one (sorted by name, so eth0
 * comes before wlan0), upper case as AxeOS reports it; "" when there is none.
 */
export function hostMacAddress(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string {
  for (const name of Object.keys(interfaces).sort()) {
    for (const i of interfaces[name] ?? []) {
      if (!i.internal && i.mac !== '00:00:00:00:00:00') return i.mac.toUpperCase();
    }
  }
  return '';
}

const round = (x: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** GH/s to 2 decimals, or 4 significant digits below 1 GH/s (an emulated chain's MH/s must not read 0). */
const roundHashrate = (ghs: number): number => {
  if (!Number.isFinite(ghs)) return 0;
  return Math.abs(ghs) >= 1 || ghs === 0 ? round(ghs) : Number(ghs.toPrecision(4));
};

/**
 * The AxeOS `GET /api/system/info` object, with the field names and units Bitaxe tools read (pyasic, Home
 * Assistant, swarm pages; ESP-Miner main/http_server/system_api_json.c): power W, voltage (input) mV,
 * current mA, temp/temp2/vrTemp °C, coreVoltage/coreVoltageActual mV, frequency MHz, fanspeed %, fanrpm,
 * hashRate GH/s. Unknown readings use AxeOS's conventions (temp −1 when unreadable, vrTemp 0 without a
 * regulator sensor, 0 for unmeasured power). hashaxe's own details sit under `hashaxe`.
 */
export function buildSystemInfo(
  board: BoardDefinition,
  t: BoardTelemetry,
  m: MiningStatus,
  id: ApiIdentity,
): Record<string, unknown> {
  const info: Record<string, unknown> = {
    power: round(t.powerW ?? 0),
    voltage: round(t.inputVoltageMv ?? 0),
    current: round(t.currentMa ?? 0),
    temp: t.asicTempsC[0] === null || t.asicTempsC[0] === undefined ? -1 : round(t.asicTempsC[0], 3),
    temp2: t.asicTempsC.length > 1 ? (t.asicTempsC[1] === null ? -1 : round(t.asicTempsC[1], 3)) : -1,
    vrTemp: round(t.vrTempC ?? 0, 3),
    coreVoltage: t.voltageSetMv,
    coreVoltageActual: Math.round(t.voltageActualMv ?? 0),
    frequency: t.frequencySetMhz,
    actualFrequency: t.frequencyActualMhz ?? 0,
    expectedHashrate: round(t.expectedHashrateGhs),
    fanspeed: round(t.fanPercent, 1),
    fanrpm: t.fanRpm[0] ?? 0,
    fan2rpm: t.fanRpm[1] ?? 0,
    autofanspeed: t.settings.fanMode === 'auto' ? 1 : 0,
    manualFanSpeed: t.settings.fanPercent,
    minFanSpeed: t.settings.minFanPercent,
    temptarget: t.settings.fanTargetC,
    overheat_mode: t.overheat === null ? 0 : 1,
    ...miningFields(board, m, id, !t.asicRunning),
    hashaxe: {
      board: board.name,
      power: t.power,
      asicRunning: t.asicRunning,
      fanReason: t.fanReason,
      fanMode: t.settings.fanMode,
      asicTempsC: t.asicTempsC,
      voltageMeasured: t.voltageMeasured,
      overheat: t.overheat,
      sensorFault: t.sensorFault,
      hardwareFault: t.hardwareFault,
      warnings: t.warnings,
      limits: board.limits,
      ...templateDetails(m),
    },
  };
  // AxeOS adds these only when set; tools test for their presence.
  if (t.powerFault !== null) info.power_fault = t.powerFault;
  const hw = t.hardwareFault?.reason ?? t.sensorFault?.reason ?? null;
  if (hw !== null) info.hardware_fault = hw;
  return info;
}

/**
 * `GET /api/system/info` on a daemon without board control (`--peripherals none`): every mining and identity
 * field as usual, the chips' frequency and expected rate from the chain, and none of the board's readings or
 * settings. Those fields are left out rather than sent as 0 or null: nothing measured them, and Bitaxe tools
 * cope with a missing field (pyasic reads `power` and `fanrpm` by key and skips them when absent, but rounds
 * whatever is there, so a null would fail its whole poll). `hashaxe.boardControl: false` says why they are
 * missing.
 */
export function buildSystemInfoWithoutBoard(
  board: BoardDefinition,
  chain: ChainStatus | null,
  m: MiningStatus,
  id: ApiIdentity,
): Record<string, unknown> {
  const chip: Record<string, unknown> =
    chain === null
      ? {}
      : {
          frequency: chain.frequencySetMhz,
          actualFrequency: chain.frequencyActualMhz ?? 0,
          expectedHashrate: round(chain.expectedHashrateGhs),
        };
  return {
    ...chip,
    ...miningFields(board, m, id, chain === null ? true : !chain.running),
    hashaxe: {
      board: board.name,
      boardControl: false,
      asicRunning: chain?.running ?? false,
      limits: board.limits,
      ...templateDetails(m),
    },
  };
}

/** The fields that need no board control: hash rate, shares, pool, uptime, identity, per-chip figures. */
function miningFields(
  board: BoardDefinition,
  m: MiningStatus,
  id: ApiIdentity,
  chipsDown: boolean,
): Record<string, unknown> {
  const nonces = m.chips.reduce((a, c) => a + c.nonces, 0);
  const errorPercentage = nonces + m.hwErrors > 0 ? (m.hwErrors / (nonces + m.hwErrors)) * 100 : 0;
  const reasons = Object.entries(m.rejectReasons)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([message, count]) => ({ message, count }));
  return {
    hashRate: roundHashrate(m.hashrateGhs.m1),
    hashRate_1m: roundHashrate(m.hashrateGhs.m1),
    hashRate_10m: roundHashrate(m.hashrateGhs.m10),
    hashRate_1h: roundHashrate(m.hashrateGhs.h1),
    errorPercentage: round(errorPercentage, 3),
    sharesAccepted: m.sharesAccepted,
    sharesRejected: m.sharesRejected,
    sharesRejectedReasons: reasons,
    bestDiff: Math.max(m.bestDifficultyAllTime ?? 0, m.bestDifficulty),
    bestSessionDiff: m.bestDifficulty,
    poolDifficulty: m.poolDifficulty ?? 0,
    uptimeSeconds: m.uptimeSeconds,
    miningPaused: m.miningPaused ?? chipsDown,
    ASICModel: board.asic.model,
    asicCount: board.asic.count,
    smallCoreCount: ASIC_SMALL_CORES[board.asic.model],
    deviceModel: board.family,
    boardVersion: board.boardVersion,
    maxPower: board.power.maxW,
    nominalVoltage: board.power.nominalInputV,
    hostname: id.hostname,
    macAddr: id.macAddr ?? '',
    version: id.version,
    axeOSVersion: `hashaxe-${id.version}`,
    stratumURL: m.pool?.url ?? '',
    stratumPort: m.pool?.port ?? 0,
    stratumUser: m.pool?.user ?? '',
    stratumProtocol: m.pool?.protocol ?? '',
    blockFound: m.blocks?.found ?? 0,
    ...ownTemplateFields(m),
    hashrateMonitor: {
      asics: Array.from({ length: board.asic.count }, (_, i) => ({
        total: round(m.chips[i]?.hashrateGhs ?? 0),
        errorCount: m.chips[i]?.hwErrors ?? 0,
        domains: [],
      })),
    },
  };
}

/**
 * AxeOS's block fields, which it sends only when the block height is known: here when mining solo on the
 * owner's templates (the device built the coinbase, so it knows every output).
 */
function ownTemplateFields(m: MiningStatus): Record<string, unknown> {
  const t = m.templates?.template;
  if (t == null || m.templates?.payout == null) return {};
  return {
    blockHeight: t.height,
    networkDifficulty: t.networkDifficulty,
    coinbaseValueTotalSatoshis: t.coinbaseValueSats,
    coinbaseValueUserSatoshis: t.payoutSats,
    coinbaseOutputs: [{ value: t.payoutSats, address: m.templates.payout }],
  };
}

/** hashaxe's own view: where templates come from, who is paid, and the blocks found with the node's answers. */
function templateDetails(m: MiningStatus): Record<string, unknown> {
  return {
    ...(m.templates !== undefined ? { templates: m.templates } : {}),
    ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
  };
}

/** AxeOS `GET /api/system/asic`: the chip and the settings the UI offers, plus hashaxe's limits. */
export function buildAsicInfo(board: BoardDefinition): Record<string, unknown> {
  return {
    ASICModel: board.asic.model,
    deviceModel: board.family,
    asicCount: board.asic.count,
    hashDomains: board.asic.model === 'BM1397' ? 1 : 4,
    defaultFrequency: board.defaults.frequencyMhz,
    frequencyOptions: board.options.frequencyMhz,
    defaultVoltage: board.defaults.voltageMv,
    voltageOptions: board.options.voltageMv,
    limits: board.limits,
  };
}

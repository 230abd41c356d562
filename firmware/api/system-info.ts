import {
  type NetworkInterfaceInfo,
  networkInterfaces,
  release as osRelease,
  type as osType,
  uptime as osUptime,
} from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { ASIC_SMALL_CORES, type BoardDefinition } from '../../src/config/board.js';
import type { BoardTelemetry } from '../board/board-control.js';
import type { ChainStatus } from './chain-status.js';
import type { HostReadings } from './host-info.js';
import type { MiningStatus } from './mining-status.js';
import { axeosPool, flatPoolFields, type PoolSlot, type PoolTable, slotFromPool } from './pool-slots.js';
import { STATISTICS_LIMIT } from './statistics-history.js';

/** Identity the API reports (AxeOS `version`, `hostname`, `macAddr`). */
export interface ApiIdentity {
  version: string;
  hostname: string;
  /** "AA:BB:CC:DD:EE:FF" as AxeOS prints it (pyasic reads it as the miner's identity); "" when unknown. */
  macAddr?: string;
}

/** Settings AxeOS's forms send that belong to the device rather than the board (kept by the API). */
export interface DevicePreferences {
  /** "NONE": a Pi running hashaxe drives no OLED. */
  display: string;
  rotation: number;
  invertscreen: number;
  /** Minutes; −1 never. */
  displayTimeout: number;
  /** Seconds per statistics row; 0 = history off. */
  statsFrequency: number;
  overclockEnabled: number;
}

export const DEFAULT_PREFERENCES: DevicePreferences = {
  display: 'NONE',
  rotation: 0,
  invertscreen: 0,
  displayTimeout: -1,
  statsFrequency: 5,
  overclockEnabled: 0,
};

/** What the host and the API add to the board and mining figures. */
export interface InfoExtras {
  host: HostReadings | null;
  preferences: DevicePreferences;
  /** Wall-clock ms when the process started (for resetReason). */
  processStartedAtMs: number;
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
  if (!Number.isFinite(x)) return 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** GH/s to 2 decimals, or 4 significant digits below 1 GH/s (an emulated chain's MH/s must not read 0). */
const roundHashrate = (ghs: number): number => {
  if (!Number.isFinite(ghs)) return 0;
  return Math.abs(ghs) >= 1 || ghs === 0 ? round(ghs) : Number(ghs.toPrecision(4));
};

/**
 * The AxeOS `GET /api/system/info` object, with the field names, types and units of ESP-Miner's
 * main/http_server/openapi.yaml and system_api_json.c: power W, voltage (input) mV, current mA,
 * temp/temp2/vrTemp °C, coreVoltage/coreVoltageActual mV, frequency MHz, fanspeed %, fanrpm, hashRate GH/s,
 * responseTime ms. Unknown readings use AxeOS's conventions (temp −1 when unreadable, vrTemp 0 without a
 * regulator sensor, 0 for unmeasured power). hashaxe's own details sit under `hashaxe`.
 */
export function buildSystemInfo(
  board: BoardDefinition,
  t: BoardTelemetry,
  m: MiningStatus,
  id: ApiIdentity,
  extras: InfoExtras | null = null,
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
    ...(extras === null ? {} : extraFields(m, id, extras)),
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
      powerFault: t.powerFault,
      warnings: t.warnings,
      limits: board.limits,
      ...ownFields(m),
      ...(m.uart !== undefined ? { uart: m.uart } : {}),
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
  extras: InfoExtras | null = null,
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
    ...(extras === null ? {} : extraFields(m, id, extras)),
    hashaxe: {
      board: board.name,
      boardControl: false,
      asicRunning: chain?.running ?? false,
      limits: board.limits,
      ...ownFields(m),
      ...(m.uart !== undefined ? { uart: m.uart } : {}),
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
  const table = poolTableOf(m);
  const byId = new Map(table.slots.map((s) => [s.id, s]));
  const live =
    m.activeSlot === undefined || m.activeSlot === null
      ? null
      : { slotId: m.activeSlot, channelKind: m.upstream?.channelKind ?? null };
  return {
    hashRate: roundHashrate(m.hashrateGhs.m1),
    hashRate_1m: roundHashrate(m.hashrateGhs.m1),
    hashRate_10m: roundHashrate(m.hashrateGhs.m10),
    hashRate_1h: roundHashrate(m.hashrateGhs.h1),
    errorPercentage: round(errorPercentage, 3),
    sharesAccepted: m.sharesAccepted,
    sharesRejected: m.sharesRejected,
    sharesRejectedReasons: reasons,
    sharesPending: m.sharesPending ?? 0,
    bestDiff: Math.max(m.bestDifficultyAllTime ?? 0, m.bestDifficulty),
    bestSessionDiff: m.bestDifficulty,
    poolDifficulty: m.poolDifficulty ?? 0,
    responseTime: round(m.responseTimeMs ?? 0, 3),
    responseShareBatch: m.responseShareBatch ?? 0,
    blockFound: m.blocks?.found ?? 0,
    showNewBlock: false,
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
    pools: table.slots.map((s) => axeosPool(s, live)),
    primaryPoolIndex: table.primaryIndex,
    secondaryPoolIndex: table.secondaryIndex,
    useFallbackStratum: table.useFallback ? 1 : 0,
    isUsingFallbackStratum:
      m.usingFallback === true ||
      (m.activeSlot !== undefined && m.activeSlot !== null && m.activeSlot !== table.primaryIndex)
        ? 1
        : 0,
    poolConnectionInfo: connectionInfo(m),
    // stratumV2ChannelType ("standard"/"extended"): the channel in use on the slot mining now.
    ...flatPoolFields('stratum', byId.get(table.primaryIndex), live),
    ...flatPoolFields('fallbackStratum', byId.get(table.secondaryIndex), live),
    ...(m.chainTip !== undefined && m.chainTip.networkDifficulty > 0
      ? { networkDifficulty: round(m.chainTip.networkDifficulty, 0) }
      : {}),
    ...(m.chainTip?.blockHeight != null ? { blockHeight: m.chainTip.blockHeight } : {}),
    ...ownTemplateFields(m),
    hashrateMonitor: {
      asics: Array.from({ length: board.asic.count }, (_, i) => ({
        total: roundHashrate(m.chips[i]?.hashrateGhs ?? 0),
        errorCount: m.chips[i]?.hwErrors ?? 0,
        domains: [],
      })),
    },
  };
}

/** The pools as slots: the daemon's table, or (a provider without one) the pool in use as slot 0. */
function poolTableOf(m: MiningStatus): PoolTable {
  if (m.poolTable !== undefined) return m.poolTable;
  const slots: PoolSlot[] =
    m.pool === null || m.pool.protocol === 'SOLO'
      ? []
      : [
          {
            ...slotFromPool({ url: m.pool.url, user: m.pool.user, authorityKey: null }, 0),
            protocol: m.pool.protocol,
            port: m.pool.port,
          },
        ];
  return { slots, primaryIndex: 0, secondaryIndex: 0, useFallback: false };
}

function connectionInfo(m: MiningStatus): string {
  const u = m.upstream;
  if (u === undefined || !u.connected) return 'Not Connected';
  const t = m.templates;
  if (t !== undefined && t.source !== 'pool') {
    // Solo is not a pool slot (the AxeOS pool page edits pools, its backups): this line is where it shows.
    const where = t.source === 'node' ? 'own node' : 'own template provider';
    return `SOLO: ${where} ${t.endpoint ?? ''}, blocks pay ${t.payout ?? '?'}`;
  }
  const proto = (u.protocol ?? '').toUpperCase();
  const how = [u.channelKind, u.encrypted ? 'encrypted' : 'plain text', u.authenticated ? 'pool authenticated' : null]
    .filter((x) => x !== null && x !== '')
    .join(', ');
  return `${proto}: ${how}`;
}

/** AxeOS fields of the host, the network and the device's own settings. */
function extraFields(m: MiningStatus, id: ApiIdentity, x: InfoExtras): Record<string, unknown> {
  const h = x.host;
  const net = h?.network;
  const wired = net === undefined || !net.wireless;
  const heap = getHeapStatistics();
  const processUpS = (Date.now() - x.processStartedAtMs) / 1000;
  const hostUpS = h?.hostUptimeSeconds ?? osUptime();
  const p = x.preferences;
  return {
    cpuUsage: h?.cpuPercent ?? 0,
    freeHeap: h?.memAvailableBytes ?? 0,
    freeHeapInternal: h?.memAvailableBytes ?? 0,
    freeHeapSpiram: 0,
    minFreeHeap: h?.memAvailableMinBytes ?? 0,
    maxAllocHeap: Math.max(0, heap.heap_size_limit - heap.used_heap_size),
    isPSRAMAvailable: 0,
    idfVersion: `node ${process.version} / ${osType()} ${osRelease()}`,
    resetReason: hostUpS - processUpS < 120 ? 'Power-on' : 'Service restart',
    runningPartition: 'hashaxe',
    partitions: [
      {
        label: 'hashaxe',
        isCurrent: true,
        isFactory: false,
        version: id.version,
        compileDate: '',
        compileTime: '',
        usagePercent: null,
      },
    ],
    ssid: wired ? '(wired)' : `(${net?.interface} managed by the OS)`.slice(0, 32),
    wifiStatus:
      net === undefined || net.interface === ''
        ? 'Not connected'
        : wired
          ? 'Connected (Ethernet)'
          : 'Connected (Wi-Fi)',
    wifiRSSI: wired ? 0 : (net?.rssiDbm ?? -90),
    ipv4: net?.ipv4 ?? '',
    ipv6: net?.ipv6 ?? '',
    macAddr: id.macAddr !== undefined && id.macAddr !== '' ? id.macAddr : (net?.macAddr ?? ''),
    apEnabled: 0,
    fullHostname: `${id.hostname}.local`,
    mdnsHostname: id.hostname,
    useCustomWWW: 0,
    display: p.display,
    rotation: p.rotation,
    invertscreen: p.invertscreen,
    displayTimeout: p.displayTimeout,
    statsFrequency: p.statsFrequency,
    statsLimit: STATISTICS_LIMIT,
    overclockEnabled: p.overclockEnabled,
    ...(m.identifying ? { identifying: true } : {}),
  };
}

/** hashaxe's own figures the dashboard shows beside the AxeOS ones. */
function ownFields(m: MiningStatus): Record<string, unknown> {
  return {
    poolHashrateGhs: m.poolHashrateGhs ?? null,
    upstream: m.upstream ?? null,
    sharesTimedOut: m.sharesTimedOut ?? 0,
    sharesLost: m.sharesLost ?? 0,
    hwErrors: m.hwErrors,
    pausedByUser: m.pausedByUser ?? false,
    identifying: m.identifying ?? false,
    networkDifficulty: m.chainTip?.networkDifficulty ?? null,
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
    swarmColor: SWARM_COLOURS[board.family] ?? 'purple',
    asicCount: board.asic.count,
    hashDomains: board.asic.model === 'BM1397' ? 1 : 4,
    defaultFrequency: board.defaults.frequencyMhz,
    frequencyOptions: board.options.frequencyMhz,
    defaultVoltage: board.defaults.voltageMv,
    voltageOptions: board.options.voltageMv,
    limits: board.limits,
  };
}

/** ESP-Miner colours a swarm card by the device family (device_config.h). */
const SWARM_COLOURS: Record<string, string> = {
  Max: 'red',
  Ultra: 'purple',
  Hex: 'orange',
  Supra: 'blue',
  Gamma: 'green',
  GammaDuo: 'green',
  SupraHex: 'darkblue',
  GammaTurbo: 'cyan',
};

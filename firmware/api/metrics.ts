import type { BoardDefinition } from '../../src/config/board.js';
import type { BoardTelemetry } from '../board/board-control.js';
import type { ChainStatus } from './chain-status.js';
import type { MiningStatus } from './mining-status.js';

/** Prometheus text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string>;

/** Label values escape backslash, double quote and newline (the format's only escapes). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'gauge' | 'counter', help: string, samples: Array<[Labels, number | null]>): void {
    const present = samples.filter((s): s is [Labels, number] => s[1] !== null);
    if (present.length === 0) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of present) {
      const l = Object.entries(labels);
      const text = l.length === 0 ? '' : `{${l.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
      this.lines.push(`${name}${text} ${formatValue(value)}`);
    }
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** Where templates come from, who is paid, and the blocks found with the node's answers. */
function renderTemplates(e: Exposition, m: MiningStatus): void {
  const t = m.templates;
  if (t !== undefined) {
    e.family(
      'hashaxe_template_source_info',
      'gauge',
      'Where block templates come from and who the coinbase pays (always 1).',
      [[{ source: t.source, endpoint: t.endpoint ?? '', chain: t.chain ?? '', payout: t.payout ?? '' }, 1]],
    );
    const w = t.template;
    e.family('hashaxe_template_height', 'gauge', 'Height of the block being mined (own templates).', [
      [{}, w?.height ?? null],
    ]);
    e.family('hashaxe_network_difficulty', 'gauge', 'Network difficulty of the block being mined (own templates).', [
      [{}, w?.networkDifficulty ?? null],
    ]);
    e.family('hashaxe_template_transactions', 'gauge', 'Transactions besides the coinbase in the template.', [
      [{}, w?.transactions ?? null],
    ]);
    e.family('hashaxe_coinbase_payout_satoshis', 'gauge', 'What a block found now would pay the owner.', [
      [{}, w?.payoutSats ?? null],
    ]);
  }
  const b = m.blocks;
  if (b === undefined) return;
  e.family('hashaxe_blocks_found_total', 'counter', 'Shares that met the network target (solo: blocks sent).', [
    [{}, b.found],
  ]);
  e.family('hashaxe_blocks_total', 'counter', "Blocks the owner's node answered, by answer.", [
    [{ answer: 'accepted' }, b.accepted],
    [{ answer: 'not-accepted' }, b.rejected],
  ]);
  e.family(
    'hashaxe_blocks_superseded_total',
    'counter',
    'Blocks not sent: the node had just accepted our own block at the same height.',
    [[{}, b.superseded]],
  );
  e.family(
    'hashaxe_blocks_rejected_total',
    'counter',
    "Blocks not accepted, by the node's reason.",
    Object.entries(b.reasons).map(([reason, n]) => [{ reason }, n]),
  );
  const last = b.recent[b.recent.length - 1];
  e.family('hashaxe_last_block_info', 'gauge', 'The latest block found and what the node answered (always 1).', [
    [
      last === undefined
        ? {}
        : { height: String(last.height), hash: last.hash, answer: last.answer, reason: last.reason ?? '' },
      last === undefined ? null : 1,
    ],
  ]);
}

/** The chips' frequency and the rate it implies, from board control's telemetry or from the chain itself. */
interface ChipClock {
  frequencySetMhz: number | null;
  frequencyActualMhz: number | null;
  expectedHashrateGhs: number | null;
}

/**
 * `GET /metrics`: hash rate, shares by result and reject reason, temperatures, fan, power, voltages,
 * frequency, hardware errors per chip and the board's fault states. Readings that are unknown are left
 * out rather than reported as 0.
 */
export function renderMetrics(
  t: BoardTelemetry,
  m: MiningStatus,
  sensorLabels: readonly string[],
  version: string,
): string {
  return render({ board: t.board, asic: t.asicModel, version }, t, t, m, sensorLabels);
}

/**
 * `GET /metrics` without board control (`--peripherals none`): the mining series and the chips' frequency; no
 * temperature, fan, power, voltage or fault series, since nothing here reads them (absent, never 0).
 */
export function renderMetricsWithoutBoard(
  board: BoardDefinition,
  chain: ChainStatus | null,
  m: MiningStatus,
  version: string,
): string {
  const clock: ChipClock = chain ?? { frequencySetMhz: null, frequencyActualMhz: null, expectedHashrateGhs: null };
  return render({ board: board.name, asic: board.asic.model, version }, null, clock, m, []);
}

/** Board series come from `t` and are left out when it is null; the families keep one order either way. */
function render(
  identity: Labels,
  t: BoardTelemetry | null,
  clock: ChipClock,
  m: MiningStatus,
  sensorLabels: readonly string[],
): string {
  const e = new Exposition();
  e.family('hashaxe_info', 'gauge', 'Board and software identity (always 1).', [[identity, 1]]);
  e.family('hashaxe_hashrate_ghs', 'gauge', 'Hash rate from verified chip results, GH/s.', [
    [{ window: '1m' }, m.hashrateGhs.m1],
    [{ window: '10m' }, m.hashrateGhs.m10],
    [{ window: '1h' }, m.hashrateGhs.h1],
    [{ window: 'avg' }, m.hashrateGhs.avg],
  ]);
  e.family(
    'hashaxe_expected_hashrate_ghs',
    'gauge',
    'Hash rate the chips should give at the applied frequency, GH/s.',
    [[{}, clock.expectedHashrateGhs]],
  );
  e.family(
    'hashaxe_pool_channel_info',
    'gauge',
    'The pool connection in use: protocol and channel kind (always 1; absent while no pool gives work).',
    m.pool?.channelKind ? [[{ protocol: m.pool.protocol, channel: m.pool.channelKind }, 1]] : [],
  );
  e.family('hashaxe_shares_total', 'counter', 'Shares answered by the pool, by result.', [
    [{ result: 'accepted' }, m.sharesAccepted],
    [{ result: 'rejected' }, m.sharesRejected],
  ]);
  e.family(
    'hashaxe_shares_rejected_total',
    'counter',
    "Rejected shares by the pool's reason.",
    Object.entries(m.rejectReasons).map(([reason, n]) => [{ reason }, n]),
  );
  e.family('hashaxe_pool_info', 'gauge', 'The pool in use and the protocol it speaks (always 1).', [
    [{ protocol: m.pool?.protocol ?? '', url: m.pool?.url ?? '' }, m.pool === null ? null : 1],
  ]);
  e.family('hashaxe_pool_difficulty', 'gauge', "The pool's current share difficulty.", [
    [{}, m.poolDifficulty ?? null],
  ]);
  e.family('hashaxe_pool_fallback', 'gauge', '1 while mining on a backup pool.', [
    [{}, m.pool === null ? null : m.usingFallback === true ? 1 : 0],
  ]);
  e.family('hashaxe_best_difficulty', 'gauge', 'Best share difficulty since start.', [[{}, m.bestDifficulty]]);
  e.family('hashaxe_best_difficulty_all_time', 'gauge', 'Best share difficulty ever (kept with --state).', [
    [{}, Math.max(m.bestDifficultyAllTime ?? 0, m.bestDifficulty)],
  ]);
  e.family(
    'hashaxe_chip_nonces_total',
    'counter',
    'Nonces verified, per chip.',
    m.chips.map((c, i) => [{ chip: String(i) }, c.nonces]),
  );
  e.family(
    'hashaxe_chip_hashrate_ghs',
    'gauge',
    'Hash rate from verified results over the last minute, per chip, GH/s.',
    m.chips.map((c, i) => [{ chip: String(i) }, c.hashrateGhs ?? null]),
  );
  e.family(
    'hashaxe_hardware_errors_total',
    'counter',
    'Nonces that did not hash to the ticket difficulty (hardware errors), per chip.',
    m.chips.map((c, i) => [{ chip: String(i) }, c.hwErrors]),
  );
  const uart = m.uart;
  e.family(
    'hashaxe_uart_crc_errors_total',
    'counter',
    "Chip response frames that failed their CRC (line noise, wiring, baud); the chain's, no chip can be named.",
    uart === undefined ? [] : [[{}, uart.crcErrors]],
  );
  e.family(
    'hashaxe_uart_dropped_bytes_total',
    'counter',
    'Bytes from the chips skipped while resynchronising on the next frame.',
    uart === undefined ? [] : [[{}, uart.droppedBytes]],
  );
  e.family(
    'hashaxe_uart_frames_total',
    'counter',
    'Chip response frames received with a good CRC.',
    uart === undefined ? [] : [[{}, uart.frames]],
  );
  e.family(
    'hashaxe_uart_crc_error_ratio',
    'gauge',
    'CRC errors as a share of response frames over the last UART health window (0..1).',
    uart === undefined ? [] : [[{ window: `${uart.windowSec}s` }, uart.crcErrorPercent / 100]],
  );
  e.family(
    'hashaxe_chip_hardware_error_ratio',
    'gauge',
    "Hardware errors as a share of the chip's nonces over the last UART health window (0..1), per chip.",
    (uart?.chips ?? []).map((c, i) => [{ chip: String(i), window: `${uart?.windowSec}s` }, c.hwErrorPercent / 100]),
  );
  e.family(
    'hashaxe_asic_temperature_celsius',
    'gauge',
    'ASIC temperature per sensor, board offset applied.',
    (t?.asicTempsC ?? []).map((v, i) => [{ sensor: String(i), part: sensorLabels[i] ?? '' }, v]),
  );
  e.family('hashaxe_vr_temperature_celsius', 'gauge', 'Core voltage regulator temperature.', [
    [{}, t?.vrTempC ?? null],
  ]);
  e.family('hashaxe_fan_speed_percent', 'gauge', 'Fan drive commanded, percent.', [[{}, t?.fanPercent ?? null]]);
  e.family(
    'hashaxe_fan_rpm',
    'gauge',
    'Fan speed from the tachometer.',
    (t?.fanRpm ?? []).map((r, i) => [{ fan: String(i) }, r]),
  );
  e.family('hashaxe_power_watts', 'gauge', 'Board power.', [[{}, t?.powerW ?? null]]);
  e.family('hashaxe_input_voltage_volts', 'gauge', 'Input supply voltage.', [
    [{}, t?.inputVoltageMv == null ? null : t.inputVoltageMv / 1000],
  ]);
  e.family('hashaxe_input_current_amps', 'gauge', 'Input (INA260) or regulator output (TPS546) current.', [
    [{}, t?.currentMa == null ? null : t.currentMa / 1000],
  ]);
  e.family('hashaxe_core_voltage_volts', 'gauge', 'Core voltage per chip: set, and actual (measured or inferred).', [
    [{ kind: 'set' }, t === null ? null : t.voltageSetMv / 1000],
    [{ kind: 'actual' }, t?.voltageActualMv == null ? null : t.voltageActualMv / 1000],
  ]);
  e.family('hashaxe_frequency_mhz', 'gauge', 'ASIC frequency: set, and applied by the PLL.', [
    [{ kind: 'set' }, clock.frequencySetMhz],
    [{ kind: 'actual' }, clock.frequencyActualMhz],
  ]);
  e.family('hashaxe_asic_power_on', 'gauge', '1 while the chips are powered and out of reset.', [
    [{}, t === null ? null : t.asicRunning ? 1 : 0],
  ]);
  e.family('hashaxe_overheat', 'gauge', '1 while an overheat cut is latched.', [
    [{}, t === null ? null : t.overheat === null ? 0 : 1],
  ]);
  e.family('hashaxe_sensor_fault', 'gauge', '1 while a temperature sensor is failing.', [
    [{}, t === null ? null : t.sensorFault === null ? 0 : 1],
  ]);
  e.family('hashaxe_hardware_fault', 'gauge', '1 while a hardware-fault cut is latched.', [
    [{}, t === null ? null : t.hardwareFault === null ? 0 : 1],
  ]);
  e.family('hashaxe_power_fault', 'gauge', '1 while the regulator reports a fault.', [
    [{}, t === null ? null : t.powerFault === null ? 0 : 1],
  ]);
  renderTemplates(e, m);
  e.family('hashaxe_uptime_seconds', 'gauge', 'Seconds since the daemon started.', [[{}, m.uptimeSeconds]]);
  return e.toString();
}

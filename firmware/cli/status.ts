import { formatDifficulty } from '../../src/util/units.js';
import { parseCommandArgs } from './args.js';
import { type CliIo, type Command, EXIT_OK, printJson, UsageError } from './command.js';
import { API_OPTIONS, API_USAGE, apiTarget, callDaemon, raiseForStatus } from './daemon-api.js';

const usage = `Usage: hashaxe status [--json] [--api URL]

Shows the running daemon's board and mining state: temperatures, fan, power, core voltage, frequency,
hash rate, shares and any latched fault (a daemon without board control, --peripherals none, has only the
mining half). --json prints the daemon's AxeOS-compatible /api/system/info object on one line.

${API_USAGE}`;

type Info = Record<string, unknown> & { hashaxe?: Record<string, unknown> };

const num = (v: unknown, digits = 1): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');

function render(info: Info): string {
  const h = (info.hashaxe ?? {}) as Record<string, unknown>;
  const limits = (h.limits ?? {}) as { asicTempC?: { max?: number }; vrTempC?: { max?: number } };
  const overheat = h.overheat as { reason?: string } | null | undefined;
  const faults = [
    overheat?.reason,
    typeof info.hardware_fault === 'string' ? info.hardware_fault : undefined,
    typeof info.power_fault === 'string' ? `regulator: ${info.power_fault}` : undefined,
    ...(Array.isArray(h.warnings) ? (h.warnings as string[]) : []),
  ].filter((f): f is string => typeof f === 'string');
  const temp = info.temp === -1 ? '—' : `${num(info.temp)} °C`;
  const vr =
    typeof info.vrTemp === 'number' && info.vrTemp > 0
      ? `${num(info.vrTemp)} °C (limit ${limits.vrTempC?.max ?? '?'} °C)`
      : '—';
  const fanMode = info.autofanspeed === 1 ? `auto, target ${info.temptarget} °C, min ${info.minFanSpeed} %` : 'manual';
  // A daemon without board control (--peripherals none) sends no board readings: one row says so instead.
  const boardRows: Array<[string, string]> =
    h.boardControl === false
      ? [
          [
            'board',
            `${h.board ?? info.deviceModel} (${info.ASICModel} ×${info.asicCount}), no board control here${h.asicRunning ? ', chips running' : ''}`,
          ],
          ['board sensors', 'none: fan, temperatures, power and core voltage are not read by hashaxe'],
        ]
      : [
          [
            'board',
            `${h.board ?? info.deviceModel} (${info.ASICModel} ×${info.asicCount}), power ${h.power ?? '?'}${h.asicRunning ? ', chips running' : ''}`,
          ],
          ['asic temp', `${temp} (limit ${limits.asicTempC?.max ?? '?'} °C)`],
          ['vr temp', vr],
          ['fan', `${num(info.fanspeed)} % (${h.fanReason ?? fanMode}; ${fanMode}), ${info.fanrpm} rpm`],
          ['power', `${num(info.power, 2)} W, input ${num(info.voltage, 0)} mV, ${num(info.current, 0)} mA`],
          [
            'core voltage',
            `${info.coreVoltage} mV set, ${info.coreVoltageActual} mV ${h.voltageMeasured ? 'measured' : 'from the DAC setting'}`,
          ],
        ];
  const rows: Array<[string, string]> = [
    ...boardRows,
    ['frequency', `${info.frequency} MHz set, ${info.actualFrequency} MHz applied`],
    [
      'hash rate',
      `${num(info.hashRate_1m)} GH/s (1 m), ${num(info.hashRate_10m)} (10 m), ${num(info.hashRate_1h)} (1 h); expected ${num(info.expectedHashrate)}`,
    ],
    ['shares', `${info.sharesAccepted} accepted, ${info.sharesRejected} rejected, best difficulty ${info.bestDiff}`],
    [
      'pool',
      typeof info.stratumURL === 'string' && info.stratumURL !== ''
        ? // AxeOS reports the bare host, its port and the protocol apart.
          `${info.stratumURL}:${info.stratumPort} as ${info.stratumUser}${poolDetails(info)}`
        : '—',
    ],
    ...templateRows(h),
    ['uptime', `${info.uptimeSeconds} s`],
    ['faults', faults.length === 0 ? 'none' : faults.join('; ')],
  ];
  return rows.map(([k, v]) => `${k.padEnd(13)} ${v}\n`).join('');
}

/** "(SV1, difficulty 0.000116, backup pool)": the protocol, the pool's difficulty and whether it is the fallback. */
function poolDetails(info: Record<string, unknown>): string {
  const parts: string[] = [];
  const channel =
    typeof info.stratumV2ChannelType === 'string' && info.stratumV2ChannelType !== '' && info.stratumProtocol === 'SV2'
      ? ` ${info.stratumV2ChannelType} channel`
      : '';
  if (typeof info.stratumProtocol === 'string' && info.stratumProtocol !== '')
    parts.push(info.stratumProtocol + channel);
  if (typeof info.poolDifficulty === 'number' && info.poolDifficulty > 0) {
    parts.push(`difficulty ${formatDifficulty(info.poolDifficulty)}`);
  }
  if (info.isUsingFallbackStratum === 1) parts.push('backup pool');
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/** Where templates come from and who is paid; solo's blocks and the node's answers. */
function templateRows(h: Record<string, unknown>): Array<[string, string]> {
  const t = h.templates as
    | {
        source: string;
        endpoint: string | null;
        chain: string | null;
        payout: string | null;
        template: { height: number; transactions: number | null; payoutSats: number } | null;
      }
    | undefined;
  if (t === undefined) return [];
  if (t.source === 'pool') return [['templates', "the pool's (it builds the blocks and pays by its rules)"]];
  const w = t.template;
  const where = `${t.source === 'node' ? 'own node' : 'own template provider'} ${t.endpoint ?? ''} (${t.chain ?? '?'})`;
  const rows: Array<[string, string]> = [
    [
      'templates',
      w === null
        ? `${where}, no template yet`
        : `${where}, height ${w.height}${w.transactions === null ? '' : `, ${w.transactions} transactions`}`,
    ],
    ['payout', `${w === null ? '' : `${(w.payoutSats / 1e8).toFixed(8)} BTC a block to `}${t.payout ?? '?'}`],
  ];
  const b = h.blocks as
    | {
        found: number;
        accepted: number;
        rejected: number;
        recent: Array<{ height: number; hash: string; answer: string; reason: string | null }>;
      }
    | undefined;
  if (b !== undefined) {
    const last = b.recent[b.recent.length - 1];
    rows.push([
      'blocks',
      `${b.found} found, ${b.accepted} accepted, ${b.rejected} not accepted` +
        (last === undefined
          ? ''
          : `; last: ${last.height} ${last.hash.slice(0, 16)}… ${last.answer}${last.reason && last.reason !== last.answer ? ` (${last.reason})` : ''}`),
    ]);
  }
  return rows;
}

export const status: Command = {
  path: ['status'],
  summary: "show the running daemon's board and mining state",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, API_OPTIONS);
    if (positionals.length > 0)
      throw new UsageError(`status takes no arguments, got ${JSON.stringify(positionals[0])}`);
    const target = apiTarget(values);
    const reply = await callDaemon(target, 'GET', '/api/system/info', undefined, io.signal);
    raiseForStatus(reply);
    const info = reply.body as Info;
    if (values.json) printJson(io, info);
    else io.stdout(render(info));
    return EXIT_OK;
  },
};

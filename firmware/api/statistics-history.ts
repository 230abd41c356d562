/**
 * AxeOS's `/api/system/statistics`: a bounded history of the same figures `/api/system/info` reports, one row
 * every `statsFrequency` seconds (720 rows kept: 1 hour at the default 5 s), for the dashboards' charts.
 *
 * The rows are taken from the info object itself, so the history can never disagree with the live figures.
 * Timestamps are milliseconds on one monotonic clock, the same as `currentTimestamp`: the AxeOS UI places a
 * point at `Date.now() − currentTimestamp + timestamp`.
 */

type Info = Record<string, unknown>;
const field =
  (name: string) =>
  (info: Info): unknown =>
    info[name];
const own =
  (group: string, key: string) =>
  (info: Info): unknown =>
    ((info.hashaxe as Info | undefined)?.[group] as Info | null | undefined)?.[key];

/** The columns in ESP-Miner's fixed order, each with the info field it samples. `timestamp` always ends a row. */
export const STATISTICS_COLUMNS: ReadonlyArray<readonly [column: string, sample: (info: Info) => unknown]> = [
  ['hashrate', field('hashRate')],
  ['hashrate_1m', field('hashRate_1m')],
  ['hashrate_10m', field('hashRate_10m')],
  ['hashrate_1h', field('hashRate_1h')],
  ['errorPercentage', field('errorPercentage')],
  ['asicTemp', field('temp')],
  ['asicTemp2', field('temp2')],
  ['vrTemp', field('vrTemp')],
  ['asicVoltage', field('coreVoltageActual')],
  ['voltage', field('voltage')],
  ['power', field('power')],
  ['current', field('current')],
  ['fanSpeed', field('fanspeed')],
  ['fanRpm', field('fanrpm')],
  ['fan2Rpm', field('fan2rpm')],
  ['wifiRssi', field('wifiRSSI')],
  ['freeHeap', field('freeHeap')],
  ['responseTime', field('responseTime')],
];

/**
 * hashaxe's own columns (the pool-credited hash rate, GH/s), sent only when asked for by name: a client that asks
 * for everything gets exactly ESP-Miner's columns.
 */
export const EXTENSION_COLUMNS: ReadonlyArray<readonly [column: string, sample: (info: Info) => unknown]> = [
  ['poolHashrate_1m', own('poolHashrateGhs', 'm1')],
  ['poolHashrate_10m', own('poolHashrateGhs', 'm10')],
  ['poolHashrate_1h', own('poolHashrateGhs', 'h1')],
];

const ALL_COLUMNS = [...STATISTICS_COLUMNS, ...EXTENSION_COLUMNS];

export const STATISTICS_LIMIT = 720;
export const DEFAULT_STATS_FREQUENCY_S = 5;

export interface StatisticsReply {
  currentTimestamp: number;
  labels: string[];
  statistics: number[][];
}

export class StatisticsHistory {
  private rows: number[][] = [];
  private lastSampleMs = Number.NEGATIVE_INFINITY;
  private frequencyS: number;

  constructor(
    frequencyS = DEFAULT_STATS_FREQUENCY_S,
    private readonly limit = STATISTICS_LIMIT,
    private readonly now: () => number = () => Math.round(performance.now()),
  ) {
    this.frequencyS = frequencyS;
  }

  get frequency(): number {
    return this.frequencyS;
  }

  /** 0 turns the history off and frees it (as on ESP-Miner). */
  setFrequency(seconds: number): void {
    this.frequencyS = seconds;
    if (seconds === 0) this.rows = [];
  }

  /** A row is due (the caller builds the info object only then). */
  get due(): boolean {
    return this.frequencyS > 0 && this.now() - this.lastSampleMs >= this.frequencyS * 1000;
  }

  /** Takes a row from `info` when a sample is due (call it often; it samples at the set frequency). */
  offer(info: Record<string, unknown>): void {
    if (!this.due) return;
    const t = this.now();
    this.lastSampleMs = t;
    const row = ALL_COLUMNS.map(([, sample]) => {
      const v = sample(info);
      return typeof v === 'number' && Number.isFinite(v) ? v : 0;
    });
    row.push(t);
    this.rows.push(row);
    if (this.rows.length > this.limit) this.rows.splice(0, this.rows.length - this.limit);
  }

  /** The reply for `?columns=a,b` (null or empty: every column); unknown names are dropped. */
  query(columns: string | null): StatisticsReply {
    const wanted = new Set(
      (columns ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c !== ''),
    );
    let picks = ALL_COLUMNS.map((c, i) => [c[0], i] as const).filter(([name]) => wanted.has(name));
    if (picks.length === 0) picks = STATISTICS_COLUMNS.map((c, i) => [c[0], i] as const);
    const ts = ALL_COLUMNS.length;
    return {
      currentTimestamp: this.now(),
      labels: [...picks.map(([name]) => name), 'timestamp'],
      statistics: this.rows.map((r) => [...picks.map(([, i]) => r[i]), r[ts]]),
    };
  }
}

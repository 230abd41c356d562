/**
 * AxeOS's `/api/system/statistics`: a bounded history of the same figures `/api/system/info` reports, one row
 * every `statsFrequency` seconds (720 rows kept: 1 hour at the default 5 s), for the dashboards' charts.
 *
 * The rows are taken from the info object itself, so the history can never disagree with the live figures.
 * Timestamps are milliseconds on one monotonic clock, the same as `currentTimestamp`: the AxeOS UI places a
 * point at `Date.now() − currentTimestamp + timestamp`.
 */

/** The columns in ESP-Miner's fixed order, each with the info field it samples. `timestamp` always ends a row. */
export const STATISTICS_COLUMNS: ReadonlyArray<readonly [column: string, infoField: string]> = [
  ['hashrate', 'hashRate'],
  ['hashrate_1m', 'hashRate_1m'],
  ['hashrate_10m', 'hashRate_10m'],
  ['hashrate_1h', 'hashRate_1h'],
  ['errorPercentage', 'errorPercentage'],
  ['asicTemp', 'temp'],
  ['asicTemp2', 'temp2'],
  ['vrTemp', 'vrTemp'],
  ['asicVoltage', 'coreVoltageActual'],
  ['voltage', 'voltage'],
  ['power', 'power'],
  ['current', 'current'],
  ['fanSpeed', 'fanspeed'],
  ['fanRpm', 'fanrpm'],
  ['fan2Rpm', 'fan2rpm'],
  ['wifiRssi', 'wifiRSSI'],
  ['freeHeap', 'freeHeap'],
  ['responseTime', 'responseTime'],
];

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
    const row = STATISTICS_COLUMNS.map(([, field]) => {
      const v = info[field];
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
    let picks = STATISTICS_COLUMNS.map((c, i) => [c[0], i] as const).filter(([name]) => wanted.has(name));
    if (picks.length === 0) picks = STATISTICS_COLUMNS.map((c, i) => [c[0], i] as const);
    const ts = STATISTICS_COLUMNS.length;
    return {
      currentTimestamp: this.now(),
      labels: [...picks.map(([name]) => name), 'timestamp'],
      statistics: this.rows.map((r) => [...picks.map(([, i]) => r[i]), r[ts]]),
    };
  }
}

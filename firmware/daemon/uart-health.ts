/**
 * Watches the line to the chips. The response framer counts what it had to throw away (CRC errors, bytes
 * skipped while resynchronising) and the engine counts, per chip, nonces that did not hash to the ticket
 * (hardware errors); this turns those running totals into rates over a sliding window, for the API, /metrics
 * and the status line, and says so in the log when a rate crosses its threshold (and again when it is back).
 *
 * A healthy UART shows no CRC errors at all; a few per cent means noise, a loose ground or a marginal baud
 * rate, and shows up as lost hash rate long before anything fails outright. The chain watchdog
 * (chain-watchdog.ts) acts on the hardware-error rate; this only measures and reports.
 */
import type { UartHealthSnapshot } from '../api/mining-status.js';

export interface UartCounters {
  crcErrors: number;
  droppedBytes: number;
  /** Response frames that passed the CRC. */
  frames: number;
  /** Per chip: verified nonces and hardware errors. */
  chips: ReadonlyArray<{ nonces: number; hwErrors: number }>;
}

export interface UartHealthPolicy {
  /** Rates are taken over this much history. */
  windowMs: number;
  /** Log when CRC errors pass this share of response frames over the window, with at least `minErrors`. */
  crcWarnFraction: number;
  /** Log when a chip's hardware errors pass this share of its nonces over the window, with at least `minErrors`. */
  hwWarnFraction: number;
  /** Fewer errors than this in the window are never a trend. */
  minErrors: number;
}

export const DEFAULT_UART_HEALTH: UartHealthPolicy = {
  windowMs: 60_000,
  crcWarnFraction: 0.01,
  hwWarnFraction: 0.05,
  minErrors: 5,
};

export interface UartHealthLog {
  info(message: string): void;
  warn(message: string): void;
}

interface Sample {
  atMs: number;
  c: UartCounters;
}

/** An error rate over the window: errors and their share of everything counted. */
export interface WindowRate {
  errors: number;
  total: number;
  fraction: number;
}

function rate(errors: number, good: number): WindowRate {
  const total = errors + good;
  return { errors, total, fraction: total > 0 ? errors / total : 0 };
}

const percent = (f: number): string => `${(f * 100).toFixed(f < 0.1 ? 1 : 0)} %`;

export class UartHealth {
  private readonly policy: UartHealthPolicy;
  private samples: Sample[] = [];
  private crcHigh = false;
  private chipHigh: boolean[] = [];

  constructor(
    private readonly log: UartHealthLog,
    policy: Partial<UartHealthPolicy> = {},
  ) {
    this.policy = { ...DEFAULT_UART_HEALTH, ...policy };
  }

  /** Takes the running totals now; logs a rate that crossed its threshold either way. */
  observe(nowMs: number, counters: UartCounters): void {
    this.samples.push({ atMs: nowMs, c: { ...counters, chips: counters.chips.map((x) => ({ ...x })) } });
    // Keep the newest sample at or before the window's start as the baseline.
    const from = nowMs - this.policy.windowMs;
    while (this.samples.length > 2 && this.samples[1].atMs <= from) this.samples.shift();
    this.report();
  }

  /** Forgets the history (after a power cycle: the new run is judged on its own). */
  reset(): void {
    this.samples = [];
    this.crcHigh = false;
    this.chipHigh = [];
  }

  /** CRC errors against good frames over the window. */
  crcRate(): WindowRate {
    const d = this.delta();
    return d === null ? rate(0, 0) : rate(d.crcErrors, d.frames);
  }

  /** Each chip's hardware errors against its verified nonces over the window. */
  chipRates(): WindowRate[] {
    const d = this.delta();
    return d === null ? [] : d.chips.map((c) => rate(c.hwErrors, c.nonces));
  }

  /** How much of the window the history covers (ms): a rate over a short history is a burst, not a trend. */
  get coveredMs(): number {
    return this.samples.length < 2 ? 0 : this.samples[this.samples.length - 1].atMs - this.samples[0].atMs;
  }

  snapshot(): UartHealthSnapshot {
    const last = this.samples[this.samples.length - 1]?.c;
    const chipRates = this.chipRates();
    const d = this.delta();
    const hw = d === null ? rate(0, 0) : rate(sum(d.chips, 'hwErrors'), sum(d.chips, 'nonces'));
    return {
      crcErrors: last?.crcErrors ?? 0,
      droppedBytes: last?.droppedBytes ?? 0,
      frames: last?.frames ?? 0,
      crcErrorPercent: round3(this.crcRate().fraction * 100),
      hwErrors: last === undefined ? 0 : sum(last.chips, 'hwErrors'),
      hwErrorPercent: round3(hw.fraction * 100),
      windowSec: this.policy.windowMs / 1000,
      chips: (last?.chips ?? []).map((c, i) => ({
        nonces: c.nonces,
        hwErrors: c.hwErrors,
        hwErrorPercent: round3((chipRates[i]?.fraction ?? 0) * 100),
      })),
    };
  }

  private delta(): UartCounters | null {
    if (this.samples.length < 2) return null;
    const a = this.samples[0].c;
    const b = this.samples[this.samples.length - 1].c;
    return {
      crcErrors: b.crcErrors - a.crcErrors,
      droppedBytes: b.droppedBytes - a.droppedBytes,
      frames: b.frames - a.frames,
      chips: b.chips.map((c, i) => ({
        nonces: c.nonces - (a.chips[i]?.nonces ?? 0),
        hwErrors: c.hwErrors - (a.chips[i]?.hwErrors ?? 0),
      })),
    };
  }

  /** Warns when a rate passes its threshold; says it is back once it is under half of it (no flapping). */
  private report(): void {
    const p = this.policy;
    const d = this.delta();
    if (d === null) return;
    const window = `${Math.round(p.windowMs / 1000)} s`;
    const crc = rate(d.crcErrors, d.frames);
    if (!this.crcHigh && crc.errors >= p.minErrors && crc.fraction >= p.crcWarnFraction) {
      this.crcHigh = true;
      this.log.warn(
        `UART errors: ${percent(crc.fraction)} of the chips' response frames failed their CRC over the last ` +
          `${window} (${crc.errors} CRC errors, ${d.droppedBytes} bytes skipped); nonces are being lost: check ` +
          `the serial wiring and ground, and the baud rate`,
      );
    } else if (this.crcHigh && crc.fraction < p.crcWarnFraction / 2) {
      this.crcHigh = false;
      this.log.info(`UART errors back down: ${percent(crc.fraction)} of response frames over the last ${window}`);
    }
    this.reportChips(d, window);
  }

  private reportChips(d: UartCounters, window: string): void {
    const p = this.policy;
    d.chips.forEach((c, i) => {
      const r = rate(c.hwErrors, c.nonces);
      const high = r.errors >= p.minErrors && r.fraction >= p.hwWarnFraction;
      if (high && !this.chipHigh[i]) {
        this.log.warn(
          `chip ${i}: ${percent(r.fraction)} of its nonces were hardware errors over the last ${window} ` +
            `(${r.errors} of ${r.total}): line noise, an unstable voltage or frequency, or a failing chip`,
        );
        this.chipHigh[i] = true;
      } else if (!high && this.chipHigh[i] && r.fraction < p.hwWarnFraction / 2) {
        this.log.info(`chip ${i}: hardware errors back down to ${percent(r.fraction)} of its nonces`);
        this.chipHigh[i] = false;
      }
    });
  }
}

function sum(chips: ReadonlyArray<{ nonces: number; hwErrors: number }>, key: 'nonces' | 'hwErrors'): number {
  let n = 0;
  for (const c of chips) n += c[key];
  return n;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

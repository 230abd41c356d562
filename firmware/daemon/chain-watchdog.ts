/**
 * The chain watchdog: chips that stop sending nonces while the pool still feeds them work are the "hash rate
 * flat-lines with the pool connected" failure Bitaxe users report (a chip that browned out, a UART that lost
 * sync). The daemon power-cycles the chain when it has been silent far longer than its ticket and hash rate
 * allow — never on a merely unlucky streak — and gives up after a few tries an hour so a dead board is not
 * cycled forever.
 *
 * A chain can also fail loudly: a chip whose nonces mostly do not hash (hardware errors from a marginal
 * voltage or clock, a garbled line) still "sends nonces" but finds nothing. When a chip's hardware errors stay
 * at or above `maxHwErrorFraction` of its nonces (at least `minHwErrors` of them in the measuring window) for
 * `hwErrorSustainMs`, the chain is power-cycled too, from the same hourly budget.
 */
export interface WatchdogPolicy {
  /** Never act on less silence than this (ms). */
  minSilenceMs: number;
  /** Silence of this many expected result intervals counts as dead (P ≈ e^-n for a live chain). */
  expectedIntervals: number;
  /** Power cycles allowed per hour before the watchdog stops and leaves the chips alone. */
  maxRestartsPerHour: number;
  /** A chip with at least this share of hardware errors among its nonces… */
  maxHwErrorFraction: number;
  /** …and at least this many of them in the window… */
  minHwErrors: number;
  /** …for this long without a break gets the chain power-cycled (ms). */
  hwErrorSustainMs: number;
}

export const DEFAULT_WATCHDOG: WatchdogPolicy = {
  minSilenceMs: 60_000,
  expectedIntervals: 200,
  maxRestartsPerHour: 4,
  maxHwErrorFraction: 0.25,
  minHwErrors: 20,
  hwErrorSustainMs: 60_000,
};

export type WatchdogVerdict = 'ok' | 'restart' | 'gave-up';

/** A chip's hardware errors over the measuring window. */
export interface ChipErrorRate {
  chip: number;
  errors: number;
  /** Errors / (errors + verified nonces). */
  fraction: number;
}

export class ChainWatchdog {
  private readonly restarts: number[] = [];
  private errorsHighSinceMs: number | null = null;

  constructor(private readonly policy: WatchdogPolicy = DEFAULT_WATCHDOG) {}

  /** How long a silence is tolerated at this result interval (ms). */
  limitMs(expectedIntervalMs: number): number {
    return Math.max(this.policy.minSilenceMs, this.policy.expectedIntervals * expectedIntervalMs);
  }

  /** Decides on one observation of silence; a `restart` verdict is counted against the hourly budget. */
  check(nowMs: number, silentForMs: number, expectedIntervalMs: number): WatchdogVerdict {
    if (!(silentForMs > this.limitMs(expectedIntervalMs))) return 'ok';
    return this.takeRestart(nowMs);
  }

  /**
   * Decides on the worst chip's hardware-error rate now; restarts once it has stayed high for
   * `hwErrorSustainMs`. Returns the verdict and, while high, since when.
   */
  checkErrors(nowMs: number, worst: ChipErrorRate | null): WatchdogVerdict {
    const p = this.policy;
    const high = worst !== null && worst.errors >= p.minHwErrors && worst.fraction >= p.maxHwErrorFraction;
    if (!high) {
      this.errorsHighSinceMs = null;
      return 'ok';
    }
    this.errorsHighSinceMs ??= nowMs;
    if (nowMs - this.errorsHighSinceMs < p.hwErrorSustainMs) return 'ok';
    this.errorsHighSinceMs = null;
    return this.takeRestart(nowMs);
  }

  /** How long the hardware-error rate has been high (ms), or 0. */
  errorsHighForMs(nowMs: number): number {
    return this.errorsHighSinceMs === null ? 0 : nowMs - this.errorsHighSinceMs;
  }

  private takeRestart(nowMs: number): WatchdogVerdict {
    while (this.restarts.length > 0 && nowMs - this.restarts[0] > 3_600_000) this.restarts.shift();
    if (this.restarts.length >= this.policy.maxRestartsPerHour) return 'gave-up';
    this.restarts.push(nowMs);
    return 'restart';
  }

  get restartCount(): number {
    return this.restarts.length;
  }
}

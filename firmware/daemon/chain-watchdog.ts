/**
 * The chain watchdog: chips that stop sending nonces while the pool still feeds them work are the "hash rate
 * flat-lines with the pool connected" failure Bitaxe users report (a chip that browned out, a UART that lost
 * sync). The daemon power-cycles the chain when it has been silent far longer than its ticket and hash rate
 * allow — never on a merely unlucky streak — and gives up after a few tries an hour so a dead board is not
 * cycled forever.
 */
export interface WatchdogPolicy {
  /** Never act on less silence than this (ms). */
  minSilenceMs: number;
  /** Silence of this many expected result intervals counts as dead (P ≈ e^-n for a live chain). */
  expectedIntervals: number;
  /** Power cycles allowed per hour before the watchdog stops and leaves the chips alone. */
  maxRestartsPerHour: number;
}

export const DEFAULT_WATCHDOG: WatchdogPolicy = { minSilenceMs: 60_000, expectedIntervals: 200, maxRestartsPerHour: 4 };

export type WatchdogVerdict = 'ok' | 'restart' | 'gave-up';

export class ChainWatchdog {
  private readonly restarts: number[] = [];

  constructor(private readonly policy: WatchdogPolicy = DEFAULT_WATCHDOG) {}

  /** How long a silence is tolerated at this result interval (ms). */
  limitMs(expectedIntervalMs: number): number {
    return Math.max(this.policy.minSilenceMs, this.policy.expectedIntervals * expectedIntervalMs);
  }

  /** Decides on one observation; a `restart` verdict is counted against the hourly budget. */
  check(nowMs: number, silentForMs: number, expectedIntervalMs: number): WatchdogVerdict {
    if (!(silentForMs > this.limitMs(expectedIntervalMs))) return 'ok';
    while (this.restarts.length > 0 && nowMs - this.restarts[0] > 3_600_000) this.restarts.shift();
    if (this.restarts.length >= this.policy.maxRestartsPerHour) return 'gave-up';
    this.restarts.push(nowMs);
    return 'restart';
  }

  get restartCount(): number {
    return this.restarts.length;
  }
}

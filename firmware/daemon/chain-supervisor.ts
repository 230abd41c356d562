/**
 * The daemon's once-a-second look at its chain: it takes the line's running totals for the UART health
 * figures (uart-health.ts) and asks the chain watchdog (chain-watchdog.ts) whether the chain needs a power
 * cycle — silent while mining, a chip whose hardware errors stay high, or a bring-up that failed — and does it,
 * within the watchdog's hourly budget. The miner hands it views of its state and the power-cycle itself.
 */
import type { ChainStats } from '../../drivers/asic/bm13xx-chain.js';
import type { MiningEngine } from '../../src/mining/engine.js';
import type { UartHealthSnapshot } from '../api/mining-status.js';
import type { BoardLog } from '../board/board-control.js';
import {
  ChainWatchdog,
  type ChipErrorRate,
  DEFAULT_WATCHDOG,
  type WatchdogPolicy,
  type WatchdogVerdict,
} from './chain-watchdog.js';
import { UartHealth, type UartHealthPolicy } from './uart-health.js';

export interface ChainSupervisorOptions {
  log: BoardLog;
  watchdog?: Partial<WatchdogPolicy>;
  uartHealth?: Partial<UartHealthPolicy>;
  /** The chain's counters, or null before it exists. */
  chainStats: () => ChainStats | null;
  engine: () => MiningEngine | null;
  /** The chips are enumerated and initialised. */
  chipsUp: () => boolean;
  /** A pool gives work now (silence only counts while it does). */
  poolConnected: () => boolean;
  /** Why the last bring-up failed, or null. */
  bringUpError: () => Error | null;
  /** An overheat or hardware fault is latched: the board, not the watchdog, holds the chips down. */
  latched: () => boolean;
  /** Powers the chain off and on again (bring-up included). */
  powerCycle: () => Promise<void>;
  /** Shutting down: no more checks. */
  stopping: () => boolean;
}

export class ChainSupervisor {
  private readonly watchdog: ChainWatchdog;
  private readonly policy: WatchdogPolicy;
  private readonly health: UartHealth;
  private timer: NodeJS.Timeout | null = null;
  private recovering = false;
  private gaveUp = false;
  private restarts = 0;
  private lastRecoveryMs = 0;

  constructor(private readonly o: ChainSupervisorOptions) {
    this.policy = { ...DEFAULT_WATCHDOG, ...o.watchdog };
    this.watchdog = new ChainWatchdog(this.policy);
    this.health = new UartHealth(o.log, o.uartHealth);
  }

  /** Power cycles done so far. */
  get chainRestarts(): number {
    return this.restarts;
  }

  uartSnapshot(): UartHealthSnapshot {
    return this.health.snapshot();
  }

  start(periodMs = 1000): void {
    this.timer ??= setInterval(() => void this.check(), periodMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** The line's running totals now, for the UART health figures. */
  private observe(now: number, engine: MiningEngine): void {
    const c = this.o.chainStats();
    if (c === null) return;
    const chips = engine.stats.snapshot().chips.map((x) => ({ nonces: x.nonces, hwErrors: x.hwErrors }));
    this.health.observe(now, { crcErrors: c.crcErrors, droppedBytes: c.droppedBytes, frames: c.frames, chips });
  }

  /** The chip with the highest hardware-error share over the UART health window, or null before any. */
  private worstChip(): ChipErrorRate | null {
    let worst: ChipErrorRate | null = null;
    this.health.chipRates().forEach((r, chip) => {
      if (worst === null || r.fraction > worst.fraction) worst = { chip, errors: r.errors, fraction: r.fraction };
    });
    return worst;
  }

  /** One look: figures first, then the watchdog's verdict and, when it says so, the power cycle. */
  async check(): Promise<void> {
    const engine = this.o.engine();
    if (engine === null || this.o.stopping()) return;
    const now = Date.now();
    this.observe(now, engine);
    if (this.recovering || this.gaveUp) return;
    let verdict: WatchdogVerdict;
    let why: string;
    if (this.o.chipsUp()) {
      if (!this.o.poolConnected()) return;
      const silentMs = engine.silentForMs();
      const expectedMs = engine.expectedResultIntervalMs();
      why = `no nonces from the chips for ${Math.round(silentMs / 1000)} s while mining (about one every ${expectedMs.toFixed(0)} ms expected)`;
      verdict = this.watchdog.check(now, silentMs, expectedMs);
      if (verdict === 'ok') {
        const worst = this.worstChip();
        verdict = this.watchdog.checkErrors(now, worst);
        if (worst !== null && verdict !== 'ok') {
          why =
            `chip ${worst.chip}: ${(worst.fraction * 100).toFixed(0)} % of its nonces were hardware errors ` +
            `(${worst.errors} in the last ${Math.round(this.health.coveredMs / 1000)} s), for over ` +
            `${Math.round(this.policy.hwErrorSustainMs / 1000)} s`;
        }
      }
    } else {
      const failed = this.o.bringUpError();
      if (failed === null || this.o.latched()) return;
      why = `the chips did not come up (${failed.message})`;
      verdict = this.watchdog.check(now, now - this.lastRecoveryMs, 0);
    }
    if (verdict === 'ok') return;
    if (verdict === 'gave-up') {
      this.gaveUp = true;
      this.o.log.error(
        `${why}; the chain was power-cycled ${this.watchdog.restartCount} times this hour already: leaving it ` +
          `alone (check the board, then restart hashaxe)`,
      );
      return;
    }
    this.recovering = true;
    this.restarts++;
    this.lastRecoveryMs = now;
    this.o.log.warn(`${why}: power-cycling the chain`);
    try {
      await this.o.powerCycle();
    } catch (err) {
      this.o.log.error(`chain restart failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.lastRecoveryMs = Date.now();
      // The new run is judged on its own errors, not on the window that led to the restart.
      this.health.reset();
      this.recovering = false;
    }
  }
}

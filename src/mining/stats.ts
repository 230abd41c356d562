import { HashrateMeter } from './hashrate-meter.js';

const TWO_32 = 4294967296;

/** A point-in-time view of mining statistics, for the status line, the API and `--json` output. */
export interface MiningStatsSnapshot {
  uptimeSeconds: number;
  /** From verified chip results (ticket difficulty × 2^32 per nonce): what the chips really did. */
  hashrateGhs: { avg: number; m1: number; m10: number; h1: number };
  /** From shares the pool accepted (channel difficulty × 2^32 per share): what the pool sees. */
  poolHashrateGhs: { avg: number; m1: number; m10: number; h1: number };
  sharesSubmitted: number;
  sharesAccepted: number;
  sharesRejected: number;
  rejectReasons: Record<string, number>;
  /** Shares found but not sent because their job had gone stale (a new prevhash arrived first). */
  sharesDroppedStale: number;
  /** Shares the pool never answered: given up after the share timeout, or in flight when the connection dropped. */
  sharesTimedOut: number;
  sharesLost: number;
  bestDifficulty: number;
  verifiedNonces: number;
  hwErrors: number;
  /** Per chip index: results verified and hardware errors (nonces that did not hash to the ticket). */
  chips: Array<{ nonces: number; hwErrors: number; hashrateGhs: number }>;
}

interface ChipCounters {
  nonces: number;
  hwErrors: number;
  /** Verified work of this chip alone: a chip that stops shows here before the total moves much. */
  work: HashrateMeter;
}

/** Mining statistics with an injected clock (tests run in simulated time). */
export class MiningStats {
  private startMs: number;
  private readonly chipWork: HashrateMeter;
  private readonly poolWork: HashrateMeter;
  private readonly chips: ChipCounters[] = [];
  private readonly rejects = new Map<string, number>();
  private submitted = 0;
  private accepted = 0;
  private rejected = 0;
  private droppedStale = 0;
  private timedOut = 0;
  private lost = 0;
  private best = 0;
  private nonces = 0;
  private hw = 0;

  constructor(
    chipCount: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startMs = now();
    this.chipWork = new HashrateMeter(now);
    this.poolWork = new HashrateMeter(now);
    for (let i = 0; i < chipCount; i++) this.chip(i);
  }

  /** The best difficulty of any verified nonce so far (cheap: no snapshot). */
  get bestDifficulty(): number {
    return this.best;
  }

  /**
   * Hash rates count from now: called when the chips get their first work, so the time spent bringing the
   * board up and connecting does not dilute the figures. Counters are kept.
   */
  beginHashing(): void {
    this.startMs = this.now();
    this.chipWork.restart();
    this.poolWork.restart();
    for (const c of this.chips) c.work.restart();
  }

  /** A chip result that hashed to at least `ticketDifficulty` (the effective one, emulator scale included). */
  verifiedNonce(chipIndex: number, ticketDifficulty: number, hashDifficulty: number): void {
    this.nonces++;
    const chip = this.chip(chipIndex);
    chip.nonces++;
    chip.work.add(ticketDifficulty * TWO_32);
    this.chipWork.add(ticketDifficulty * TWO_32);
    if (hashDifficulty > this.best) this.best = hashDifficulty;
  }

  /** A chip result that did not hash to its ticket difficulty: the chip (or the line) is wrong. */
  hardwareError(chipIndex: number): void {
    this.hw++;
    this.chip(chipIndex).hwErrors++;
  }

  shareSubmitted(): void {
    this.submitted++;
  }

  shareAccepted(shareDifficulty: number, count = 1): void {
    this.accepted += count;
    this.poolWork.add(shareDifficulty * TWO_32 * count);
  }

  shareRejected(reason: string): void {
    this.rejected++;
    this.rejects.set(reason, (this.rejects.get(reason) ?? 0) + 1);
  }

  shareDroppedStale(): void {
    this.droppedStale++;
  }

  shareUnanswered(how: 'timeout' | 'lost', count = 1): void {
    if (how === 'timeout') this.timedOut += count;
    else this.lost += count;
  }

  /** A share counted as timed out was answered after all (a pool's batch closed late): it is no longer one. */
  shareAnsweredLate(): void {
    if (this.timedOut > 0) this.timedOut--;
  }

  snapshot(): MiningStatsSnapshot {
    const rates = (m: HashrateMeter): MiningStatsSnapshot['hashrateGhs'] => ({
      avg: m.averageRate() / 1e9,
      m1: m.rate(60) / 1e9,
      m10: m.rate(600) / 1e9,
      h1: m.rate(3600) / 1e9,
    });
    return {
      uptimeSeconds: Math.floor((this.now() - this.startMs) / 1000),
      hashrateGhs: rates(this.chipWork),
      poolHashrateGhs: rates(this.poolWork),
      sharesSubmitted: this.submitted,
      sharesAccepted: this.accepted,
      sharesRejected: this.rejected,
      rejectReasons: Object.fromEntries(this.rejects),
      sharesDroppedStale: this.droppedStale,
      sharesTimedOut: this.timedOut,
      sharesLost: this.lost,
      bestDifficulty: this.best,
      verifiedNonces: this.nonces,
      hwErrors: this.hw,
      chips: this.chips.map((c) => ({ nonces: c.nonces, hwErrors: c.hwErrors, hashrateGhs: c.work.rate(60) / 1e9 })),
    };
  }

  private chip(index: number): ChipCounters {
    while (this.chips.length <= index) this.chips.push({ nonces: 0, hwErrors: 0, work: new HashrateMeter(this.now) });
    return this.chips[index];
  }
}

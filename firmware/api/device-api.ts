/**
 * What the API asks of the running daemon beyond board control: pools, pause and resume, the scoreboard. The
 * daemon (firmware/daemon/miner.ts) implements it; commands go this way, telemetry comes back through
 * `MiningStatus`.
 */
import type { PoolTable } from './pool-slots.js';
import type { ScoreboardEntry } from './scoreboard.js';

export interface DeviceApi {
  poolTable(): PoolTable;
  /**
   * Restarts the upstream on the table's pools (failover order: primary, secondary, the rest). Rejects with the
   * reason, changing nothing, when a pool cannot be used (an unsupported protocol, a bad key).
   */
  applyPoolTable(table: PoolTable): Promise<void>;
  /** Stops hashing (the chips power down where the board allows); the pool connection stays. */
  pause(): void;
  resume(): void;
  scoreboard(): ScoreboardEntry[];
}

/** A pool change the daemon cannot make; the message is the reason shown to the user. */
export class PoolChangeError extends Error {
  override readonly name = 'PoolChangeError';
}

/**
 * The blocks a miner found and what the node said about each: counted for the API and /metrics, written to the
 * log (BLOCK FOUND when sent, then the node's answer), and kept for the state file across restarts.
 */
import type { BlockEvent } from '../../src/mining/job-source.js';
import type { BlocksStatus } from '../api/mining-status.js';
import { MAX_STORED_BLOCKS, type StoredBlock } from './lifetime-state.js';

export interface LedgerLog {
  info(message: string): void;
  warn(message: string): void;
}

export class BlockLedger {
  private readonly blocks: StoredBlock[];
  private found = 0;
  private accepted = 0;
  private notAccepted = 0;
  private readonly reasons: Record<string, number> = {};
  private superseded = 0;
  /** Bumped by every answered block: the state file is written when it moved. */
  private version = 0;

  constructor(
    private readonly log: LedgerLog,
    stored: readonly StoredBlock[] = [],
    private readonly now: () => number = Date.now,
  ) {
    this.blocks = stored.slice(-MAX_STORED_BLOCKS);
  }

  /** A share met the network target on a pool (the pool's block: only counted here). */
  shareMetNetworkTarget(): void {
    this.found++;
  }

  /** An own-template source sent a block (`answer` null) or reports the node's answer. */
  onBlock(e: BlockEvent): void {
    const btc = (Number(e.payoutSats) / 1e8).toFixed(8);
    if (e.answer === 'superseded') {
      this.superseded++;
      this.log.info(`another block at height ${e.height} (${e.hash}) ${e.reason ?? ''}`);
      return;
    }
    if (e.answer === null) {
      this.found++;
      this.log.info(
        `BLOCK FOUND at height ${e.height}: ${e.hash}, paying ${btc} BTC to ${e.payoutAddress}; sent to ${e.via}`,
      );
      return;
    }
    this.blocks.push({
      height: e.height,
      hash: e.hash,
      at: new Date(this.now()).toISOString(),
      answer: e.answer,
      reason: e.reason,
      via: e.via,
      payoutAddress: e.payoutAddress,
      payoutSats: e.payoutSats.toString(),
    });
    if (this.blocks.length > MAX_STORED_BLOCKS) this.blocks.shift();
    this.version++;
    if (e.answer === 'accepted') {
      this.accepted++;
      this.log.info(`block ${e.height} ${e.hash} accepted by ${e.via}`);
      return;
    }
    this.notAccepted++;
    const why = e.reason ?? e.answer;
    this.reasons[why] = (this.reasons[why] ?? 0) + 1;
    const verb = e.answer === 'rejected' ? 'REJECTED' : e.answer;
    this.log.warn(`block ${e.height} ${e.hash} ${verb} by ${e.via}${e.reason !== null ? `: ${e.reason}` : ''}`);
  }

  /** Changes with every answered block (the state file's save compares it). */
  get revision(): number {
    return this.version;
  }

  /** What the state file keeps. */
  stored(): StoredBlock[] {
    return this.blocks.slice();
  }

  status(): BlocksStatus {
    return {
      found: this.found,
      accepted: this.accepted,
      rejected: this.notAccepted,
      reasons: { ...this.reasons },
      superseded: this.superseded,
      recent: this.blocks.slice(-10),
    };
  }
}

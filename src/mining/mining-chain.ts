import type { ChipResult, Work } from './work.js';

/**
 * The engine's view of a chip chain: what it needs to hand out work and hear back, nothing of the wire format.
 * drivers/asic's Bm13xxChain provides it (firmware adapts one to the other); tests use small fakes.
 */
export interface MiningChain {
  /** Chips on the chain (per-chip statistics). */
  readonly chipCount: number;
  /** Version bits the chain can roll at all (BM13xx: 0x1fffe000, header bits 28..13). */
  readonly rollableVersionBits: number;
  /**
   * True when the chips roll every granted bit themselves (BM1366/68/70): one piece of work covers all versions
   * of its mask. False when the host picks versions (BM1397): one piece of work covers `versionsPerWork` of them.
   */
  readonly chipRollsVersions: boolean;
  /** Consecutive versions (inside the work's mask, from its base version) one piece of work covers. */
  readonly versionsPerWork: number;
  /** Queues work to every chip at once; returns the chip job id its results will carry. */
  sendWork(work: Work): number;
  /** Results of every job sent so far are refused from now on (a new block). */
  invalidateJobs(): void;
  /** Programs the report threshold; returns the power of two the chips really apply. */
  setTicketDifficulty(difficulty: number): number;
  /** Called synchronously for every result the driver resolved to a live job. */
  onResult(listener: (result: ChipResult) => void): () => void;
}

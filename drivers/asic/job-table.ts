import type { Work } from '../../src/mining/work.js';

/**
 * Chip job ids and what they stand for. A job id is one byte; models allow different ids (ESP-Miner's steps:
 * BM1397 +4, BM1366 +8, BM1368/BM1370 +24, all mod 128), so a 128-slot table indexed by the id byte covers every
 * model. Sending a job overwrites its slot, so a recycled id always resolves to the newest job sent with it — the
 * engine keys its own table by the same id and must do the same. `invalidateAll` (new block) makes every slot
 * refuse results until a job is sent into it again: by moving the table's epoch on, not by visiting 128 slots
 * on the job-switch path (cold, each slot is a cache miss of its own).
 */
export interface JobSlot {
  /** The work as the engine gave it. */
  work: Work | null;
  /** The table epoch the slot was filled in: valid while it is the table's current one. */
  epoch: number;
  /** Bumped on every reuse, so late results can be told from current ones in tests and logs. */
  generation: number;
  /** Version bits the results may carry beyond `baseVersion`: the work's mask within bits 28..13. */
  rollMask: number;
  /** BM1366+: version sent to the chip (the work's version with the rollable bits cleared). */
  baseVersion: number;
  /** BM1397: the version of each midstate sent (index = midstate number in the reply). */
  readonly midstateVersions: Uint32Array;
  /** BM1397: how many midstates were sent. */
  midstateCount: number;
}

export class JobTable {
  private readonly slots: JobSlot[] = [];
  private last = 0;
  /** Starts above every slot's epoch (0), so no slot is valid before a job is sent into it. */
  private epoch = 1;

  constructor(private readonly step: number) {
    for (let i = 0; i < 128; i++) {
      this.slots.push({
        work: null,
        epoch: 0,
        generation: 0,
        rollMask: 0,
        baseVersion: 0,
        midstateVersions: new Uint32Array(4),
        midstateCount: 0,
      });
    }
  }

  /** Takes the next id in the model's sequence and returns its slot (to be filled by the caller). */
  allocate(): { id: number; slot: JobSlot } {
    this.last = (this.last + this.step) % 128;
    const slot = this.slots[this.last];
    slot.generation++;
    slot.epoch = this.epoch;
    return { id: this.last, slot };
  }

  /** The live slot for a job id byte, or null when the id was never sent or has been invalidated. */
  lookup(id: number): JobSlot | null {
    const slot = this.slots[id & 0x7f];
    return slot.epoch === this.epoch && (id & 0x80) === 0 ? slot : null;
  }

  invalidateAll(): void {
    this.epoch++;
  }
}

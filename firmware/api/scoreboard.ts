/**
 * AxeOS's `/api/system/scoreboard`: the 20 best shares of this run, best first, in memory. Fed by the engine's
 * share events (what the chips found and the daemon submitted).
 */

export interface ScoreboardEntry {
  difficulty: number;
  job_id: string;
  /** The rolled extranonce as hex ("" for a job whose merkle root the pool fixed). */
  extranonce2: string;
  /** Unix seconds. */
  ntime: number;
  /** 8 upper-case hex digits. */
  nonce: string;
  /** The header version the chip hashed, 8 upper-case hex digits. */
  version_bits: string;
}

export interface FoundShare {
  difficulty: number;
  jobId: number | string;
  extranonce: Uint8Array | null;
  ntime: number;
  nonce: number;
  version: number;
}

const hex8 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

export class Scoreboard {
  private readonly entries: ScoreboardEntry[] = [];

  constructor(private readonly size = 20) {}

  offer(s: FoundShare): void {
    if (!(s.difficulty > 0)) return;
    if (this.entries.length >= this.size && s.difficulty <= this.entries[this.entries.length - 1].difficulty) return;
    const entry: ScoreboardEntry = {
      difficulty: s.difficulty,
      job_id: String(s.jobId),
      extranonce2: s.extranonce === null ? '' : Buffer.from(s.extranonce).toString('hex'),
      ntime: s.ntime,
      nonce: hex8(s.nonce),
      version_bits: hex8(s.version),
    };
    let i = this.entries.findIndex((e) => e.difficulty < s.difficulty);
    if (i < 0) i = this.entries.length;
    this.entries.splice(i, 0, entry);
    if (this.entries.length > this.size) this.entries.length = this.size;
  }

  list(): ScoreboardEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }
}

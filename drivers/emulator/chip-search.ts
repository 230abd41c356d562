import { sha256Midstate } from '../../src/bitcoin/sha256.js';
import { sha256dTailWords } from '../../src/bitcoin/sha256d-tail.generated.js';
import { bswap32, difficultyOfStateWords, stateWordsMeetTarget } from '../../src/bitcoin/target.js';
import { depositBits } from '../asic/version-rolling.js';

/**
 * The nonce search of one emulated chip: the part that really hashes. Pure computation with no I/O, so the same
 * code runs in a worker thread, inline on the main thread, and in the benchmark.
 *
 * The search follows the chip's own order (README.md, "Nonce space"): each core's 25-bit sweep counter (nonce
 * bits 24..0 read most significant byte first) starts at the chip's slice start, every core hashes the same counter
 * value with its id in nonce bits 31..25, and each core's sub-cores hash it with one version each. After `window`
 * counter steps (HASH_COUNTING_NUMBER's deadline) the chip moves to the next batch of rolled versions and sweeps the
 * same window again. Every hash is a real SHA-256d of the header; a result is reported only when it meets the
 * threshold target.
 */

/** Per-chip settings that change with register writes. Plain data: posted to workers as is. */
export interface ChipSearchConfig {
  /** Core ids that hash and report (nonce bits 31..25). */
  readonly cores: readonly number[];
  /** Versions each core hashes per counter step: sub-cores (full-header chips) — midstate chips use the job's count. */
  readonly subcores: number;
  /** Full-header chips: version rolling on (register 0xA4 bit 31) and the 16-bit field mask it rolls. */
  readonly rolling: boolean;
  readonly fieldMask: number;
  /** Where the sweep counter starts (chip-model.ts sliceStart). */
  readonly sliceStart: number;
  /** Counter steps per version batch; 0 halts the chip. */
  readonly window: number;
  /** Report threshold as 8 little-endian 32-bit limbs of the target, and as a difficulty. */
  readonly targetLimbs: readonly number[];
  readonly thresholdDifficulty: number;
  /** Emulate the excess-difficulty byte (BM1366 family); BM1397 sends 0 there. */
  readonly excessByte: boolean;
  /** Test hook: start the sweep at this counter / this version batch instead of the slice start / batch 0. */
  readonly startCounter?: number;
  readonly startBatch?: number;
}

/** A job as the chip holds it. Plain data: posted to workers as is. */
export interface ChipSearchJob {
  /** Slot generation (to drop results of a job whose slot was reused meanwhile). */
  readonly generation: number;
  /** Job id byte as sent. */
  readonly jobId: number;
  /** Full-header job: the 80-byte header with the base version and a zero nonce. */
  readonly header?: Uint8Array;
  /** Midstate job: the midstates (8 state words each) and header bytes 64..75 as big-endian words. */
  readonly midstates?: readonly Uint32Array[];
  readonly tailWords?: readonly [number, number, number];
  /** Counter bits of the job's starting-nonce field, added to the slice start. */
  readonly startCounter: number;
}

/** Fields of one find, flattened for cheap posting between threads (FIND_FIELDS numbers each). */
export const FIND_FIELDS = 7;
// [generation, jobId, nonceBE, subcore, versionField, coreId, excessByte]

const COUNTER_MASK = 0x1ffffff;

export class ChipSearch {
  private config: ChipSearchConfig | null = null;
  private job: ChipSearchJob | null = null;
  private readonly out = new Uint32Array(8);
  private readonly limbs = new Uint32Array(8);
  private topLimb = 0;
  private midstates: Uint32Array[] = [];
  /** Midstate buffers this search computes itself (full-header jobs). */
  private ownMidstates: Uint32Array[] = [];
  private versionFields: number[] = [];
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private counter = 0;
  private stepInWindow = 0;
  private batch = 0;
  private fieldBits = 16;
  private header = new Uint8Array(80);
  private baseVersion = 0;
  /** Hashes computed since the last `takeHashes`. */
  private hashes = 0;

  setConfig(config: ChipSearchConfig): void {
    const restart = this.config === null || this.config.sliceStart !== config.sliceStart;
    this.config = config;
    for (let i = 0; i < 8; i++) this.limbs[i] = config.targetLimbs[i] >>> 0;
    this.topLimb = this.limbs[7];
    let bits = 0;
    for (let m = config.fieldMask & 0xffff; m !== 0; m &= m - 1) bits++;
    this.fieldBits = bits;
    if (this.job !== null) {
      if (restart) this.restart();
      else this.loadBatch();
    }
  }

  setJob(job: ChipSearchJob | null): void {
    this.job = job;
    if (job === null) return;
    if (job.header !== undefined) {
      this.header = job.header.slice();
      this.baseVersion =
        (this.header[0] | (this.header[1] << 8) | (this.header[2] << 16) | (this.header[3] << 24)) >>> 0;
      this.w0 = readWordBE(this.header, 64);
      this.w1 = readWordBE(this.header, 68);
      this.w2 = readWordBE(this.header, 72);
    } else if (job.tailWords !== undefined) {
      this.w0 = job.tailWords[0];
      this.w1 = job.tailWords[1];
      this.w2 = job.tailWords[2];
    }
    this.restart();
  }

  /** True when there is a job, a config and a window to sweep. */
  get active(): boolean {
    return this.job !== null && this.config !== null && this.config.window > 0 && this.config.cores.length > 0;
  }

  /** Hashes one counter step costs (cores × versions per step). */
  get stepHashes(): number {
    return this.config === null ? 0 : this.config.cores.length * this.midstates.length;
  }

  /** Returns and resets the count of hashes computed. */
  takeHashes(): number {
    const h = this.hashes;
    this.hashes = 0;
    return h;
  }

  /** Runs `steps` counter steps; appends finds (FIND_FIELDS numbers each) to `found`. Returns hashes done. */
  run(steps: number, found: number[]): number {
    const config = this.config;
    const job = this.job;
    if (config === null || job === null || config.window <= 0) return 0;
    const cores = config.cores;
    const nCores = cores.length;
    const mids = this.midstates;
    const nMid = mids.length;
    const out = this.out;
    const limbs = this.limbs;
    const top = this.topLimb;
    const w0 = this.w0;
    const w1 = this.w1;
    const w2 = this.w2;
    let done = 0;
    for (let st = 0; st < steps; st++) {
      const c = this.counter;
      for (let ci = 0; ci < nCores; ci++) {
        const nonceBE = ((cores[ci] << 25) | c) >>> 0;
        for (let s = 0; s < nMid; s++) {
          sha256dTailWords(mids[s], w0, w1, w2, nonceBE, out);
          // Hash as a little-endian number: its most significant limb is the byte-swapped last state word.
          const h7 = bswap32(out[7]);
          if (h7 > top || (h7 === top && !stateWordsMeetTarget(out, limbs))) continue;
          found.push(
            job.generation,
            job.jobId,
            nonceBE,
            s,
            this.versionFields[s],
            cores[ci],
            config.excessByte ? excessByte(difficultyOfStateWords(out), config.thresholdDifficulty) : 0,
          );
        }
      }
      done += nCores * nMid;
      this.counter = (c + 1) & COUNTER_MASK;
      if (++this.stepInWindow >= config.window) {
        this.stepInWindow = 0;
        this.counter = this.windowStart();
        this.batch++;
        this.loadBatch();
      }
    }
    this.hashes += done;
    return done;
  }

  private windowStart(): number {
    const config = this.config as ChipSearchConfig;
    const job = this.job as ChipSearchJob;
    return (config.sliceStart + job.startCounter) & COUNTER_MASK;
  }

  private restart(): void {
    const config = this.config;
    if (config === null || this.job === null) return;
    this.counter = config.startCounter !== undefined ? config.startCounter & COUNTER_MASK : this.windowStart();
    this.stepInWindow = 0;
    this.batch = config.startBatch ?? 0;
    this.loadBatch();
  }

  /** Midstates for the current batch of versions (full-header jobs), or the job's own midstates. */
  private loadBatch(): void {
    const config = this.config;
    const job = this.job;
    if (config === null || job === null) return;
    if (job.midstates !== undefined) {
      this.midstates = job.midstates as Uint32Array[];
      this.versionFields = job.midstates.map(() => 0);
      return;
    }
    const perStep = config.rolling ? Math.max(1, config.subcores) : 1;
    const span = this.fieldBits >= 16 ? 0x10000 : 2 ** this.fieldBits;
    while (this.ownMidstates.length < perStep) this.ownMidstates.push(new Uint32Array(8));
    this.midstates = this.ownMidstates.slice(0, perStep);
    this.versionFields = new Array(perStep);
    const h = this.header;
    for (let s = 0; s < perStep; s++) {
      const field = config.rolling ? depositBits((this.batch * perStep + s) % span, config.fieldMask & 0xffff) : 0;
      this.versionFields[s] = field;
      // The chip ORs its rolled field into the version it was sent (as ESP-Miner's rebuild assumes).
      const v = (this.baseVersion | (field << 13)) >>> 0;
      h[0] = v;
      h[1] = v >>> 8;
      h[2] = v >>> 16;
      h[3] = v >>> 24;
      sha256Midstate(h, 0, this.midstates[s]);
    }
  }
}

/**
 * SHA-256d state words of the header a find names: the job, the midstate (BM1397) or rolled version field
 * (full-header chips), and the nonce as the chip sends it. For checking a result outside the search loop.
 */
export function findHashWords(
  job: Omit<ChipSearchJob, 'generation'>,
  subcore: number,
  versionField: number,
  nonceBE: number,
  out: Uint32Array,
): Uint32Array {
  if (job.header !== undefined) {
    const h = job.header.slice(0, 64);
    const base = (h[0] | (h[1] << 8) | (h[2] << 16) | (h[3] << 24)) >>> 0;
    const v = (base | (versionField << 13)) >>> 0;
    h[0] = v;
    h[1] = v >>> 8;
    h[2] = v >>> 16;
    h[3] = v >>> 24;
    const w = job.header;
    sha256dTailWords(sha256Midstate(h), readWordBE(w, 64), readWordBE(w, 68), readWordBE(w, 72), nonceBE, out);
    return out;
  }
  const mid = job.midstates?.[subcore];
  const tail = job.tailWords;
  if (mid === undefined || tail === undefined) throw new RangeError(`job has no midstate ${subcore}`);
  sha256dTailWords(mid, tail[0], tail[1], tail[2], nonceBE, out);
  return out;
}

function readWordBE(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Whole bits of difficulty above the threshold, in half-bit units (mujina; a Bitaxe BM1370 reports whole bits). */
export function excessByte(hashDifficulty: number, thresholdDifficulty: number): number {
  const ratio = hashDifficulty / thresholdDifficulty;
  if (!(ratio >= 2)) return 0;
  return Math.min(255, 2 * Math.floor(Math.log2(ratio)));
}

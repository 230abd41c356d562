import { bswap32, stateWordsMeetTarget, targetFromDifficulty, targetToLimbs } from '../../src/bitcoin/target.js';
import { decodeFullHeaderJob } from '../asic/bm1366-job.js';
import { decodeMidstateJob } from '../asic/bm1397-job.js';
import {
  type ChipModel,
  type ChipModelName,
  chipModel,
  counterOfNonce,
  expectedHashrateGhs,
  replyResultHeader,
} from '../asic/chip-model.js';
import { decodeCommand } from '../asic/command.js';
import { REG } from '../asic/registers.js';
import { encodeNonceReply, encodeRegisterReply } from '../asic/response.js';
import { extractBits } from '../asic/version-rolling.js';
import type { Transport } from '../transport/transport.js';
import { EmulatedChip } from './bm13xx-chip.js';
import { ChainCommandFramer } from './chain-command-framer.js';
import { ChainLine, type LineNoise } from './chain-line.js';
import { ChipHashPool, defaultWorkerCount } from './chip-hash-pool.js';
import { type ChipSearchJob, FIND_FIELDS, findHashWords } from './chip-search.js';

/**
 * An emulated chain of BM13xx chips on one byte stream, answering as real chips do and really hashing.
 *
 * HONEST SCALING. A CPU hashes ~10^5–10^6 times slower than a chip, so the emulator computes `hashrateHs` real
 * SHA-256d hashes per second (split evenly over its chips, rate-limited) and reports every nonce whose hash meets
 * ticket difficulty × `difficultyScale` — and no other. A host that checks nonces against that scaled difficulty
 * credits exactly the work done: accepted nonces × scaled difficulty × 2^32 / time = `hashrateHs`. Hash counters
 * are in the same scaled units.
 *
 * FREQUENCY. `nominalHashrateGhs` always follows the PLL (what silicon would do). With `referenceFrequencyMhz` the
 * real rate follows it too: each chip hashes its share of `hashrateHs` at that PLL frequency and proportionally
 * more or less at others, so a host that lowers the clock sees its hash rate fall as on a real board. Without it
 * the real rate ignores the PLL.
 */

/** ~1.9 reported nonces a second at the default rate and ESP-Miner's ticket difficulty 256. */
export const DEFAULT_DIFFICULTY_SCALE = 2 ** -21;
export const DEFAULT_EMULATOR_HASHRATE_HS = 1_000_000;

export interface EmulatorFaults extends LineNoise {
  /**
   * Every Nth nonce of `badNonceChip` (default chip 0) is corrupted: still a well-formed frame with a good CRC,
   * but its header misses the difficulty the chip reports at (checked before it is sent).
   */
  readonly badNonceEvery?: number;
  readonly badNonceChip?: number;
  /** Chips that stop answering entirely (no replies, no nonces). */
  readonly silentChips?: readonly number[];
}

export interface EmulatorOptions {
  readonly model: ChipModelName;
  readonly chips: number;
  /** Real hashes per second for the whole chain (default 1,000,000). Infinity: as fast as the workers go. */
  readonly hashrateHs?: number;
  /** The PLL frequency `hashrateHs` is meant at; the real rate then scales with each chip's PLL (see above). */
  readonly referenceFrequencyMhz?: number;
  /** Reported nonces meet ticket difficulty × this (default 2^-21). */
  readonly difficultyScale?: number;
  /** Hashing threads (default one per core, at most 2); 0 hashes on the main thread. */
  readonly workers?: number;
  /**
   * Test hook: the chip whose slice holds this header nonce starts its sweep there (other chips start as usual),
   * and chips that roll versions start at the version batch holding `version`'s rolled field.
   */
  readonly searchStart?: { readonly nonce: number; readonly version?: number };
  readonly faults?: EmulatorFaults;
  /** Seed of the line-noise generator. */
  readonly seed?: number;
}

export interface EmulatedChipStatus {
  readonly index: number;
  readonly address: number;
  readonly frequencyMhz: number;
  readonly ticketDifficulty: number;
  /** What the chip reports at: ticket difficulty × scale. */
  readonly reportDifficulty: number;
  readonly hashes: number;
  readonly nonces: number;
  readonly measuredHashrateHs: number;
  readonly nominalHashrateGhs: number;
  readonly silent: boolean;
}

export interface EmulatorStatus {
  readonly model: ChipModelName;
  readonly chips: number;
  readonly hashrateHs: number;
  readonly referenceFrequencyMhz: number | null;
  /** The real rate the chips are set to now (`hashrateHs`, scaled by the PLLs when they follow them). */
  readonly targetHashrateHs: number;
  readonly difficultyScale: number;
  readonly measuredHashrateHs: number;
  readonly nominalHashrateGhs: number;
  readonly lineBaud: number;
  readonly attached: boolean;
  readonly badCommandFrames: number;
  readonly lateResults: number;
  readonly lineOverflowFrames: number;
  readonly perChip: readonly EmulatedChipStatus[];
}

export class EmulatedChain {
  readonly model: ChipModel;
  readonly chipCount: number;
  readonly hashrateHs: number;
  readonly referenceFrequencyMhz: number | null;
  readonly difficultyScale: number;
  private readonly chips: EmulatedChip[];
  /** Each chip's real rate as last given to the hashing pool. */
  private readonly chipRates: Float64Array;
  private readonly pool: ChipHashPool;
  private readonly line: ChainLine;
  private readonly framer: ChainCommandFramer;
  private transport: Transport | null = null;
  private detachData: (() => void) | null = null;
  private searchStart: EmulatorOptions['searchStart'];
  /** The job in each job-id slot (every chip gets every job), to re-hash a result the faults corrupt. */
  private readonly slotJobs: Array<Omit<ChipSearchJob, 'generation'> | undefined> = new Array(128);
  private lateResults = 0;
  private closed = false;

  constructor(options: EmulatorOptions) {
    if (!Number.isInteger(options.chips) || options.chips < 1 || options.chips > 256) {
      throw new RangeError(`chips must be an integer from 1 to 256, got ${options.chips}`);
    }
    const scale = options.difficultyScale ?? DEFAULT_DIFFICULTY_SCALE;
    if (!(scale > 0) || scale > 1) throw new RangeError(`difficultyScale must be in (0, 1], got ${scale}`);
    const rate = options.hashrateHs ?? DEFAULT_EMULATOR_HASHRATE_HS;
    if (!(rate > 0)) throw new RangeError(`hashrateHs must be positive, got ${rate}`);
    const reference = options.referenceFrequencyMhz ?? null;
    if (reference !== null && !(reference > 0 && Number.isFinite(reference))) {
      throw new RangeError(`referenceFrequencyMhz must be a positive number of MHz, got ${reference}`);
    }
    this.model = chipModel(options.model);
    this.chipCount = options.chips;
    this.hashrateHs = rate;
    this.referenceFrequencyMhz = reference;
    this.chipRates = new Float64Array(options.chips);
    this.difficultyScale = scale;
    this.searchStart = options.searchStart;
    this.chips = Array.from({ length: options.chips }, (_, i) => new EmulatedChip(this.model, i));
    this.line = new ChainLine(null, options.seed ?? 1);
    this.line.baud = this.chips[0].baud;
    this.framer = new ChainCommandFramer(this.model, (buf, off, size, isJob) =>
      isJob ? this.onJob(buf, off, size) : this.onCommand(buf, off, size),
    );
    this.pool = new ChipHashPool(options.workers ?? defaultWorkerCount(), {
      found: (items) => this.onFound(items),
      progress: (pairs) => {
        for (let i = 0; i < pairs.length; i += 2) this.chips[pairs[i]]?.addHashes(pairs[i + 1]);
      },
    });
    this.setFaults(options.faults ?? {});
    for (const chip of this.chips) this.pushRate(chip);
    this.pushAllConfigs();
  }

  /** The real rate the chips are set to now, hashes per second. */
  targetHashrateHs(): number {
    let total = 0;
    for (const r of this.chipRates) total += r;
    return total;
  }

  get workerCount(): number {
    return this.pool.workerCount;
  }

  /** Connects the chain to a line (the chip side of a pty, socket or memory pair); replaces any previous one. */
  attach(transport: Transport): void {
    this.detach();
    this.transport = transport;
    this.framer.reset();
    this.detachData = transport.onData((chunk) => this.framer.push(chunk));
    this.line.setSink((bytes) => {
      if (!transport.closed) transport.write(bytes);
    });
    transport.onClose(() => {
      if (this.transport === transport) this.detach();
    });
  }

  detach(): void {
    this.detachData?.();
    this.detachData = null;
    this.transport = null;
    this.line.setSink(null);
  }

  /** The reset pin: every chip back to power-on state (115,740 baud, no address, no jobs). */
  reset(): void {
    for (const chip of this.chips) {
      chip.reset();
      this.pool.setJob(chip.index, null);
      this.pushRate(chip);
    }
    this.framer.reset();
    this.line.clear();
    this.line.baud = this.chips[0].baud;
    this.pushAllConfigs();
  }

  setFaults(faults: EmulatorFaults): void {
    this.line.setNoise(faults);
    const silent = new Set(faults.silentChips ?? []);
    for (const chip of this.chips) {
      const wasSilent = chip.silent;
      chip.silent = silent.has(chip.index);
      chip.badNonceEvery =
        faults.badNonceEvery !== undefined && (faults.badNonceChip ?? 0) === chip.index ? faults.badNonceEvery : 0;
      if (wasSilent !== chip.silent) this.pushConfig(chip);
    }
  }

  /**
   * Fault injection: the next `count` nonces from `chipIndex` go out as well-formed frames whose header misses the
   * reported difficulty (the host's nonce check must catch them). The only way the emulator sends a bad nonce.
   */
  injectBadNonce(chipIndex: number, count = 1): void {
    const chip = this.chips[chipIndex];
    if (chip === undefined) throw new RangeError(`no chip ${chipIndex}; the chain has ${this.chipCount}`);
    chip.badNoncesToSend += count;
  }

  /** Changes (or clears) the test start point; applies to jobs from now on. */
  setSearchStart(start: EmulatorOptions['searchStart']): void {
    this.searchStart = start;
    this.pushAllConfigs();
  }

  /** What the chain would hash on real silicon at its current PLL settings, GH/s. */
  nominalHashrateGhs(): number {
    let total = 0;
    for (const chip of this.chips) total += expectedHashrateGhs(this.model, chip.frequencyMhz);
    return total;
  }

  status(): EmulatorStatus {
    const perChip = this.chips.map((c) => ({
      index: c.index,
      address: c.address,
      frequencyMhz: c.frequencyMhz,
      ticketDifficulty: c.ticketDifficulty,
      reportDifficulty: c.ticketDifficulty * this.difficultyScale,
      hashes: c.hashes,
      nonces: c.nonces,
      measuredHashrateHs: c.measuredHashrateHs,
      nominalHashrateGhs: c.nominalHashrateGhs,
      silent: c.silent,
    }));
    return {
      model: this.model.name,
      chips: this.chipCount,
      hashrateHs: this.hashrateHs,
      referenceFrequencyMhz: this.referenceFrequencyMhz,
      targetHashrateHs: this.targetHashrateHs(),
      difficultyScale: this.difficultyScale,
      measuredHashrateHs: perChip.reduce((s, c) => s + c.measuredHashrateHs, 0),
      nominalHashrateGhs: this.nominalHashrateGhs(),
      lineBaud: this.line.baud,
      attached: this.transport !== null,
      badCommandFrames: this.framer.badFrames,
      lateResults: this.lateResults,
      lineOverflowFrames: this.line.overflowFrames,
      perChip,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    await this.pool.close();
  }

  // ---- commands ----

  private onCommand(buf: Uint8Array, off: number, size: number): void {
    const cmd = decodeCommand(buf, off, size, false);
    switch (cmd.kind) {
      case 'chain-inactive':
        for (const chip of this.chips) chip.addressed = false;
        return;
      case 'set-address': {
        // The first chip without an address takes it; the others pass the command on.
        const chip = this.chips.find((c) => !c.addressed);
        if (chip === undefined) return;
        chip.address = cmd.address;
        chip.addressed = true;
        this.pushSliceChange(chip);
        return;
      }
      case 'read-register':
        for (const chip of this.targets(cmd.broadcast, cmd.chipAddress)) {
          if (chip.silent) continue;
          const value = chip.read(cmd.register, this.difficultyScale);
          this.line.send(encodeRegisterReply(chip.replyBytes, value, chip.address, cmd.register));
        }
        return;
      case 'write-register':
        for (const chip of this.targets(cmd.broadcast, cmd.chipAddress)) {
          chip.write(cmd.register, cmd.value);
          if (chip.index === 0) this.line.baud = chip.baud;
          if (cmd.register === REG.CHIP_NONCE_OFFSET) this.pushSliceChange(chip);
          else if (affectsSearch(cmd.register)) this.pushConfig(chip);
          if (cmd.register === REG.PLL0_PARAMETER) this.pushRate(chip);
        }
        return;
    }
  }

  /** Broadcast: every chip in chain order. Addressed: the first chip that has this address (it does not pass it on). */
  private targets(broadcast: boolean, address: number): EmulatedChip[] {
    if (broadcast) return this.chips;
    const chip = this.chips.find((c) => c.addressed && c.address === address);
    return chip === undefined ? [] : [chip];
  }

  // ---- jobs ----

  private onJob(buf: Uint8Array, off: number, size: number): void {
    let job: Omit<ChipSearchJob, 'generation'>;
    if (this.model.jobFormat === 'full-header') {
      const j = decodeFullHeaderJob(buf, off, size);
      const header = new Uint8Array(80);
      const view = new DataView(header.buffer);
      view.setUint32(0, j.version, true);
      header.set(j.prevHash, 4);
      header.set(j.merkleRoot, 36);
      view.setUint32(68, j.ntime, true);
      view.setUint32(72, j.nbits, true);
      job = { jobId: j.jobId, header, startCounter: counterOfNonce(bswap32(j.startNonce)) };
    } else {
      const j = decodeMidstateJob(buf, off, size);
      const tail = j.merkleTail;
      job = {
        jobId: j.jobId,
        midstates: j.midstates,
        // Header bytes 64..75 as SHA-256 reads them: merkle tail, then ntime and nbits (little-endian in the header).
        tailWords: [
          ((tail[0] << 24) | (tail[1] << 16) | (tail[2] << 8) | tail[3]) >>> 0,
          bswap32(j.ntime),
          bswap32(j.nbits),
        ],
        startCounter: counterOfNonce(bswap32(j.startNonce)),
      };
    }
    this.slotJobs[job.jobId & 0x7f] = job;
    for (const chip of this.chips) {
      if (chip.silent) continue;
      const generation = chip.loadJob(job.jobId);
      this.pool.setJob(chip.index, { ...job, generation });
    }
  }

  private onFound(items: number[]): void {
    const stride = FIND_FIELDS + 1;
    for (let i = 0; i + stride <= items.length; i += stride) {
      const chip = this.chips[items[i]];
      const generation = items[i + 1];
      const jobId = items[i + 2];
      let nonceBE = items[i + 3];
      const subcore = items[i + 4];
      const versionField = items[i + 5];
      const excess = items[i + 7];
      if (chip === undefined || chip.silent) continue;
      // A slot reused since the find: a real chip would have reported before it took the new job.
      if (chip.slotGeneration[jobId & 0x7f] !== generation) {
        this.lateResults++;
        continue;
      }
      if (chip.takeBadNonce()) nonceBE = this.corruptNonce(chip, jobId, subcore, versionField, nonceBE);
      chip.nonces++;
      const header = replyResultHeader(this.model, jobId, subcore);
      this.line.send(encodeNonceReply(chip.replyBytes, nonceBE, excess, header, versionField));
    }
  }

  /**
   * A nonce near `nonceBE` (same core and chip bits) whose header misses the chip's report difficulty: low bits
   * are flipped until one does. Only a report difficulty so tiny that nearly every hash meets it could defeat
   * this; then the last candidate goes out anyway.
   */
  private corruptNonce(chip: EmulatedChip, jobId: number, subcore: number, field: number, nonceBE: number): number {
    const job = this.slotJobs[jobId & 0x7f];
    if (job === undefined) return (nonceBE ^ 1) >>> 0;
    const limbs = targetToLimbs(targetFromDifficulty(chip.ticketDifficulty * this.difficultyScale));
    const words = new Uint32Array(8);
    let bad = nonceBE;
    for (let flip = 1; flip < 4096; flip++) {
      bad = (nonceBE ^ flip) >>> 0;
      if (!stateWordsMeetTarget(findHashWords(job, subcore, field, bad, words), limbs)) break;
    }
    return bad;
  }

  // ---- search settings ----

  private pushRate(chip: EmulatedChip): void {
    const share = this.hashrateHs / this.chipCount;
    const ref = this.referenceFrequencyMhz;
    const rate = ref === null ? share : (share * chip.frequencyMhz) / ref;
    if (rate === this.chipRates[chip.index]) return;
    this.chipRates[chip.index] = rate;
    this.pool.setRate(chip.index, rate);
  }

  private pushAllConfigs(): void {
    for (const chip of this.chips) this.pushConfig(chip);
  }

  private pushConfig(chip: EmulatedChip): void {
    this.pool.setConfig(chip.index, chip.searchConfig(this.difficultyScale, this.startFor(chip)));
  }

  /** A chip's slice moved: with a test start point set, which chip owns it may have changed too. */
  private pushSliceChange(chip: EmulatedChip): void {
    if (this.searchStart === undefined) this.pushConfig(chip);
    else this.pushAllConfigs();
  }

  private startFor(chip: EmulatedChip): { counter?: number; batch?: number } {
    const start = this.searchStart;
    if (start === undefined) return {};
    const out: { counter?: number; batch?: number } = {};
    const counter = counterOfNonce(bswap32(start.nonce >>> 0));
    if (this.ownerOf(counter) === chip) out.counter = counter;
    if (start.version !== undefined && this.model.rollsVersions) {
      const fieldMask = chip.registers[REG.VERSION_ROLLING] & 0xffff;
      const roll = extractBits((start.version >>> 13) & 0xffff, fieldMask);
      out.batch = Math.floor(roll / this.model.subcoresPerCore);
    }
    return out;
  }

  /** The chip whose slice holds this sweep counter (largest slice start at or below it, wrapping around). */
  private ownerOf(counter: number): EmulatedChip {
    let best: EmulatedChip | null = null;
    let highest: EmulatedChip = this.chips[0];
    for (const chip of this.chips) {
      const s = chip.sliceStart;
      if (s <= counter && (best === null || s > best.sliceStart)) best = chip;
      if (s > highest.sliceStart) highest = chip;
    }
    return best ?? highest;
  }
}

function affectsSearch(register: number): boolean {
  switch (register) {
    case REG.PLL0_PARAMETER:
    case REG.HASH_COUNTING_NUMBER:
    case REG.TICKET_MASK:
    case REG.MISC_CONTROL:
    case REG.VERSION_ROLLING:
      return true;
    default:
      return false;
  }
}

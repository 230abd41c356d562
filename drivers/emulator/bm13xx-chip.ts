import { targetFromDifficulty, targetToLimbs } from '../../src/bitcoin/target.js';
import {
  baudFromRegister,
  type ChipModel,
  COUNTER_SPAN,
  chipIdRegister,
  expectedHashrateGhs,
  responseBytesFor,
  sliceStart,
} from '../asic/chip-model.js';
import { encodePllRegister, frequencyFromPllRegister, solvePll } from '../asic/pll.js';
import { REG } from '../asic/registers.js';
import { decodeTicketMask } from '../asic/ticket-mask.js';
import type { ChipSearchConfig } from './chip-search.js';

/**
 * One emulated BM13xx chip: its registers, address, job slots and counters, and the search settings they imply.
 * The chain (bm13xx-emulator.ts) routes commands to it; the hashing itself runs in chip-search.ts.
 */
export class EmulatedChip {
  readonly registers = new Uint32Array(256);
  /** Address it answers to; a chip takes commands for its address only once it has been given one. */
  address = 0;
  addressed = false;
  /** BM1366+: replies switch to 11 bytes the first time version rolling is enabled, and stay so. */
  private longReplies = false;
  private hashCountingWritten = false;
  /** Generation of the job in each of the 128 job-id slots (0 = empty). */
  readonly slotGeneration = new Uint32Array(128);
  private generation = 0;
  /** Real hashes computed since power-on. */
  hashes = 0;
  nonces = 0;
  /** Recent real hash rate, H/s (smoothed from the workers' progress reports). */
  measuredHashrateHs = 0;
  private lastRateAt = performance.now();
  /** Fault: the chip stops answering (no replies, no nonces, no hashing). */
  silent = false;
  /** Fault: this many upcoming nonces are corrupted so they do not hash right. */
  badNoncesToSend = 0;
  badNonceEvery = 0;
  private noncesSinceBad = 0;

  constructor(
    readonly model: ChipModel,
    readonly index: number,
  ) {
    this.reset();
  }

  /** Power-on state (the reset pin). */
  reset(): void {
    const r = this.registers;
    r.fill(0);
    this.address = 0;
    this.addressed = false;
    this.longReplies = false;
    this.hashCountingWritten = false;
    this.slotGeneration.fill(0);
    r[REG.PLL0_PARAMETER] = encodePllRegister(
      solvePll(50, this.model.fbDividerMin, this.model.fbDividerMax),
      this.model,
    );
    if (this.model.name === 'bm1397') {
      r[REG.MISC_CONTROL] = 0x00003a01;
    } else {
      r[REG.MISC_CONTROL] = 0x0000c100;
      r[REG.FAST_UART_CONFIGURATION] = 0x01301a00;
      r[REG.VERSION_ROLLING] = 0x0000ffff;
      r[REG.SOFT_RESET_CONTROL] = 0x00070000;
    }
  }

  get replyBytes(): 9 | 11 {
    return responseBytesFor(this.model, this.longReplies);
  }

  get frequencyMhz(): number {
    return frequencyFromPllRegister(this.registers[REG.PLL0_PARAMETER], this.model);
  }

  /** Power-of-two difficulty the ticket mask applies. */
  get ticketDifficulty(): number {
    return decodeTicketMask(this.registers[REG.TICKET_MASK]);
  }

  /** What a real chip at this PLL frequency would hash, GH/s (ESP-Miner's estimate). */
  get nominalHashrateGhs(): number {
    return expectedHashrateGhs(this.model, this.frequencyMhz);
  }

  /** Baud of this chip's UART. */
  get baud(): number {
    const reg = this.model.name === 'bm1397' ? REG.MISC_CONTROL : REG.FAST_UART_CONFIGURATION;
    return baudFromRegister(this.model, reg, this.registers[reg]) ?? 115_740;
  }

  read(register: number, difficultyScale: number): number {
    switch (register) {
      case REG.CHIP_ID:
        return chipIdRegister(this.model, this.address);
      case REG.HASH_COUNTER_TOTAL:
        return this.scaledCount(difficultyScale, 1);
      case REG.HASH_COUNTER_DOMAIN0:
      case REG.HASH_COUNTER_DOMAIN1:
      case REG.HASH_COUNTER_DOMAIN2:
      case REG.HASH_COUNTER_DOMAIN3:
        return this.scaledCount(difficultyScale, 4);
      case REG.HASH_RATE:
        // BM1397: rate in units of 2^20 H/s, in the same scaled units as the nonces.
        return this.model.name === 'bm1397'
          ? Math.min(0x7fffffff, Math.floor(this.measuredHashrateHs / difficultyScale / 2 ** 20))
          : this.registers[register];
      default:
        return this.registers[register];
    }
  }

  /**
   * Hash counters count difficulty-1 results in the emulator's scaled units: real hashes / (2^32 × scale), so a
   * host converts them exactly as it converts nonces (multiply by the scale to get real work).
   */
  private scaledCount(difficultyScale: number, parts: number): number {
    return Math.floor(this.hashes / 2 ** 32 / difficultyScale / parts) % 2 ** 32;
  }

  write(register: number, value: number): void {
    this.registers[register] = value >>> 0;
    if (register === REG.VERSION_ROLLING && (value & 0x80000000) !== 0) this.longReplies = true;
    if (register === REG.HASH_COUNTING_NUMBER) this.hashCountingWritten = true;
  }

  /** Starts a new job in slot `jobId`; returns its generation. */
  loadJob(jobId: number): number {
    this.generation = (this.generation + 1) >>> 0 || 1;
    this.slotGeneration[jobId & 0x7f] = this.generation;
    return this.generation;
  }

  /** Counts progress reported by the hashing thread. */
  addHashes(hashes: number): void {
    this.hashes += hashes;
    const now = performance.now();
    const dt = (now - this.lastRateAt) / 1000;
    this.lastRateAt = now;
    if (dt > 0) {
      const instant = hashes / dt;
      const weight = Math.min(1, dt / 2);
      this.measuredHashrateHs += (instant - this.measuredHashrateHs) * weight;
    }
  }

  /** True when the next nonce should be corrupted (fault injection). */
  takeBadNonce(): boolean {
    if (this.badNoncesToSend > 0) {
      this.badNoncesToSend--;
      return true;
    }
    if (this.badNonceEvery > 0 && ++this.noncesSinceBad >= this.badNonceEvery) {
      this.noncesSinceBad = 0;
      return true;
    }
    return false;
  }

  /** Cores whose nonces the chip reports: MISC_CONTROL bits 31..28 enable quarters of the array (BM1366+). */
  private reportingCores(): number[] {
    const n = this.model.nonceCores;
    if (this.model.name === 'bm1397') return Array.from({ length: n }, (_, k) => k);
    const enables = this.registers[REG.MISC_CONTROL] >>> 28;
    const cores: number[] = [];
    for (let k = 0; k < n; k++) if ((enables >>> Math.floor((k * 4) / n)) & 1) cores.push(k);
    return cores;
  }

  /** Counter steps per version batch from HASH_COUNTING_NUMBER (full counter until it is written; 0 halts). */
  private window(): number {
    if (this.model.hashCountingErrataTicks === null || !this.hashCountingWritten) return COUNTER_SPAN;
    const hcn = this.registers[REG.HASH_COUNTING_NUMBER];
    if (hcn === 0) return 0;
    const steps = Math.floor((2 * hcn * this.frequencyMhz) / 25);
    return Math.max(1, Math.min(COUNTER_SPAN, steps));
  }

  get sliceStart(): number {
    return sliceStart(this.model, this.address, this.registers[REG.CHIP_NONCE_OFFSET]);
  }

  /** Search settings for the hashing thread, given the chain's difficulty scale and test start point. */
  searchConfig(difficultyScale: number, start: { counter?: number; batch?: number }): ChipSearchConfig {
    const threshold = this.ticketDifficulty * difficultyScale;
    const limbs = targetToLimbs(targetFromDifficulty(threshold));
    const rolling = this.model.rollsVersions && (this.registers[REG.VERSION_ROLLING] & 0x80000000) !== 0;
    return {
      cores: this.reportingCores(),
      subcores: this.model.subcoresPerCore,
      rolling,
      fieldMask: this.registers[REG.VERSION_ROLLING] & 0xffff,
      sliceStart: this.sliceStart,
      window: this.silent ? 0 : this.window(),
      targetLimbs: Array.from(limbs),
      thresholdDifficulty: threshold,
      excessByte: this.model.rollsVersions,
      startCounter: start.counter,
      startBatch: start.batch,
    };
  }
}

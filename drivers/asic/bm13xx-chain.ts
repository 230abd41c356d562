import { sha256Midstate } from '../../src/bitcoin/index.js';
import type { MiningChain } from '../../src/mining/mining-chain.js';
import type { ChipResult, Work } from '../../src/mining/work.js';
import type { Transport } from '../transport/transport.js';
import { encodeFullHeaderJob, FULL_JOB_BYTES } from './bm1366-job.js';
import { encodeMidstateJob, MIDSTATE_JOB_PADDED_BYTES, type MidstateJobLayout } from './bm1397-job.js';
import {
  type ChipModel,
  type ChipModelName,
  COUNTER_SPAN,
  chipModel,
  chipModelById,
  expectedHashrateGhs,
  jobIdFromReply,
  jobIntervalMs,
  nonceOffsetsFor,
  responseBytesFor,
  sliceStart,
  subcoreFromReply,
} from './chip-model.js';
import { encodeChainInactive, encodeReadRegister, encodeSetAddress, encodeWriteRegister } from './command.js';
import { ChainClosedError, ChipCountError, ChipIdError, ReadTimeoutError } from './errors.js';
import { frequencyRamp, RAMP_STEP_MHZ } from './frequency-ramp.js';
import { hashCountingNumber } from './hash-counting.js';
import {
  frequencyStepSettleMs,
  frequencyStepWrites,
  type InitStep,
  initSequence,
  POWER_ON_FREQUENCY_MHZ,
} from './init-sequence.js';
import { JobTable } from './job-table.js';
import { encodePllRegister, solvePll } from './pll.js';
import { REG } from './registers.js';
import { ResponseFramer } from './response-framer.js';
import { encodeTicketMask, ticketDifficultyFor } from './ticket-mask.js';
import {
  BIP320_VERSION_MASK,
  encodeVersionRollingRegister,
  ROLLABLE_VERSION_BITS,
  versionAfter,
} from './version-rolling.js';

export interface ChainOptions {
  /** Chip model on this chain. */
  readonly model: ChipModelName | ChipModel;
  /** Chips the board has; `enumerate` fails when the chain answers with another count. Unset: accept any. */
  readonly expectedChips?: number;
  /**
   * Chip addresses in chain order. Default: chip i gets i × ⌊256 / chips⌋ (ESP-Miner, cgminer). On the BM1397,
   * BM1366 and BM1368 the address also picks the chip's slice of the nonce space, which ESP-Miner's known-block
   * test relies on to move a chip onto a block's nonce.
   */
  readonly addresses?: readonly number[];
  /** Ticket difficulty programmed at init (default 256, ESP-Miner's; rounded down to a power of two). */
  readonly ticketDifficulty?: number;
  /** Version bits the chips may roll (default BIP320 0x1fffe000); change later with setVersionMask. */
  readonly versionMask?: number;
  /** BM1397 job layout: ESP-Miner's fixed 4 slots (default) or cgminer's compact frames. */
  readonly midstateLayout?: MidstateJobLayout;
  /** Multiplies every fixed wait (100 ms ramp steps, settle times). 1 = firmware pacing; tests use 0. */
  readonly delayScale?: number;
  /** How waits happen (tests inject a recorder). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Wait for the first chip-id reply (default 1000 ms, ESP-Miner's). */
  readonly enumerateTimeoutMs?: number;
  /** Quiet time that ends chip counting once replies stop (default 100 ms ≈ 1,150 bytes at 115,200 baud). */
  readonly enumerateSilenceMs?: number;
  /** Register reads give up after this long (default 500 ms). */
  readonly readTimeoutMs?: number;
  /** How long a frame may wait for the framer's look-ahead before it is delivered anyway (default 20 ms). */
  readonly framerIdleMs?: number;
}

/** What enumeration found. */
export interface ChainInfo {
  readonly chipCount: number;
  /** CHIP_ID of each chip, in chain order (0x1366 …). */
  readonly chipIds: readonly number[];
  /** Addresses the chips get at init. */
  readonly addresses: readonly number[];
}

export interface RegisterReading {
  readonly chipIndex: number;
  readonly chipAddress: number;
  readonly register: number;
  readonly value: number;
}

/** Per-chip counters the daemon can show. */
export interface ChipCounters {
  /** Results delivered to listeners. */
  nonces: number;
  /** Results dropped: stale or invalidated job id, version outside the job's mask, duplicate. */
  dropped: number;
  /** Of `dropped`, exact repeats of the chip's previous result (BM1397 repeats nonces now and then). */
  duplicates: number;
}

export interface ChainStats {
  readonly chips: readonly ChipCounters[];
  /** Response candidates with a bad CRC5 or type (line noise, lost bytes); which chip sent them is unknowable. */
  readonly crcErrors: number;
  /** Bytes skipped while resynchronising. */
  readonly droppedBytes: number;
  /** Response frames that passed the CRC and were delivered (with `crcErrors`, the line's error rate). */
  readonly frames: number;
  /** Results for a job id with no live slot (old job, or invalidated by a new block). */
  readonly staleJobs: number;
  /** Results whose rolled version bits fall outside the job's mask (or a midstate index never sent). */
  readonly badVersions: number;
  readonly duplicates: number;
  /** Register replies nobody was waiting for (passed to onRegister listeners). */
  readonly unsolicitedRegisters: number;
}

interface PendingRead {
  readonly register: number;
  onReply(reading: RegisterReading): void;
  /** Ends the wait early (the transport closed). */
  done(): void;
}

const DEFAULT_SLEEP = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One chain of BM13xx chips behind one transport: enumeration, init, frequency, baud, ticket and version masks,
 * jobs out and nonces back. One class for every model; the differences come from chip-model.ts and
 * init-sequence.ts.
 *
 * Jobs and results are synchronous: `sendWork` encodes into a reused buffer and queues the write; results reach
 * `onResult` listeners on the same turn their bytes arrive.
 */
/** BM1397: midstates per job when the work may roll versions (the chip's four midstate slots). */
const MIDSTATES_WHEN_ROLLING = 4;

export class Bm13xxChain implements MiningChain {
  readonly model: ChipModel;
  private readonly transport: Transport;
  private readonly framer: ResponseFramer;
  private readonly jobs: JobTable;
  private readonly resultListeners: Array<(r: ChipResult) => void> = [];
  private readonly registerListeners: Array<(r: RegisterReading) => void> = [];
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly delayScale: number;
  private readonly jobBuffer: Uint8Array;
  private readonly headerScratch = new Uint8Array(80);
  private readonly midstateScratch: Uint32Array[] = [
    new Uint32Array(8),
    new Uint32Array(8),
    new Uint32Array(8),
    new Uint32Array(8),
  ];
  private readonly midstateLayout: MidstateJobLayout;
  private readonly stopData: () => void;
  private readonly stopClose: () => void;
  private idleTimer: NodeJS.Timeout | null = null;

  private addressList: number[] = [];
  /** Sweep-counter start of each chip, sorted, with its chip index: nonce → chip by range membership. */
  private sliceStarts: Array<{ start: number; chip: number }> = [];
  private chipOfAddress = new Int16Array(256).fill(-1);
  private counters: ChipCounters[] = [];
  private lastResult: Array<{ jobId: number; nonce: number; version: number }> = [];
  private enumerated = false;
  private frequency = POWER_ON_FREQUENCY_MHZ;
  private ticket: number;
  private mask: number;
  private nonceOffsets: number[] = [];
  private pendingRead: PendingRead | null = null;
  private registerQueue: Promise<unknown> = Promise.resolve();
  private frequencyQueue: Promise<unknown> = Promise.resolve();
  private closeError: Error | null = null;
  private stat = { staleJobs: 0, badVersions: 0, duplicates: 0, unsolicitedRegisters: 0 };

  constructor(
    transport: Transport,
    private readonly options: ChainOptions,
  ) {
    this.model = typeof options.model === 'string' ? chipModel(options.model) : options.model;
    this.transport = transport;
    this.sleep = options.sleep ?? DEFAULT_SLEEP;
    this.delayScale = options.delayScale ?? 1;
    this.ticket = ticketDifficultyFor(options.ticketDifficulty ?? 256);
    this.mask = (options.versionMask ?? BIP320_VERSION_MASK) >>> 0;
    this.midstateLayout = options.midstateLayout ?? 'padded';
    this.jobs = new JobTable(this.model.jobIdStep);
    this.jobBuffer = new Uint8Array(this.model.jobFormat === 'midstate' ? MIDSTATE_JOB_PADDED_BYTES : FULL_JOB_BYTES);
    // BM1366+: the driver enables rolling before its first read, so replies are 11 bytes from the start.
    this.framer = new ResponseFramer(responseBytesFor(this.model, true), (buf, off, size) =>
      this.onFrame(buf, off, size),
    );
    this.stopData = transport.onData((chunk) => this.onBytes(chunk));
    this.stopClose = transport.onClose((err) => {
      this.closeError = new ChainClosedError(`${transport.description} closed${err ? `: ${err.message}` : ''}`);
      this.pendingRead?.done();
    });
  }

  // ---- state ----

  get chipCount(): number {
    return this.addressList.length;
  }

  get addresses(): readonly number[] {
    return this.addressList;
  }

  /** Frequency last applied (the PLL's achieved value), MHz. */
  get frequencyMhz(): number {
    return this.frequency;
  }

  /** Power-of-two ticket difficulty programmed. */
  get ticketDifficulty(): number {
    return this.ticket;
  }

  get versionMask(): number {
    return this.mask;
  }

  /** Header version bits this chain can roll at all (bits 28..13). */
  get rollableVersionBits(): number {
    return ROLLABLE_VERSION_BITS;
  }

  /** BM1366 family: the chips roll every granted bit themselves; BM1397: the host picks the versions. */
  get chipRollsVersions(): boolean {
    return this.model.rollsVersions;
  }

  /** Versions one job covers, counted from its base version inside its mask (BM1397: one per midstate). */
  get versionsPerWork(): number {
    return this.model.rollsVersions ? 1 : MIDSTATES_WHEN_ROLLING;
  }

  get baudRate(): number {
    return this.transport.baudRate;
  }

  /** ESP-Miner's expected hash rate of the whole chain at `frequencyMhz` (default: the current frequency). */
  expectedHashrateGhs(frequencyMhz = this.frequency): number {
    return expectedHashrateGhs(this.model, frequencyMhz, Math.max(1, this.chipCount));
  }

  /** How often ESP-Miner would send this chain a new job, ms. */
  jobIntervalMs(): number {
    return jobIntervalMs(this.model, Math.max(1, this.chipCount), this.frequency);
  }

  stats(): ChainStats {
    return {
      chips: this.counters.map((c) => ({ ...c })),
      crcErrors: this.framer.crcErrors,
      droppedBytes: this.framer.droppedBytes,
      frames: this.framer.frames,
      ...this.stat,
    };
  }

  // ---- bring-up ----

  /**
   * Counts the chips: (BM1366+: enables version rolling first, which switches replies to 11 bytes), broadcasts a
   * CHIP_ID read and collects replies until the line is quiet. Throws ChipIdError when a chip is another model
   * and ChipCountError when the count differs from `expectedChips`.
   */
  async enumerate(): Promise<ChainInfo> {
    this.checkOpen();
    for (let i = 0; i < this.model.versionWritesBeforeEnumeration; i++) {
      this.write(encodeWriteRegister('all', REG.VERSION_ROLLING, encodeVersionRollingRegister(this.mask)));
    }
    const replies = await this.collectRegister(
      REG.CHIP_ID,
      () => this.write(encodeReadRegister('all', REG.CHIP_ID)),
      Number.POSITIVE_INFINITY,
      this.options.enumerateTimeoutMs ?? 1000,
      this.options.enumerateSilenceMs ?? 100,
    );
    const ids = replies.map((r) => r.value >>> 16);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== this.model.chipId) {
        const other = chipModelById(ids[i]);
        throw new ChipIdError(
          `chip ${i} answered CHIP_ID 0x${ids[i].toString(16).padStart(4, '0')}${other ? ` (${other.name})` : ''}, ` +
            `expected ${this.model.name} (0x${this.model.chipId.toString(16)}); check the board's chip model`,
        );
      }
    }
    const found = ids.length;
    const expected = this.options.expectedChips;
    if (found === 0) {
      throw new ChipCountError(
        expected ?? 1,
        0,
        `no chip answered the CHIP_ID read on ${this.transport.description}; check power, reset and the serial line`,
      );
    }
    if (expected !== undefined && found !== expected) {
      const list = (from: number, to: number): string =>
        to - from > 6 ? `${from}-${to - 1}` : Array.from({ length: to - from }, (_, k) => from + k).join(',');
      throw new ChipCountError(
        expected,
        found,
        found < expected
          ? `ASIC ${list(found, expected)} not found: ${found} chip(s) answered, the board has ${expected}`
          : `unexpected ASIC ${list(expected, found)} detected: ${found} chip(s) answered, the board has ${expected}`,
      );
    }
    const addresses = this.options.addresses ?? defaultAddresses(found);
    if (addresses.length !== found) {
      throw new ChipCountError(
        addresses.length,
        found,
        `${addresses.length} chip addresses were configured but ${found} chip(s) answered`,
      );
    }
    this.setChips(ids, addresses);
    this.enumerated = true;
    return { chipCount: found, chipIds: ids, addresses: [...addresses] };
  }

  /**
   * The model's init sequence (enumerating first if needed) and a ramp to `frequencyMhz` (default: the model's
   * ESP-Miner default). Leaves the UART at the power-on rate; call switchBaud next.
   */
  async init(frequencyMhz: number = this.model.defaultFrequencyMhz): Promise<void> {
    if (!this.enumerated) await this.enumerate();
    this.frequency = POWER_ON_FREQUENCY_MHZ;
    for (const step of initSequence(this.model)) await this.runStep(step, frequencyMhz);
  }

  private async runStep(step: InitStep, frequencyMhz: number): Promise<void> {
    switch (step.op) {
      case 'write':
        this.write(encodeWriteRegister('all', step.register, step.value));
        return;
      case 'write-first-chip':
        this.write(encodeWriteRegister(this.addressList[0], step.register, step.value));
        return;
      case 'chain-inactive':
        this.write(encodeChainInactive());
        return;
      case 'assign-addresses':
        for (const a of this.addressList) this.write(encodeSetAddress(a));
        return;
      case 'per-chip':
        for (const a of this.addressList) {
          for (const w of step.writes) this.write(encodeWriteRegister(a, w.register, w.value));
          if (step.delayAfterMs > 0) await this.wait(step.delayAfterMs);
        }
        return;
      case 'ticket-mask':
        this.write(encodeWriteRegister('all', REG.TICKET_MASK, encodeTicketMask(this.ticket)));
        return;
      case 'delay':
        await this.wait(step.ms);
        return;
      case 'ramp':
        await this.ramp(frequencyMhz);
        return;
      case 'hash-counting':
        this.writeHashCountingNumber();
        return;
      case 'version-mask':
        this.write(encodeWriteRegister('all', REG.VERSION_ROLLING, encodeVersionRollingRegister(this.mask)));
        return;
      case 'nonce-offsets':
        this.writeNonceOffsets();
        return;
    }
  }

  /**
   * Ramps to `frequencyMhz` in 6.25 MHz steps, 100 ms apart (ESP-Miner's pacing), then rewrites the hash counting
   * number for the new frequency. Checks no limits (the board layer does); never jumps. Returns the achieved MHz.
   */
  setFrequency(frequencyMhz: number): Promise<number> {
    const run = this.frequencyQueue.then(async () => {
      this.checkOpen();
      await this.ramp(frequencyMhz);
      this.writeHashCountingNumber();
      return this.frequency;
    });
    this.frequencyQueue = run.catch(() => undefined);
    return run;
  }

  private async ramp(targetMhz: number): Promise<void> {
    // Solve the target first: an impossible frequency fails before the first step is written.
    solvePll(targetMhz, this.model.fbDividerMin, this.model.fbDividerMax);
    const steps = frequencyRamp(this.frequency, targetMhz);
    for (let i = 0; i < steps.length; i++) {
      this.checkOpen();
      const stepMhz = steps[i];
      const pll = solvePll(stepMhz, this.model.fbDividerMin, this.model.fbDividerMax);
      const value = encodePllRegister(pll, this.model);
      for (const w of frequencyStepWrites(this.model, value)) {
        if (w.delayBeforeMs > 0) await this.wait(w.delayBeforeMs);
        this.write(encodeWriteRegister('all', w.register, w.value));
      }
      this.frequency = pll.frequencyMhz;
      // ESP-Miner settles after every 6.25 MHz step; the final off-grid write only gets the BM1397's own 10 ms.
      const onGrid = Math.abs(stepMhz / RAMP_STEP_MHZ - Math.round(stepMhz / RAMP_STEP_MHZ)) < 1e-9;
      const lastOffGrid = i === steps.length - 1 && !onGrid;
      await this.wait(lastOffGrid ? frequencyStepSettleMs(this.model) - 100 : frequencyStepSettleMs(this.model));
    }
  }

  private writeHashCountingNumber(): void {
    if (this.model.hashCountingErrataTicks === null) return;
    const hcn = hashCountingNumber(
      this.model.cores,
      Math.max(1, this.chipCount),
      this.frequency,
      this.model.hashCountingErrataTicks,
    );
    this.write(encodeWriteRegister('all', REG.HASH_COUNTING_NUMBER, hcn));
  }

  private writeNonceOffsets(): void {
    if (this.model.chipSlice !== 'nonce-offset' || this.chipCount < 2) return;
    this.nonceOffsets = nonceOffsetsFor(this.chipCount);
    this.addressList.forEach((address, i) => {
      this.write(encodeWriteRegister(address, REG.CHIP_NONCE_OFFSET, (0x80000000 | this.nonceOffsets[i]) >>> 0));
    });
    this.rebuildSlices();
  }

  /**
   * Raises the chain's UART to the model's fast rate: writes the baud register at the old rate, waits until the
   * host has transmitted it, switches the host side, discards what arrived in between. Returns the host baud.
   */
  async switchBaud(): Promise<number> {
    this.checkOpen();
    const fast = this.model.fastBaud;
    const command = encodeWriteRegister('all', fast.register, fast.value);
    this.write(command);
    await this.transport.drain();
    await this.transport.setBaudRate(fast.baud);
    await this.transport.flushInput();
    this.framer.reset();
    // A pty may have dropped the command in the switch; chips that already switched take the same write again.
    if (this.transport.baudChangeMayDropOutput === true) this.write(command);
    return fast.baud;
  }

  /** Programs the ticket mask; returns the power-of-two difficulty the chips will actually apply. */
  setTicketDifficulty(difficulty: number): number {
    this.checkOpen();
    this.ticket = ticketDifficultyFor(difficulty);
    this.write(encodeWriteRegister('all', REG.TICKET_MASK, encodeTicketMask(this.ticket)));
    return this.ticket;
  }

  /**
   * Sets the version bits the chips may roll (the pool's grant). BM1366+ get register 0xA4 rewritten; the BM1397
   * rolls nothing itself, so the mask only decides whether later jobs carry 4 midstates or 1.
   */
  setVersionMask(mask: number): void {
    this.checkOpen();
    this.mask = mask >>> 0;
    if (this.model.rollsVersions) {
      this.write(encodeWriteRegister('all', REG.VERSION_ROLLING, encodeVersionRollingRegister(this.mask)));
    }
  }

  /** Reads a register from one chip (by index) or every chip; replies come back in chain order. */
  readRegister(register: number, chipIndex?: number): Promise<RegisterReading[]> {
    const run = this.registerQueue.then(async () => {
      this.checkOpen();
      const target = chipIndex === undefined ? 'all' : this.addressList[chipIndex];
      if (target === undefined) throw new RangeError(`no chip ${chipIndex}; the chain has ${this.chipCount}`);
      const expected = chipIndex === undefined ? Math.max(1, this.chipCount) : 1;
      const timeout = this.options.readTimeoutMs ?? 500;
      const replies = await this.collectRegister(
        register,
        () => this.write(encodeReadRegister(target, register)),
        expected,
        timeout,
        0,
      );
      if (replies.length < expected) {
        throw new ReadTimeoutError(
          `register 0x${register.toString(16)}: ${replies.length} of ${expected} chip(s) answered within ${timeout} ms`,
        );
      }
      return replies;
    });
    this.registerQueue = run.catch(() => undefined);
    return run;
  }

  // ---- jobs and results ----

  /**
   * Encodes `work` for this model, queues it to the chain and returns the chip job id (what ChipResult.jobId will
   * carry). Synchronous so a new block's job goes out at once. BM1397: when the work allows version rolling the
   * frame carries four midstates (the base version counted up 0..3 inside the mask), else one.
   */
  sendWork(work: Work): number {
    this.checkOpen();
    if (work.prevHash.length !== 32 || work.merkleRoot.length !== 32) {
      throw new RangeError('work.prevHash and work.merkleRoot must be 32 bytes');
    }
    const { id, slot } = this.jobs.allocate();
    const rollMask = (work.versionMask & ROLLABLE_VERSION_BITS) >>> 0;
    slot.work = work;
    slot.rollMask = rollMask;
    if (this.model.jobFormat === 'full-header') {
      // Clear the bits the chip may set: the chip ORs its rolled field into the version it was sent.
      slot.baseVersion = (work.version & ~rollMask) >>> 0;
      encodeFullHeaderJob(
        {
          jobId: id,
          startNonce: 0,
          nbits: work.nbits,
          ntime: work.ntime,
          merkleRoot: work.merkleRoot,
          prevHash: work.prevHash,
          version: slot.baseVersion,
        },
        this.jobBuffer,
      );
      this.transport.write(this.jobBuffer);
      return id;
    }
    const count = rollMask === 0 ? 1 : MIDSTATES_WHEN_ROLLING;
    const h = this.headerScratch;
    h.set(work.prevHash, 4);
    h.set(work.merkleRoot, 36);
    for (let k = 0; k < count; k++) {
      const v = versionAfter(work.version >>> 0, rollMask, k);
      slot.midstateVersions[k] = v;
      h[0] = v;
      h[1] = v >>> 8;
      h[2] = v >>> 16;
      h[3] = v >>> 24;
      sha256Midstate(h, 0, this.midstateScratch[k]);
    }
    slot.midstateCount = count;
    slot.baseVersion = work.version >>> 0;
    const frame = encodeMidstateJob(
      {
        jobId: id,
        startNonce: 0,
        nbits: work.nbits,
        ntime: work.ntime,
        merkleTail: work.merkleRoot.subarray(28, 32),
        midstates: count === 4 ? this.midstateScratch : this.midstateScratch.slice(0, 1),
      },
      this.midstateLayout,
      this.jobBuffer,
    );
    this.transport.write(frame);
    return id;
  }

  /** Every job sent so far stops being valid (new block / clean jobs); late nonces for them are dropped. */
  invalidateJobs(): void {
    this.jobs.invalidateAll();
  }

  /** Registers a result listener (called synchronously as nonces arrive); returns an unsubscribe. */
  onResult(listener: (result: ChipResult) => void): () => void {
    this.resultListeners.push(listener);
    return () => {
      const i = this.resultListeners.indexOf(listener);
      if (i >= 0) this.resultListeners.splice(i, 1);
    };
  }

  /** Register replies nobody asked for (hash counters, temperature) reach these listeners. */
  onRegister(listener: (reading: RegisterReading) => void): () => void {
    this.registerListeners.push(listener);
    return () => {
      const i = this.registerListeners.indexOf(listener);
      if (i >= 0) this.registerListeners.splice(i, 1);
    };
  }

  /** Results as an async iterator (on top of onResult; buffers up to 10,000 results). */
  results(signal?: AbortSignal): AsyncIterableIterator<ChipResult> {
    const queue: ChipResult[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    const stop = this.onResult((r) => {
      if (queue.length < 10_000) queue.push(r);
      wake?.();
    });
    const end = (): void => {
      done = true;
      wake?.();
    };
    signal?.addEventListener('abort', end, { once: true });
    const stopClose = this.transport.onClose(end);
    const iterator: AsyncIterableIterator<ChipResult> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        while (queue.length === 0 && !done) {
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = null;
        }
        if (queue.length > 0) return { value: queue.shift() as ChipResult, done: false };
        stop();
        stopClose();
        return { value: undefined, done: true };
      },
      return: async () => {
        done = true;
        stop();
        stopClose();
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  /** Stops listening and closes the transport. */
  async close(): Promise<void> {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.stopData();
    this.stopClose();
    this.closeError ??= new ChainClosedError('chain closed');
    this.pendingRead?.done();
    await this.transport.close();
  }

  // ---- internals ----

  private setChips(ids: readonly number[], addresses: readonly number[]): void {
    this.addressList = [...addresses];
    this.counters = ids.map(() => ({ nonces: 0, dropped: 0, duplicates: 0 }));
    this.lastResult = ids.map(() => ({ jobId: -1, nonce: 0, version: 0 }));
    this.chipOfAddress.fill(-1);
    this.addressList.forEach((a, i) => {
      this.chipOfAddress[a & 0xff] = i;
    });
    this.rebuildSlices();
  }

  private rebuildSlices(): void {
    this.sliceStarts = this.addressList
      .map((a, chip) => ({ start: sliceStart(this.model, a, this.nonceOffsetRegister(chip)), chip }))
      .sort((x, y) => x.start - y.start);
  }

  private nonceOffsetRegister(chip: number): number {
    const offset = this.nonceOffsets[chip];
    return offset === undefined ? 0 : (0x80000000 | offset) >>> 0;
  }

  /** Chip whose slice holds this sweep counter: the largest start at or below it (wrapping to the last). */
  private chipOfCounter(counter: number): number {
    const s = this.sliceStarts;
    if (s.length <= 1) return 0;
    let lo = 0;
    let hi = s.length - 1;
    if (counter < s[0].start) return s[hi].chip;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid].start <= counter) lo = mid;
      else hi = mid - 1;
    }
    return s[lo].chip;
  }

  private write(frame: Uint8Array): void {
    this.transport.write(frame);
  }

  private async wait(ms: number): Promise<void> {
    const scaled = ms * this.delayScale;
    if (scaled > 0) await this.sleep(scaled);
  }

  private checkOpen(): void {
    if (this.closeError !== null) throw this.closeError;
    if (this.transport.closed) throw new ChainClosedError(`${this.transport.description} is closed`);
  }

  private onBytes(chunk: Uint8Array): void {
    this.framer.push(chunk);
    if (this.framer.pending) {
      if (this.idleTimer === null) {
        this.idleTimer = setTimeout(() => {
          this.idleTimer = null;
          this.framer.flush();
        }, this.options.framerIdleMs ?? 20);
      }
    } else if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
  }

  private onFrame(buf: Uint8Array, off: number, size: number): void {
    if ((buf[off + size - 1] & 0x80) !== 0) this.onNonce(buf, off, size);
    else this.onRegisterReply(buf, off);
  }

  private onNonce(buf: Uint8Array, off: number, size: number): void {
    const nonceBE = ((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0;
    const nonce = (buf[off + 2] | (buf[off + 3] << 8) | (buf[off + 4] << 16) | (buf[off + 5] << 24)) >>> 0;
    const header = buf[off + 7];
    const jobId = jobIdFromReply(this.model, header);
    const chipIndex = this.chipOfCounter(nonceBE & (COUNTER_SPAN - 1));
    const counters = this.counters[chipIndex];
    const slot = this.jobs.lookup(jobId);
    if (slot === null) {
      this.stat.staleJobs++;
      if (counters !== undefined) counters.dropped++;
      return;
    }
    let version: number;
    if (this.model.jobFormat === 'midstate') {
      const k = subcoreFromReply(this.model, header);
      if (k >= slot.midstateCount) {
        this.stat.badVersions++;
        if (counters !== undefined) counters.dropped++;
        return;
      }
      version = slot.midstateVersions[k];
    } else {
      const field = size === 11 ? (buf[off + 8] << 8) | buf[off + 9] : 0;
      const rolled = (field << 13) >>> 0;
      if ((rolled & ~slot.rollMask) !== 0) {
        this.stat.badVersions++;
        if (counters !== undefined) counters.dropped++;
        return;
      }
      version = (slot.baseVersion | rolled) >>> 0;
    }
    if (counters === undefined) return; // no chips known yet (results before enumeration): nothing to credit
    const last = this.lastResult[chipIndex];
    if (last.jobId === jobId && last.nonce === nonce && last.version === version) {
      this.stat.duplicates++;
      counters.duplicates++;
      counters.dropped++;
      return;
    }
    last.jobId = jobId;
    last.nonce = nonce;
    last.version = version;
    counters.nonces++;
    const result: ChipResult = { jobId, nonce, version, chipIndex, coreId: nonceBE >>> 25 };
    const listeners = this.resultListeners;
    for (let i = 0; i < listeners.length; i++) listeners[i](result);
  }

  private onRegisterReply(buf: Uint8Array, off: number): void {
    const chipAddress = buf[off + 6];
    const reading: RegisterReading = {
      // Before enumeration every chip answers from address 0: -1 until addresses are known.
      chipIndex: this.enumerated ? this.chipOfAddress[chipAddress] : -1,
      chipAddress,
      register: buf[off + 7],
      value: ((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0,
    };
    const pending = this.pendingRead;
    if (pending !== null && pending.register === reading.register) {
      pending.onReply(reading);
      return;
    }
    this.stat.unsolicitedRegisters++;
    for (const l of this.registerListeners) l(reading);
  }

  /**
   * Sends a read and gathers the replies for `register`: until `expected` replies arrived, or — with `silenceMs`
   * — until replies stop for that long (so extra chips are still counted), or until `timeoutMs` passes with no
   * reply at all.
   */
  private collectRegister(
    register: number,
    send: () => void,
    expected: number,
    timeoutMs: number,
    silenceMs: number,
  ): Promise<RegisterReading[]> {
    return new Promise((resolve, reject) => {
      const replies: RegisterReading[] = [];
      let timer: NodeJS.Timeout | null = null;
      let settled = false;
      const finish = (): void => {
        if (settled) return;
        settled = true;
        if (timer !== null) clearTimeout(timer);
        if (this.pendingRead === pending) this.pendingRead = null;
        if (this.closeError !== null) reject(this.closeError);
        else resolve(replies);
      };
      const arm = (ms: number): void => {
        if (timer !== null) clearTimeout(timer);
        timer = setTimeout(finish, ms);
      };
      const pending: PendingRead = {
        register,
        onReply: (reading) => {
          replies.push(reading);
          if (silenceMs > 0) arm(silenceMs);
          else if (replies.length >= expected) finish();
        },
        done: finish,
      };
      this.pendingRead = pending;
      arm(timeoutMs);
      try {
        send();
      } catch (err) {
        settled = true;
        if (timer !== null) clearTimeout(timer);
        this.pendingRead = null;
        reject(err);
      }
    });
  }
}

/** ESP-Miner's address spacing: chip i → i × ⌊256 / chips⌋. */
export function defaultAddresses(chips: number): number[] {
  const interval = Math.floor(256 / chips);
  return Array.from({ length: chips }, (_, i) => (i * interval) & 0xff);
}

import { merkleRootOfCoinbase } from '../bitcoin/merkle.js';
import { popcount, versionAfter } from '../bitcoin/version-bits.js';
import type { HeaderSource } from './job.js';
import type { Work } from './work.js';

/**
 * Hands out distinct work for one upstream job. Sending the chips the same header twice would make them find the
 * same nonces twice (duplicate shares), so every piece of work differs from the ones before it, in three
 * dimensions from the innermost out:
 *
 * - versions: host-rolled versions (BM1397) cover the next `versionsPerWork` versions of the grant per piece;
 *   bits the upstream grants that the chips do not roll themselves (BIP323's bits 12..5 beside a BM1366's 28..13)
 *   are stepped by the host the same way;
 * - extranonce: for a job whose coinbase the device completes (V1, SV2 extended, solo), the next value of the
 *   rolled extranonce, i.e. a new merkle root, so such jobs practically never run dry;
 * - ntime: when both are used up, ntime moves on by one second, never past min_ntime + the seconds since the job
 *   arrived (ntime may not run ahead of the upstream's clock).
 *
 * The extranonce is a little-endian counter over the device's bytes, from `extranonceStart` (a device that
 * shares one extranonce space among several boards gives each its own start and count).
 *
 * `next()` returns null when nothing new may be sent yet; the chips keep hashing what they have.
 */
export interface RollerSetup {
  /** The job's base version, its min_ntime, and the bits it grants (0 when rolling is not allowed). */
  version: number;
  minNtime: number;
  grantedMask: number;
  prevHash: Uint8Array;
  header: HeaderSource;
  nbits: number;
  /** When the job became active (ms, the clock `next` is given). */
  activatedAtMs: number;
  rollableVersionBits: number;
  chipRollsVersions: boolean;
  versionsPerWork: number;
  /** First extranonce value this roller may use, and how many (default: the whole space). */
  extranonceStart?: number;
  extranonceCount?: number;
}

export class WorkRoller {
  /** Bits the chips roll inside each piece of work (passed down as the work's mask). */
  readonly chipMask: number;
  /** Bits the host steps between pieces of work. */
  private readonly hostMask: number;
  private readonly stride: number;
  private readonly stepsPerNtime: number;
  private readonly extranonceStart: number;
  private readonly extranonceCount: number;
  private step = 0;
  private extranonce = 0;
  private ntime: number;
  private sent = 0;
  /** The merkle root for the current extranonce (computed once per extranonce, reused across version steps). */
  private merkleRoot: Uint8Array | null = null;
  private extranonceBytes: Uint8Array | undefined;

  constructor(private readonly setup: RollerSetup) {
    const granted = setup.grantedMask >>> 0;
    const chainBits = (granted & setup.rollableVersionBits) >>> 0;
    if (setup.chipRollsVersions) {
      this.chipMask = chainBits;
      this.hostMask = (granted & ~chainBits) >>> 0;
      this.stride = 1;
    } else {
      // The driver derives `versionsPerWork` versions from the base inside the work's mask; the host moves the base.
      this.chipMask = chainBits;
      this.hostMask = chainBits;
      this.stride = chainBits === 0 ? 1 : Math.max(1, setup.versionsPerWork);
    }
    const versions = this.hostMask === 0 ? 1 : 2 ** popcount(this.hostMask);
    this.stepsPerNtime = Math.max(1, Math.floor(versions / this.stride));
    this.ntime = setup.minNtime >>> 0;
    const space = setup.header.kind === 'coinbase' ? extranonceSpace(setup.header.extranonceSize) : 1;
    this.extranonceStart = Math.min(Math.max(0, setup.extranonceStart ?? 0), space - 1);
    this.extranonceCount = Math.max(1, Math.min(setup.extranonceCount ?? space, space - this.extranonceStart));
  }

  /** Pieces of work handed out so far. */
  get count(): number {
    return this.sent;
  }

  /** The highest ntime the spec allows at `nowMs`. */
  maxNtime(nowMs: number): number {
    return (this.setup.minNtime + Math.max(0, Math.floor((nowMs - this.setup.activatedAtMs) / 1000))) >>> 0;
  }

  /** The next distinct piece of work, or null when every version and extranonce at every allowed ntime is used. */
  next(nowMs: number): Work | null {
    if (this.sent > 0) {
      if (this.step + 1 < this.stepsPerNtime) {
        this.step++;
      } else if (this.extranonce + 1 < this.extranonceCount) {
        this.step = 0;
        this.extranonce++;
        this.merkleRoot = null;
      } else {
        if (this.ntime + 1 > this.maxNtime(nowMs)) return null;
        this.ntime = (this.ntime + 1) >>> 0;
        this.step = 0;
        this.extranonce = 0;
        this.merkleRoot = null;
      }
    }
    this.sent++;
    const s = this.setup;
    const version =
      this.hostMask === 0 ? s.version >>> 0 : versionAfter(s.version >>> 0, this.hostMask, this.step * this.stride);
    const merkleRoot = this.merkleRoot ?? this.buildMerkleRoot();
    const work: Work = {
      version,
      versionMask: this.chipMask,
      prevHash: s.prevHash,
      merkleRoot,
      ntime: this.ntime,
      nbits: s.nbits,
      ...(this.extranonceBytes !== undefined ? { extranonce: this.extranonceBytes } : {}),
    };
    return work;
  }

  private buildMerkleRoot(): Uint8Array {
    const header = this.setup.header;
    if (header.kind === 'merkle-root') {
      this.merkleRoot = header.merkleRoot;
      return header.merkleRoot;
    }
    const bytes = extranonceBytes(this.extranonceStart + this.extranonce, header.extranonceSize);
    this.extranonceBytes = bytes;
    this.merkleRoot = merkleRootOfCoinbase(header.prefix, bytes, header.suffix, header.merklePath);
    return this.merkleRoot;
  }
}

/** Values an extranonce of `size` bytes can take, capped where a double stops counting exactly. */
export function extranonceSpace(size: number): number {
  return size >= 6 ? 2 ** 48 : 2 ** (8 * Math.max(0, size));
}

/** `value` as a little-endian number of `size` bytes (bytes past the sixth stay 0). */
export function extranonceBytes(value: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = value;
  for (let i = 0; i < size && v > 0; i++) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

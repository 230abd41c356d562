import { popcount, versionAfter } from '../bitcoin/version-bits.js';
import type { Work } from './work.js';

/**
 * Hands out distinct work for one pool job on a standard channel, where the device may change only the
 * version bits the pool grants and ntime. Sending the chips the same header twice would make them find the
 * same nonces twice (duplicate shares), so every piece of work differs from the ones before it:
 *
 * - host-rolled versions (BM1397): each piece covers the next `versionsPerWork` versions of the grant;
 * - bits the pool grants that the chips do not roll themselves (BIP323's bits 12..5 beside a BM1366's 28..13)
 *   are stepped by the host the same way;
 * - when the version space is used up, ntime moves on by one second — never past min_ntime + the seconds since
 *   the job arrived, the spec's upper bound (ntime may not run ahead of the pool's clock).
 *
 * `next()` returns null when nothing new may be sent yet; the chips keep hashing what they have.
 */
export interface RollerSetup {
  /** The pool job's base version, its min_ntime, and the bits it grants (0 when rolling is not allowed). */
  version: number;
  minNtime: number;
  grantedMask: number;
  prevHash: Uint8Array;
  merkleRoot: Uint8Array;
  nbits: number;
  /** When the job became active (ms, the clock `next` is given). */
  activatedAtMs: number;
  rollableVersionBits: number;
  chipRollsVersions: boolean;
  versionsPerWork: number;
}

export class WorkRoller {
  /** Bits the chips roll inside each piece of work (passed down as the work's mask). */
  readonly chipMask: number;
  /** Bits the host steps between pieces of work. */
  private readonly hostMask: number;
  private readonly stride: number;
  private readonly stepsPerNtime: number;
  private step = 0;
  private ntime: number;
  private sent = 0;

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
  }

  /** Pieces of work handed out so far. */
  get count(): number {
    return this.sent;
  }

  /** The highest ntime the spec allows at `nowMs`. */
  maxNtime(nowMs: number): number {
    return (this.setup.minNtime + Math.max(0, Math.floor((nowMs - this.setup.activatedAtMs) / 1000))) >>> 0;
  }

  /** The next distinct piece of work, or null when the version space at every allowed ntime is used up. */
  next(nowMs: number): Work | null {
    if (this.sent > 0) {
      if (this.step + 1 < this.stepsPerNtime) {
        this.step++;
      } else {
        if (this.ntime + 1 > this.maxNtime(nowMs)) return null;
        this.ntime = (this.ntime + 1) >>> 0;
        this.step = 0;
      }
    }
    this.sent++;
    const s = this.setup;
    const version =
      this.hostMask === 0 ? s.version >>> 0 : versionAfter(s.version >>> 0, this.hostMask, this.step * this.stride);
    return {
      version,
      versionMask: this.chipMask,
      prevHash: s.prevHash,
      merkleRoot: s.merkleRoot,
      ntime: this.ntime,
      nbits: s.nbits,
    };
  }
}

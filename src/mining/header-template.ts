import { writeU32LE } from '../bitcoin/header.js';
import { readWordBE, sha256Compress } from '../bitcoin/sha256.js';
import { SHA256_IV } from '../bitcoin/sha256-constants.js';
import { sha256dTailWords } from '../bitcoin/sha256d-tail.generated.js';
import { bswap32 } from '../bitcoin/target.js';
import type { Work } from './work.js';

/**
 * The exact 80-byte header a chip hashes for one piece of work, prepared so that a reported nonce is
 * checked with one compression for the version's midstate (cached: chips repeat versions) plus the
 * generated tail — no allocation per nonce.
 */
export class HeaderTemplate {
  /** Header bytes; bytes 0..3 (version) and 76..79 (nonce) are scratch, rewritten per check. */
  readonly header = new Uint8Array(80);
  /** Header bytes 64..75 as SHA-256 reads them: merkle-root tail, ntime, nbits. */
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  /** Midstates for recently seen versions (BM1397 reports 4 versions per job; BM1366+ roll many). */
  private readonly cacheVersions = new Float64Array(4).fill(-1);
  private readonly cacheStates = [new Uint32Array(8), new Uint32Array(8), new Uint32Array(8), new Uint32Array(8)];
  private cacheNext = 0;
  private current: Work;

  constructor(work: Work) {
    this.current = work;
    this.load(work);
  }

  /** The work this template describes. */
  get work(): Work {
    return this.current;
  }

  /** Re-targets the template at other work without allocating (the engine keeps one per chip job id). */
  load(work: Work): void {
    this.current = work;
    const h = this.header;
    h.set(work.prevHash, 4);
    h.set(work.merkleRoot, 36);
    writeU32LE(h, 68, work.ntime);
    writeU32LE(h, 72, work.nbits);
    this.w0 = readWordBE(h, 64);
    this.w1 = readWordBE(h, 68);
    this.w2 = readWordBE(h, 72);
    this.cacheVersions.fill(-1);
    this.cacheNext = 0;
  }

  /**
   * Writes the SHA-256d state words of the header with this version and nonce into `out`.
   * `version` and `nonce` are header field values (as in ChipResult).
   */
  hash(version: number, nonce: number, out: Uint32Array): void {
    sha256dTailWords(this.midstate(version >>> 0), this.w0, this.w1, this.w2, bswap32(nonce), out);
  }

  /** The full 80 bytes for this version and nonce (for logs, block submission and tests; allocates). */
  bytes(version: number, nonce: number): Uint8Array {
    const out = this.header.slice();
    const view = new DataView(out.buffer);
    view.setUint32(0, version >>> 0, true);
    view.setUint32(76, nonce >>> 0, true);
    return out;
  }

  private midstate(version: number): Uint32Array {
    const versions = this.cacheVersions;
    for (let i = 0; i < 4; i++) if (versions[i] === version) return this.cacheStates[i];
    const slot = this.cacheNext;
    this.cacheNext = (slot + 1) & 3;
    const h = this.header;
    h[0] = version;
    h[1] = version >>> 8;
    h[2] = version >>> 16;
    h[3] = version >>> 24;
    const state = this.cacheStates[slot];
    state.set(SHA256_IV);
    sha256Compress(state, h, 0);
    versions[slot] = version;
    return state;
  }
}

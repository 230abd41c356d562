/** Helpers for the ASIC room's tests (drivers/asic, drivers/transport, drivers/emulator). */
import { encodeHeader, hashMeetsTarget, sha256d, targetFromDifficulty } from '../../src/bitcoin/index.js';
import type { ChipResult, Work } from '../../src/mining/work.js';
import { bytesToHexReversed, hexToBytes } from '../../src/util/hex.js';

export const hex = (text: string): Uint8Array => hexToBytes(text);

/** Stratum V1 prevhash (each 4-byte word byte-swapped) → header byte order. */
export function stratumPrevHashToHeader(text: string): Uint8Array {
  const b = hexToBytes(text, 32);
  const out = new Uint8Array(32);
  for (let w = 0; w < 8; w++) for (let i = 0; i < 4; i++) out[w * 4 + i] = b[w * 4 + 3 - i];
  return out;
}

/** The 80-byte header a result claims to have hashed. */
export function headerOf(work: Work, version: number, nonce: number): Uint8Array {
  return encodeHeader({
    version,
    prevHash: work.prevHash,
    merkleRoot: work.merkleRoot,
    time: work.ntime,
    bits: work.nbits,
    nonce,
  });
}

/** Does the header rebuilt from `work` and the result meet `difficulty` (checked by src/bitcoin)? */
export function resultMeets(work: Work, r: ChipResult, difficulty: number): boolean {
  return hashMeetsTarget(sha256d(headerOf(work, r.version, r.nonce)), targetFromDifficulty(difficulty));
}

export function displayHash(header: Uint8Array): string {
  return bytesToHexReversed(sha256d(header));
}

/**
 * Block 839900 (a real mainnet block), as ESP-Miner's BM1366 known-block test mined it: job version 0x20000000
 * with BIP320 rolling; the chip found the block at nonce 0xd2608517 with rolled version 0x2a966000, from chip
 * address 0xC2. Fields from shared/vectors/bm13xx/spec-crosscheck.json → bm1366KnownBlock.
 */
export interface KnownBlock {
  readonly work: Work;
  readonly nonce: number;
  readonly version: number;
  readonly blockHash: string;
  readonly chipAddress: number;
}

export function knownBlockFromVector(v: {
  stratumPrevHash: string;
  merkleRootHeaderOrder: string;
  version: string;
  nbits: string;
  ntime: string;
  results: Array<{ nonce: number; rolledVersion: string; blockHashDisplay: string; chipAddressWhenFound: string }>;
}): KnownBlock {
  const r = v.results[0];
  return {
    work: {
      version: Number.parseInt(v.version, 16),
      versionMask: 0x1fffe000,
      prevHash: stratumPrevHashToHeader(v.stratumPrevHash),
      merkleRoot: hexToBytes(v.merkleRootHeaderOrder, 32),
      ntime: Number.parseInt(v.ntime, 16),
      nbits: Number.parseInt(v.nbits, 16),
    },
    nonce: r.nonce,
    version: Number.parseInt(r.rolledVersion, 16),
    blockHash: r.blockHashDisplay,
    chipAddress: Number.parseInt(r.chipAddressWhenFound, 16),
  };
}

/** Resolves when `predicate` holds (polled), rejects after `timeoutMs` naming `what`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** `header nonce value` just below `nonce` on the same core: the chip's sweep counter `steps` earlier. */
export function nonceStepsBefore(nonce: number, steps: number): number {
  const be = ((nonce >>> 24) | ((nonce >>> 8) & 0xff00) | ((nonce << 8) & 0xff0000) | (nonce << 24)) >>> 0;
  const earlier = (be - steps) >>> 0;
  return ((earlier >>> 24) | ((earlier >>> 8) & 0xff00) | ((earlier << 8) & 0xff0000) | (earlier << 24)) >>> 0;
}

/** A sleep that only records what it was asked to wait (drivers run their pacing instantly in tests). */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms: number) => {
      waits.push(ms);
    },
  };
}

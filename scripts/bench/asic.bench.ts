/**
 * ASIC room benchmarks: how fast the chip emulator really hashes. An emulated BM1366 chain is brought up by the
 * real driver over an in-memory line, given a job, and left to hash with no rate limit on one worker thread; the
 * figure is the SHA-256d hashes it did per second of wall time (from the hash counts its worker reports), against
 * node:crypto's SHA-256d on the same machine (`verify.node-crypto`). Nonces it reports are re-checked with
 * src/bitcoin so the figure cannot come from a search that stopped hashing properly.
 */
import { Bm13xxChain } from '../../drivers/asic/bm13xx-chain.js';
import { EmulatedChain } from '../../drivers/emulator/bm13xx-emulator.js';
import { createMemoryTransportPair } from '../../drivers/transport/memory-transport.js';
import { encodeHeader, hashMeetsTarget, sha256d, targetFromDifficulty } from '../../src/bitcoin/index.js';
import type { ChipResult, Work } from '../../src/mining/work.js';
import type { BenchCase } from './harness.js';

const WORKERS = 1;
const SCALE = 2 ** -21;
const WINDOW_MS = 1000;

interface Rig {
  emulator: EmulatedChain;
  chain: Bm13xxChain;
  work: Work;
  results: ChipResult[];
}

let rig: Rig | null = null;

async function start(): Promise<Rig> {
  const [host, device] = createMemoryTransportPair();
  const emulator = new EmulatedChain({
    model: 'bm1366',
    chips: 2,
    workers: WORKERS,
    hashrateHs: Number.POSITIVE_INFINITY,
    difficultyScale: SCALE,
  });
  emulator.attach(device);
  const chain = new Bm13xxChain(host, { model: 'bm1366', expectedChips: 2, delayScale: 0, enumerateSilenceMs: 20 });
  await chain.init();
  await chain.switchBaud();
  const prevHash = new Uint8Array(32);
  const merkleRoot = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    prevHash[i] = (i * 37 + 11) & 0xff;
    merkleRoot[i] = (i * 59 + 3) & 0xff;
  }
  const work: Work = {
    version: 0x20000000,
    versionMask: 0x1fffe000,
    prevHash,
    merkleRoot,
    ntime: 1,
    nbits: 0x1d00ffff,
  };
  const results: ChipResult[] = [];
  chain.onResult((r) => results.push(r));
  chain.sendWork(work);
  return { emulator, chain, work, results };
}

const totalHashes = (e: EmulatedChain): number => e.status().perChip.reduce((s, c) => s + c.hashes, 0);

/** Resolves at the moment the hash count next changes (a worker progress report landed): [time, count]. */
async function nextReport(e: EmulatedChain): Promise<[number, number]> {
  const before = totalHashes(e);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1));
    const now = totalHashes(e);
    if (now !== before) return [performance.now(), now];
  }
}

export const benches: BenchCase[] = [
  {
    name: 'emulator.hashrate',
    unit: 'hashes/s per worker',
    baseline: 'verify.node-crypto',
    setup: async () => {
      rig = await start();
    },
    teardown: async () => {
      if (rig === null) return;
      await rig.chain.close();
      await rig.emulator.close();
      const r = rig;
      rig = null;
      // Everything the emulator reported must hash to what it claims (the figure is real hashing).
      const difficulty = 256 * SCALE;
      for (const x of r.results) {
        const header = encodeHeader({
          version: x.version,
          prevHash: r.work.prevHash,
          merkleRoot: r.work.merkleRoot,
          time: r.work.ntime,
          bits: r.work.nbits,
          nonce: x.nonce,
        });
        if (!hashMeetsTarget(sha256d(header), targetFromDifficulty(difficulty)))
          throw new Error(`emulator reported nonce 0x${x.nonce.toString(16)} that misses its target`);
      }
      if (r.results.length === 0) throw new Error('the emulator hashed but reported no nonce');
      process.stderr.write(`# emulator.hashrate: ${r.results.length} reported nonces re-checked\n`);
    },
    measure: async () => {
      const e = (rig as Rig).emulator;
      const [t0, h0] = await nextReport(e);
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const [t1, h1] = await nextReport(e);
      return ((h1 - h0) * 1000) / (t1 - t0) / WORKERS;
    },
  },
];

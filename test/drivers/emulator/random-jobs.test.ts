/**
 * 100 random jobs through an emulated chain at a scaled difficulty: every nonce that comes back, rebuilt into a
 * header from the job its id maps to (the engine's way), meets the scaled target as src/bitcoin checks it; ids
 * recycle many times and "clean jobs" invalidations happen, yet no result is ever mapped to the wrong job.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm13xxChain } from '../../../drivers/asic/bm13xx-chain.js';
import type { ChipModelName } from '../../../drivers/asic/chip-model.js';
import { EmulatedChain } from '../../../drivers/emulator/bm13xx-emulator.js';
import { createMemoryTransportPair } from '../../../drivers/transport/memory-transport.js';
import { SerialTransport } from '../../../drivers/transport/serial-transport.js';
import { createPtyPair } from '../../../drivers/transport/socat-pty.js';
import type { Transport } from '../../../drivers/transport/transport.js';
import type { ChipResult, Work } from '../../../src/mining/work.js';
import { resultMeets, waitUntil } from '../../support/bm13xx.js';
import { Prng } from '../../support/prng.js';

const SCALE = 2 ** -28; // ticket 256 → report difficulty 2^-20: about 240 nonces/s at 1 MH/s
const JOBS = 100;
/** Each job stays current until it has returned this many nonces (how long that takes depends on the CPU). */
const RESULTS_PER_JOB = 2;

async function hundredJobs(
  model: ChipModelName,
  chips: number,
  host: Transport,
  emulator: EmulatedChain,
  seed: number,
): Promise<string> {
  const chain = new Bm13xxChain(host, { model, expectedChips: chips, delayScale: 0, enumerateSilenceMs: 250 });
  const rng = new Prng(seed);
  // The engine's side: its own table keyed by the id sendWork returned.
  const table = new Map<number, { work: Work; live: boolean; index: number }>();
  const perJob = new Array<number>(JOBS).fill(0);
  const failures: string[] = [];
  const perChip = new Array<number>(chips).fill(0);
  let results = 0;
  chain.onResult((r: ChipResult) => {
    results++;
    const entry = table.get(r.jobId);
    if (entry === undefined || !entry.live) {
      failures.push(`result for job id ${r.jobId} that is not live`);
      return;
    }
    if (!resultMeets(entry.work, r, 256 * SCALE))
      failures.push(`job ${entry.index}: ${JSON.stringify(r)} misses the target`);
    perJob[entry.index]++;
    perChip[r.chipIndex]++;
  });
  try {
    await chain.init();
    await chain.switchBaud();
    for (let i = 0; i < JOBS; i++) {
      if (i % 10 === 0) {
        // a new block: every earlier job is dead
        chain.invalidateJobs();
        for (const e of table.values()) e.live = false;
      }
      const work: Work = {
        version: 0x20000000 | (rng.int(4) << 1),
        versionMask: 0x1fffe000,
        prevHash: rng.bytes(32),
        merkleRoot: rng.bytes(32),
        ntime: 0x66000000 + i,
        nbits: 0x17034219,
      };
      const id = chain.sendWork(work);
      table.set(id, { work, live: true, index: i });
      await waitUntil(() => perJob[i] >= RESULTS_PER_JOB, 20_000, `${RESULTS_PER_JOB} nonces of job ${i}`);
    }
    // Nonces still on the line belong to the last job or are dropped; give them time to arrive and be checked.
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    await chain.close();
  }
  assert.deepEqual(failures, []);
  const jobsWithResults = perJob.filter((n) => n > 0).length;
  assert.ok(results >= JOBS * RESULTS_PER_JOB, `${results} results`);
  assert.equal(jobsWithResults, JOBS);
  assert.ok(
    perChip.every((n) => n > 0),
    `every chip contributed: ${perChip}`,
  );
  const s = chain.stats();
  assert.equal(s.badVersions, 0, JSON.stringify(s));
  return `${results} nonces verified for ${jobsWithResults}/${JOBS} jobs; chips ${perChip.join('/')}; ${s.staleJobs} late nonces of invalidated jobs dropped; emulator dropped ${emulator.status().lateResults} from reused slots`;
}

test('100 random BM1366 jobs over a real pty (2 chips, 2 hashing threads): every nonce meets the scaled target', async (t) => {
  const pair = await createPtyPair();
  const device = await SerialTransport.open(pair.devicePath);
  const emulator = new EmulatedChain({ model: 'bm1366', chips: 2, workers: 2, difficultyScale: SCALE });
  emulator.attach(device);
  const host = await SerialTransport.open(pair.hostPath);
  try {
    t.diagnostic(await hundredJobs('bm1366', 2, host, emulator, 101));
  } finally {
    await emulator.close();
    await device.close();
    await pair.close();
  }
});

for (const [model, chips] of [
  ['bm1397', 2],
  ['bm1370', 2],
] as const) {
  test(`100 random ${model} jobs in memory (${chips} chips): every nonce meets the scaled target`, async (t) => {
    const [host, device] = createMemoryTransportPair();
    const emulator = new EmulatedChain({ model, chips, workers: 1, difficultyScale: SCALE });
    emulator.attach(device);
    try {
      t.diagnostic(await hundredJobs(model, chips, host, emulator, model === 'bm1397' ? 202 : 303));
    } finally {
      await emulator.close();
    }
  });
}

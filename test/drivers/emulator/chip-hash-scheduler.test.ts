import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChipHashScheduler } from '../../../drivers/emulator/chip-hash-scheduler.js';
import type { ChipSearchConfig, ChipSearchJob } from '../../../drivers/emulator/chip-search.js';

/** A full-header chip with one core, reporting nothing (an impossible target): the test counts hashes only. */
const CONFIG: ChipSearchConfig = {
  cores: [0],
  subcores: 1,
  rolling: false,
  fieldMask: 0,
  sliceStart: 0,
  window: 1 << 20,
  targetLimbs: [0, 0, 0, 0, 0, 0, 0, 0],
  thresholdDifficulty: 2 ** 60,
  excessByte: false,
};

function job(seed: number): ChipSearchJob {
  const header = new Uint8Array(80);
  header[0] = 0x20;
  header[4] = seed;
  return { generation: 1, jobId: 8, header, startCounter: 0 };
}

test('a CPU that cannot keep up starves no chip: every chip of the chain gets its turn in the slices', async () => {
  const hashes = new Map<number, number>();
  const scheduler = new ChipHashScheduler(
    {
      found: () => undefined,
      progress: (pairs) => {
        for (let i = 0; i < pairs.length; i += 2) hashes.set(pairs[i], (hashes.get(pairs[i]) ?? 0) + pairs[i + 1]);
      },
    },
    // A slice so short that one chip's run always overruns it: the situation of a loaded machine.
    { sliceMs: 0.001, tickMs: 1, progressMs: 50 },
  );
  try {
    for (let chip = 0; chip < 6; chip++) {
      scheduler.setConfig(chip, CONFIG);
      scheduler.setRate(chip, Number.POSITIVE_INFINITY);
      scheduler.setJob(chip, job(chip));
    }
    // Until every chip had two turns' worth, or long enough that starvation shows.
    for (let waited = 0; waited < 5000; waited += 50) {
      if (Array.from({ length: 6 }, (_, c) => hashes.get(c) ?? 0).every((n) => n >= 2 * 16384)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    scheduler.stop();
  }
  const counts = Array.from({ length: 6 }, (_, chip) => hashes.get(chip) ?? 0);
  for (const [chip, n] of counts.entries()) assert.ok(n > 0, `chip ${chip} hashed: ${counts.join(', ')}`);
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  assert.ok(max <= 3 * min, `turns shared fairly: ${counts.join(', ')}`);
});

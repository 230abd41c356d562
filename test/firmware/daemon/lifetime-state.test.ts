/**
 * The all-time best difficulty across restarts (`--state FILE`): the file format, a bad or missing file as a
 * fresh start with a warning (never a crash), and the daemon keeping it through a stop and a new start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readLifetimeState, writeLifetimeState } from '../../../firmware/daemon/lifetime-state.js';
import { eventually, startTestMiner } from '../../support/miner.js';

const dir = mkdtempSync(join(tmpdir(), 'hashaxe-state-'));

test('written to a new directory and read back; a missing file is a quiet fresh start', async () => {
  const path = join(dir, 'new', 'deeper', 'state.json');
  assert.deepEqual(await readLifetimeState(path), { state: { bestDifficulty: 0 }, warning: null });
  await writeLifetimeState(path, { bestDifficulty: 123.5 }, Date.UTC(2026, 11, 2));
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), {
    version: 1,
    bestDifficulty: 123.5,
    updatedAt: '2026-12-02T00:00:00.000Z',
  });
  assert.deepEqual(await readLifetimeState(path), { state: { bestDifficulty: 123.5 }, warning: null });
});

test('a file that is not JSON, or holds a bad value, or is a directory: a fresh start and a warning naming it', async () => {
  const cases: Array<[string, string | null, RegExp]> = [
    ['garbage.json', '{not json', /garbage\.json is not JSON; starting afresh/],
    ['negative.json', '{"bestDifficulty":-1}', /bestDifficulty must be a number ≥ 0, got -1/],
    ['string.json', '{"bestDifficulty":"4G"}', /bestDifficulty must be a number ≥ 0, got "4G"/],
    ['null.json', 'null', /bestDifficulty must be a number ≥ 0, got undefined/],
    ['', null, /cannot be read \(EISDIR\)/],
  ];
  for (const [name, body, warning] of cases) {
    const path = join(dir, name);
    if (body !== null) writeFileSync(path, body);
    const r = await readLifetimeState(path);
    assert.deepEqual(r.state, { bestDifficulty: 0 }, name);
    assert.match(r.warning ?? '', warning);
  }
});

test('the daemon keeps its best difficulty through a stop and a new start (bestDiff), while the session starts over', async () => {
  const stateFile = join(dir, 'miner', 'state.json');
  const first = await startTestMiner('bitaxe-ultra', { stateFile, localPool: { sharesPerMinute: 600 } });
  let best = 0;
  try {
    await eventually(() => (first.miner.engine.stats.snapshot().bestDifficulty ?? 0) > 0, 15_000, 'a share');
  } finally {
    await first.stop();
  }
  best = first.miner.engine.stats.snapshot().bestDifficulty;
  assert.ok(best > 0);
  assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).bestDifficulty, best, 'written at stop');

  const second = await startTestMiner('bitaxe-ultra', { stateFile, localPool: { sharesPerMinute: 600 } });
  try {
    const status = second.miner.miningStatus();
    assert.ok((status.bestDifficultyAllTime ?? 0) >= best, `all-time ${status.bestDifficultyAllTime} ≥ ${best}`);
    assert.ok(status.bestDifficulty <= (status.bestDifficultyAllTime ?? 0));
  } finally {
    await second.stop();
  }
  assert.ok(JSON.parse(readFileSync(stateFile, 'utf8')).bestDifficulty >= best, 'never written lower');
});

/**
 * Recovery without a human: a pool that stays connected but goes silent is left for the next pool, and a chain
 * that stops sending nonces is power-cycled (and brought up again once it answers).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalPool } from '../../../src/sv2/pool/local-pool.js';
import { eventually, startTestMiner } from '../../support/miner.js';

test('a pool that goes silent while connected: the miner fails over to the next pool and keeps mining', async () => {
  const primary = await LocalPool.start({ port: 0, sharesPerMinute: 600 });
  const backup = await LocalPool.start({ port: 0, sharesPerMinute: 600 });
  const t = await startTestMiner(
    'bitaxe-ultra',
    {
      pools: [
        { url: primary.url, user: 'rig', authorityKey: null },
        { url: backup.url, user: 'rig', authorityKey: null },
      ],
    },
    { stallTimeoutMs: 1500, retryMinMs: 100 },
  );
  try {
    await eventually(() => primary.stats().shares.accepted >= 3, 10_000, 'shares on the primary');
    assert.equal(backup.stats().shares.accepted, 0);
    primary.setSilent(true);
    await eventually(() => backup.stats().shares.accepted >= 3, 15_000, 'shares on the backup');
    assert.ok(
      t.logs.some((l) => /connected but silent for \d+ s; failing over/.test(l)),
      t.logs.join('\n'),
    );
    assert.ok(t.logs.some((l) => /switching to pool 2 of 2/.test(l)));
    assert.equal(t.miner.poolUrl, backup.url);
    const s = t.miner.summary();
    assert.equal(s.rejected, 0);
    assert.deepEqual(backup.stats().shares.rejectedByCode, {});
  } finally {
    await t.stop();
    await primary.close();
    await backup.close();
  }
});

test('a pool that still sends work but stops answering shares: after 20 unanswered shares the miner fails over', async () => {
  const primary = await LocalPool.start({ port: 0, sharesPerMinute: 600, jobIntervalMs: 200 });
  const backup = await LocalPool.start({ port: 0, sharesPerMinute: 600 });
  const t = await startTestMiner(
    'bitaxe-ultra',
    {
      pools: [
        { url: primary.url, user: 'rig', authorityKey: null },
        { url: backup.url, user: 'rig', authorityKey: null },
      ],
    },
    { stallTimeoutMs: 60_000, unansweredSharesTimeoutMs: 1000, retryMinMs: 100 },
  );
  try {
    await eventually(() => primary.stats().shares.accepted >= 3, 10_000, 'shares on the primary');
    primary.setAnswerShares(false);
    const judgedBefore = primary.stats().shares.accepted;
    await eventually(() => backup.stats().shares.accepted >= 3, 30_000, 'shares on the backup');
    assert.ok(primary.stats().shares.accepted - judgedBefore >= 20, 'it waited for 20 unanswered shares');
    assert.ok(
      t.logs.some((l) => /still sends work but answered none of the last \d+ shares; failing over/.test(l)),
      t.logs.join('\n'),
    );
    assert.ok(!t.logs.some((l) => /connected but silent/.test(l)), 'the primary was never silent');
    assert.equal(t.miner.poolUrl, backup.url);
  } finally {
    await t.stop();
    await primary.close();
    await backup.close();
  }
});

test('chips that go silent while the pool feeds them work are power-cycled and mine again', async () => {
  const t = await startTestMiner(
    'bitaxe-ultra',
    { localPool: { sharesPerMinute: 600 } },
    { watchdog: { minSilenceMs: 1500, expectedIntervals: 20 } },
  );
  try {
    const emulated = t.miner.emulatedChain;
    const pool = t.miner.localPoolInstance;
    assert.ok(emulated && pool);
    await eventually(() => pool.stats().shares.accepted >= 3, 10_000, 'shares before the fault');
    emulated.setFaults({ silentChips: [0] });
    await eventually(() => t.logs.some((l) => /no nonces from the chips .* power-cycling/.test(l)), 10_000, 'watchdog');
    // The silent chip does not answer enumeration either: the bring-up fails until it is back.
    await eventually(() => t.logs.some((l) => /chain bring-up failed/.test(l)), 10_000, 'failed bring-up');
    emulated.setFaults({});
    const before = pool.stats().shares.accepted;
    await eventually(() => pool.stats().shares.accepted >= before + 3, 15_000, 'shares after the recovery');
    const s = t.miner.summary();
    assert.ok(s.chainRestarts >= 2, `restarts ${s.chainRestarts}`);
    assert.equal(s.hwErrors, 0);
    assert.equal(s.rejected, 0);
    assert.equal(t.miner.telemetry()?.power, 'on');
  } finally {
    await t.stop();
  }
});

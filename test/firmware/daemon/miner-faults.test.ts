/**
 * The daemon under the conditions Bitaxe users complain about: blocks arriving every 2 s (stale work and
 * rejects around job changes), and a chip that returns nonces that do not hash (counted, never submitted).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HardwareErrorEvent, ShareSubmittedEvent } from '../../../src/mining/engine.js';
import type { PoolShareEvent } from '../../../src/sv2/pool/local-pool.js';
import { eventually, sleep, startTestMiner } from '../../support/miner.js';

test('a new prev hash every 2 s for 30 s: nothing submitted for an old block after the switch, nothing rejected', async () => {
  const t = await startTestMiner('bitaxe-ultra', {
    localPool: { blockIntervalSec: 2, jobIntervalSec: 0, sharesPerMinute: 240 },
  });
  try {
    const pool = t.miner.localPoolInstance;
    assert.ok(pool);
    const engine = t.miner.engine;
    // The tip the device has seen: every share it submits must belong to it.
    const tipAtSubmit: Array<{ share: ShareSubmittedEvent; prevHashes: number; tipJob: number | string | null }> = [];
    let tipJob: number | string | null = engine.currentJob?.jobId ?? null;
    engine.on('work', (w) => {
      if (w.clean) tipJob = w.poolJobId;
    });
    engine.on('share', (share) => {
      tipAtSubmit.push({ share, prevHashes: engine.counters.prevHashChanges, tipJob });
    });
    const judged: PoolShareEvent[] = [];
    pool.on('share', (e) => judged.push(e));
    const blocksAtStart = pool.stats().chain.blocks;
    await sleep(30_000);
    const blocks = pool.stats().chain.blocks - blocksAtStart;
    assert.ok(blocks >= 13, `the pool moved on ${blocks} times`);
    assert.ok(engine.counters.prevHashChanges >= 13, 'the device followed every block');
    assert.ok(judged.length >= 40, `${judged.length} shares judged`);
    // A share the device sent just before a SetNewPrevHash reached it crosses the change on the wire; the pool
    // judges those (its in-flight window) instead of calling them stale. That the device never sends work of a
    // tip it has already left is checked below, share by share.
    const rejected = judged.filter((e) => !e.accepted);
    assert.deepEqual(
      rejected.map((e) => e.errorCode),
      [],
      'no stale-share (or any other) reject',
    );
    // Client side: a share is always for a job of the tip the device knew when it sent it. Jobs on a tip are
    // the activating job and later ones; with jobIntervalSec 0 there is exactly one job per block.
    for (const x of tipAtSubmit)
      assert.equal(x.share.jobId, x.tipJob, `share of job ${x.share.jobId} sent on tip ${x.tipJob}`);
    const s = t.miner.summary();
    assert.equal(s.rejected, 0);
    assert.equal(s.hwErrors, 0);
  } finally {
    await t.stop();
  }
});

test('a chip sending nonces that do not hash: hardware errors of that chip, none submitted, no reject', async () => {
  const t = await startTestMiner('bitaxe-hex', { localPool: { sharesPerMinute: 600 } });
  try {
    const engine = t.miner.engine;
    const emulated = t.miner.emulatedChain;
    assert.ok(emulated);
    const errors: HardwareErrorEvent[] = [];
    const shares: ShareSubmittedEvent[] = [];
    engine.on('hardwareError', (e) => errors.push(e));
    engine.on('share', (e) => shares.push(e));
    await eventually(() => shares.length >= 2, 10_000, 'shares before the fault');
    emulated.injectBadNonce(4, 3);
    await eventually(() => errors.length >= 3, 20_000, 'three hardware errors');
    await sleep(500);
    const s = engine.stats.snapshot();
    assert.equal(s.hwErrors, 3);
    assert.deepEqual(
      s.chips.map((c) => c.hwErrors),
      [0, 0, 0, 0, 3, 0],
      'counted against chip 4, the one that sent them',
    );
    assert.ok(errors.every((e) => e.chipIndex === 4));
    assert.ok(
      shares.every((sh) => !errors.some((e) => e.nonce === sh.nonce && e.version === sh.version)),
      'no bad nonce was submitted',
    );
    assert.equal(t.miner.summary().rejected, 0);
    assert.deepEqual(t.miner.localPoolInstance?.stats().shares.rejectedByCode, {});
  } finally {
    await t.stop();
  }
});

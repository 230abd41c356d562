/**
 * A frequency change on the embedded default behaves as on a real board: the emulated chips hash at a rate that
 * follows their PLL, and the daemon tells the engine (ticket, refresh) and the pool (UpdateChannel) the new rate.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually, startTestMiner } from '../../support/miner.js';

test('lowering the clock from 485 to 400 MHz: the chips hash 400/485 as fast and the pool is told the new rate', async () => {
  const t = await startTestMiner('bitaxe-ultra', { localPool: { sharesPerMinute: 600 } });
  try {
    const chain = t.miner.emulatedChain;
    const control = t.miner.boardControl;
    const pool = t.miner.localPoolInstance;
    assert.ok(chain && control && pool);
    const configured = chain.hashrateHs;
    assert.equal(chain.targetHashrateHs(), configured, 'the configured rate is the rate at the start frequency');
    await eventually(() => pool.stats().channels.some((c) => c.open), 10_000, 'a channel');
    // What the engine plans with: its ticket's expected interval says the rate it assumes.
    const engineRate = (): number =>
      (t.miner.engine.ticketChoice.effectiveDifficulty * 2 ** 32) / (t.miner.engine.expectedResultIntervalMs() / 1000);
    assert.ok(Math.abs(engineRate() - configured) < 1, `${engineRate()} H/s`);
    assert.equal(await control.setFrequency(400), 400);
    const slower = (configured * 400) / 485;
    assert.ok(Math.abs(t.miner.chainHashrateHs() - slower) < 1, `${t.miner.chainHashrateHs()} H/s`);
    assert.ok(Math.abs(engineRate() - slower) < 1, `the engine plans with ${engineRate()} H/s`);
    await eventually(() => Math.abs(chain.targetHashrateHs() - slower) < 1, 5000, 'the chips at the new rate');
    await eventually(
      () => pool.stats().channels.some((c) => c.open && Math.abs(c.nominalHashRateHs - slower) < 1),
      10_000,
      'UpdateChannel with the new nominal rate',
    );
  } finally {
    await t.stop();
  }
});

/**
 * An external emulator mined without --difficulty-scale: every nonce is a hardware error, and the daemon says
 * why in one line naming the scale to pass, instead of leaving it to look like broken silicon.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmulatedChain } from '../../../drivers/emulator/bm13xx-emulator.js';
import { serveOnTcp } from '../../../drivers/emulator/chain-endpoint.js';
import { Miner } from '../../../firmware/daemon/miner.js';
import { loadBoard } from '../../../src/config/board-loader.js';
import { DEFAULT_MINER_CONFIG, type MinerConfig } from '../../../src/config/miner-config.js';
import { collectingLog } from '../../support/log.js';
import { eventually } from '../../support/miner.js';

test('chips at ticket × 2^-21 behind --port tcp://… with no --difficulty-scale: hardware errors, and a hint naming 2^-21', async () => {
  const emulated = new EmulatedChain({ model: 'bm1366', chips: 1, hashrateHs: 1_000_000, difficultyScale: 2 ** -21 });
  const endpoint = await serveOnTcp(emulated, 'tcp://127.0.0.1:0');
  const base = structuredClone(DEFAULT_MINER_CONFIG);
  const config: MinerConfig = {
    ...base,
    board: 'bitaxe-ultra',
    port: { kind: 'tcp', url: endpoint.endpoint },
    difficultyScale: 1,
    localPool: { ...base.localPool, sharesPerMinute: 600 },
    api: { ...base.api, enabled: false, port: 0 },
  };
  const { log, logs } = collectingLog();
  let miner: Miner | null = null;
  try {
    miner = await Miner.start({ config, board: loadBoard('bitaxe-ultra'), peripherals: 'none', version: '0', log });
    await eventually(() => logs.some((l) => /restart with --difficulty-scale/.test(l)), 20_000, 'the scale hint');
    const hints = logs.filter((l) => /restart with --difficulty-scale/.test(l));
    assert.equal(hints.length, 1);
    assert.match(hints[0], /ticket × 2\^-21\b.*--difficulty-scale 2\^-21 /);
    const s = miner.summary();
    assert.ok(s.hwErrors >= 10, `${s.hwErrors} hardware errors`);
    assert.equal(s.accepted, 0, 'nothing reached the pool');
  } finally {
    await miner?.stop();
    await endpoint.close();
    await emulated.close();
  }
});

/**
 * Every shipped board, end to end against its emulated chain: the real BM13xx driver over a socat pty with the
 * serialport binding, the emulated board's I2C parts under the board control, the SV2 client over real TCP and
 * Noise to the local pool, which validates every share it receives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listBoards, loadBoard } from '../../../src/config/board-loader.js';
import { SUPPORTED_BOARDS } from '../../support/boards.js';
import { eventually, startTestMiner } from '../../support/miner.js';

const boards = listBoards();

test('the shipped boards include the eight the project supports (each one is mined below)', () => {
  for (const name of SUPPORTED_BOARDS) assert.ok(boards.includes(name), name);
});

for (const name of boards) {
  test(`${name}: boots, enumerates its chips, mines shares the local pool accepts, no hardware errors`, async () => {
    const def = loadBoard(name);
    const t = await startTestMiner(name, { localPool: { sharesPerMinute: 600 } });
    try {
      const pool = t.miner.localPoolInstance;
      assert.ok(pool);
      await eventually(() => pool.stats().shares.accepted >= 3, 15_000, `${name}: 3 accepted shares`);
      const s = t.miner.summary();
      assert.equal(s.rejected, 0, JSON.stringify(s.rejectReasons));
      assert.equal(s.hwErrors, 0);
      assert.equal(s.hwErrorsPerChip.length, def.asic.count, 'per-chip statistics for every chip');
      assert.ok(s.accepted >= 1, 'the engine saw the pool accept them');
      assert.deepEqual(pool.stats().shares.rejectedByCode, {});
      const emu = t.miner.emulatedChain?.status();
      assert.equal(emu?.chips, def.asic.count);
      assert.ok(
        emu?.perChip.every((c) => Math.abs(c.frequencyMhz - def.defaults.frequencyMhz) < 7),
        'every chip at the board default frequency',
      );
      const tel = t.miner.telemetry();
      assert.equal(tel?.power, 'on');
      assert.equal(tel?.asicTempsC.length, def.peripherals.asicTemp.length, 'one reading per ASIC sensor');
      assert.ok(
        tel?.asicTempsC.every((c) => c !== null && c > 20 && c < def.limits.asicTempC.max),
        `plausible ASIC temperatures ${JSON.stringify(tel?.asicTempsC)}`,
      );
      assert.equal(tel?.sensorFault, null);
      assert.ok(t.logs.some((l) => new RegExp(`${def.asic.count}× ${def.asic.model} enumerated`).test(l)));
    } finally {
      await t.stop();
    }
    assert.equal(t.miner.telemetry()?.resetAsserted, true, 'shutdown leaves the chips in reset');
  });
}

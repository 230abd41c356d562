/**
 * UART health alone: running totals in, window rates and log lines out (time passed in by the test).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type UartCounters, UartHealth } from '../../../firmware/daemon/uart-health.js';
import { collectingLog } from '../../support/log.js';

function counters(crc: number, frames: number, chips: Array<[number, number]>, dropped = crc * 3): UartCounters {
  return {
    crcErrors: crc,
    droppedBytes: dropped,
    frames,
    chips: chips.map(([nonces, hwErrors]) => ({ nonces, hwErrors })),
  };
}

test('CRC errors over the window: one warning when they pass 1 % of frames, one line when back under half', () => {
  const { log, logs } = collectingLog();
  const h = new UartHealth(log, { windowMs: 10_000 });
  h.observe(0, counters(0, 0, [[0, 0]]));
  h.observe(1000, counters(4, 100, [[100, 0]]));
  assert.equal(logs.length, 0, 'fewer than 5 errors are not a trend');
  h.observe(2000, counters(10, 200, [[200, 0]]));
  assert.equal(logs.length, 1);
  assert.match(
    logs[0],
    /UART errors: 4\.8 % of the chips' response frames failed their CRC over the last 10 s \(10 CRC errors, 30 bytes skipped\); .*check the serial wiring and ground, and the baud rate/,
  );
  for (let t = 3000; t <= 9000; t += 1000)
    h.observe(t, counters(10 + (t - 2000) / 1000, 200 + (t - 2000) / 10, [[0, 0]]));
  assert.equal(logs.length, 1, 'still high: no repeat');
  const s = h.snapshot();
  assert.equal(s.crcErrors, 17);
  assert.equal(s.frames, 900);
  assert.equal(s.windowSec, 10);
  assert.ok(s.crcErrorPercent > 1.5 && s.crcErrorPercent < 2.5, `${s.crcErrorPercent}`);
  // Clean from here on: once the window no longer holds the burst, the rate falls and it says so once.
  for (let t = 10_000; t <= 25_000; t += 1000) h.observe(t, counters(17, 900 + (t - 9000), [[0, 0]]));
  assert.equal(logs.length, 2);
  assert.match(logs[1], /UART errors back down: 0\.\d % of response frames over the last 10 s/);
  assert.equal(h.snapshot().crcErrorPercent, 0);
});

test('per-chip hardware errors: the chip is named, the rate is its own, and reset() starts the window over', () => {
  const { log, logs } = collectingLog();
  const h = new UartHealth(log, { windowMs: 60_000 });
  h.observe(
    0,
    counters(0, 0, [
      [0, 0],
      [0, 0],
    ]),
  );
  h.observe(
    5000,
    counters(0, 300, [
      [100, 1],
      [100, 40],
    ]),
  );
  assert.equal(logs.length, 1);
  assert.match(logs[0], /chip 1: 29 % of its nonces were hardware errors over the last 60 s \(40 of 140\)/);
  const rates = h.chipRates();
  assert.equal(rates[0].errors, 1);
  assert.equal(rates[1].errors, 40);
  const snap = h.snapshot();
  assert.equal(snap.hwErrors, 41);
  assert.deepEqual(
    snap.chips.map((c) => c.hwErrors),
    [1, 40],
  );
  h.reset();
  assert.equal(h.coveredMs, 0);
  assert.deepEqual(h.chipRates(), []);
  h.observe(
    6000,
    counters(0, 300, [
      [100, 1],
      [100, 40],
    ]),
  );
  assert.equal(h.chipRates().length, 0, 'one sample is no rate');
});

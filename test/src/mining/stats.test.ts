import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HashrateMeter } from '../../../src/mining/hashrate-meter.js';
import { MiningStats } from '../../../src/mining/stats.js';

/** A clock the test moves by hand. */
function manualClock(startMs = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = startMs;
  return { now: () => t, advance: (ms) => (t += ms) };
}

test('a steady credit rate reads back over every window', () => {
  const clock = manualClock();
  const meter = new HashrateMeter(clock.now);
  // 2 GH per second for 2 hours of simulated time.
  for (let s = 0; s < 7200; s++) {
    meter.add(2e9);
    clock.advance(1000);
  }
  for (const w of [60, 600, 3600]) {
    const r = meter.rate(w);
    assert.ok(Math.abs(r - 2e9) / 2e9 < 0.02, `window ${w}: ${r}`);
  }
  assert.ok(Math.abs(meter.averageRate() - 2e9) / 2e9 < 0.001);
});

test('windows forget old work: a stop shows in 1 min before 1 h', () => {
  const clock = manualClock();
  const meter = new HashrateMeter(clock.now);
  for (let s = 0; s < 3600; s++) {
    meter.add(1e9);
    clock.advance(1000);
  }
  clock.advance(120_000); // two silent minutes
  assert.equal(meter.rate(60), 0);
  const h1 = meter.rate(3600);
  assert.ok(h1 > 0.9e9 && h1 < 0.99e9, String(h1));
  clock.advance(3_700_000); // more than the whole ring later
  assert.equal(meter.rate(3600), 0);
});

test('young meters divide by their age, not the full window', () => {
  const clock = manualClock();
  const meter = new HashrateMeter(clock.now);
  for (let s = 0; s < 10; s++) {
    clock.advance(1000);
    meter.add(5e8);
  }
  const r = meter.rate(3600);
  assert.ok(Math.abs(r - 5e8) / 5e8 < 0.15, String(r));
});

test('stats: shares by reason, best difficulty, hardware errors per chip, uptime', () => {
  const clock = manualClock();
  const stats = new MiningStats(2, clock.now);
  stats.verifiedNonce(0, 256, 1000);
  stats.verifiedNonce(1, 256, 70000);
  stats.hardwareError(1);
  stats.shareSubmitted();
  stats.shareSubmitted();
  stats.shareAccepted(512);
  stats.shareRejected('stale-share');
  stats.shareDroppedStale();
  clock.advance(30_000);
  // Per chip over the last minute: one nonce at ticket 256 each, 30 s ago.
  const early = stats.snapshot().chips.map((c) => c.hashrateGhs);
  for (const r of early) assert.ok(Math.abs(r - (256 * 4294967296) / 30 / 1e9) < 1e-6, String(r));
  clock.advance(31_000);
  const snap = stats.snapshot();
  assert.equal(snap.uptimeSeconds, 61);
  assert.equal(snap.sharesAccepted, 1);
  assert.equal(snap.sharesRejected, 1);
  assert.deepEqual(snap.rejectReasons, { 'stale-share': 1 });
  assert.equal(snap.sharesDroppedStale, 1);
  assert.equal(snap.bestDifficulty, 70000);
  assert.equal(snap.hwErrors, 1);
  assert.deepEqual(snap.chips, [
    { nonces: 1, hwErrors: 0, hashrateGhs: 0 },
    { nonces: 1, hwErrors: 1, hashrateGhs: 0 },
  ]);
  // 2 nonces × 256 × 2^32 hashes over 61 s.
  assert.ok(Math.abs(snap.hashrateGhs.avg - (2 * 256 * 4294967296) / 61 / 1e9) < 1e-9);
});

test('a share counted as timed out and answered after all leaves the timed-out count', () => {
  const clock = manualClock();
  const stats = new MiningStats(1, clock.now);
  stats.shareUnanswered('timeout', 3);
  stats.shareUnanswered('lost', 1);
  stats.shareAccepted(1);
  stats.shareAnsweredLate();
  stats.shareAnsweredLate();
  let snap = stats.snapshot();
  assert.deepEqual([snap.sharesAccepted, snap.sharesTimedOut, snap.sharesLost], [1, 1, 1]);
  stats.shareAnsweredLate();
  stats.shareAnsweredLate();
  snap = stats.snapshot();
  assert.equal(snap.sharesTimedOut, 0, 'never below zero');
});

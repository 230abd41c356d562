import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChainWatchdog, DEFAULT_WATCHDOG } from '../../../firmware/daemon/chain-watchdog.js';

test('a hardware-error rate restarts the chain only once it has stayed high for the sustain time', () => {
  const w = new ChainWatchdog({ ...DEFAULT_WATCHDOG, hwErrorSustainMs: 10_000 });
  const high = { chip: 0, errors: 40, fraction: 0.5 };
  assert.equal(w.checkErrors(0, high), 'ok');
  assert.equal(w.checkErrors(9_999, high), 'ok');
  assert.equal(w.checkErrors(10_000, high), 'restart');
  assert.equal(w.restartCount, 1);
  // A break resets the clock; a burst under the minimum count or the share never counts.
  assert.equal(w.checkErrors(11_000, high), 'ok');
  assert.equal(w.checkErrors(15_000, { chip: 0, errors: 40, fraction: 0.1 }), 'ok');
  assert.equal(w.checkErrors(16_000, high), 'ok');
  assert.equal(w.checkErrors(25_999, high), 'ok');
  assert.equal(w.checkErrors(30_000, { chip: 0, errors: 5, fraction: 1 }), 'ok');
  assert.equal(w.errorsHighForMs(30_000), 0);
  assert.equal(w.checkErrors(30_000, null), 'ok');
});

test('error restarts and silence restarts share one hourly budget', () => {
  const w = new ChainWatchdog({ ...DEFAULT_WATCHDOG, hwErrorSustainMs: 0, maxRestartsPerHour: 2 });
  const high = { chip: 1, errors: 100, fraction: 0.9 };
  assert.equal(w.checkErrors(0, high), 'restart');
  assert.equal(w.check(1000, 10 * 60_000, 10), 'restart');
  assert.equal(w.checkErrors(2000, high), 'gave-up');
  assert.equal(w.checkErrors(3_601_000, high), 'restart', 'an hour later the budget is back');
});

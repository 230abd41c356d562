/**
 * The failback watcher alone, with scripted probes: failed probes are reported and followed by another one,
 * never two at once; a successful probe ends the watch; stop() cancels a probe in flight and waits for it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrimaryFailback } from '../../../firmware/daemon/primary-failback.js';
import { eventually } from '../../support/miner.js';

test('failed probes are reported one by one and the next follows; a successful probe ends the watch', async () => {
  let started = 0;
  let running = 0;
  let maxRunning = 0;
  const failures: string[] = [];
  let recovered = 0;
  const watch = new PrimaryFailback({
    intervalMs: 5,
    probe: async () => {
      started++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      if (started < 4) throw new Error(`refused #${started}`);
    },
    failed: (why) => failures.push(why),
    recovered: () => recovered++,
  });
  watch.start();
  await eventually(() => recovered === 1, 5000, 'the successful probe');
  assert.deepEqual(failures, ['refused #1', 'refused #2', 'refused #3']);
  assert.equal(maxRunning, 1, 'a slow probe is never doubled');
  // No probe after the successful one.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(started, 4);
  await watch.stop();
  assert.equal(recovered, 1);
});

test('stop() aborts the probe in flight, waits for it to settle and reports nothing', async () => {
  let signalSeen: AbortSignal | null = null;
  let settled = false;
  const events: string[] = [];
  const watch = new PrimaryFailback({
    intervalMs: 5,
    // A probe that only ends when cancelled, like a handshake that is never answered.
    probe: (signal) =>
      new Promise<void>((_, reject) => {
        signalSeen = signal;
        signal.addEventListener('abort', () => {
          setTimeout(() => {
            settled = true;
            reject(new Error('cancelled'));
          }, 10);
        });
      }),
    failed: (why) => events.push(`failed: ${why}`),
    recovered: () => events.push('recovered'),
  });
  watch.start();
  await eventually(() => signalSeen !== null, 5000, 'a probe in flight');
  await watch.stop();
  assert.equal(settled, true, 'stop() resolved only after the probe settled');
  assert.deepEqual(events, []);
  await watch.stop();
});

test('stop() before the first probe: no probe ever runs', async () => {
  let started = 0;
  const watch = new PrimaryFailback({
    intervalMs: 20,
    probe: async () => {
      started++;
    },
    failed: () => undefined,
    recovered: () => undefined,
  });
  watch.start();
  await watch.stop();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(started, 0);
});

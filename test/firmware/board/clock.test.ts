import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../../firmware/board/clock.js';

test('ManualClock fires timers in time order and runs the async work each one starts', async () => {
  const clock = new ManualClock(0);
  const seen: string[] = [];
  clock.setTimer(200, () => seen.push(`b@${clock.now()}`));
  clock.setTimer(100, () => {
    seen.push(`a@${clock.now()}`);
    void (async () => {
      await clock.sleep(50);
      seen.push(`a2@${clock.now()}`);
    })();
  });
  const cancelled = clock.setTimer(150, () => seen.push('never'));
  cancelled.cancel();
  await clock.advance(300);
  assert.deepEqual(seen, ['a@100', 'a2@150', 'b@200']);
  assert.equal(clock.now(), 300);
  assert.equal(clock.pendingCount, 0);
});

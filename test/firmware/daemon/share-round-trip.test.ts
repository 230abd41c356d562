import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShareRoundTrip } from '../../../firmware/daemon/share-round-trip.js';

test('an answer for n shares takes the n oldest; the round trip is the newest of them', () => {
  let now = 0;
  const rt = new ShareRoundTrip(() => now);
  for (const t of [0, 10, 20, 30]) {
    now = t;
    rt.submitted();
  }
  now = 50;
  rt.answered({ kind: 'accepted', shares: [], count: 3 });
  assert.equal(rt.responseTimeMs, 30, 'sent at 20, answered at 50');
  assert.equal(rt.batch, 3);
  assert.equal(rt.pending, 1);
  now = 75;
  rt.answered({ kind: 'rejected', reason: 'stale', share: null });
  assert.equal(rt.responseTimeMs, 45);
  assert.equal(rt.pending, 0);
  rt.submitted();
  rt.answered({ kind: 'timeout', count: 1 });
  assert.equal(rt.responseTimeMs, 45, 'a timeout is no round trip');
  assert.equal(rt.pending, 0);
  rt.submitted();
  rt.reset();
  assert.equal(rt.pending, 0);
});

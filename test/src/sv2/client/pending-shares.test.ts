/**
 * Share bookkeeping when a pool answers after the share timeout (an SRI pool closes a batch of 10 only every
 * ~100 s at its example rate): the late answer moves the share from timed out to its real outcome.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_LATE_ANSWERS, PendingShares, type SubmittedShare } from '../../../../src/sv2/client/pending-shares.js';

function share(sequenceNumber: number, submittedAtMs: number, channelId = 1): SubmittedShare {
  return {
    channelId,
    sequenceNumber,
    jobId: 1,
    nonce: sequenceNumber,
    ntime: 0,
    version: 0,
    target: 1n,
    submittedAtMs,
  };
}

test('timed-out shares a late Success covers become accepted (late), and leave the timed-out count', () => {
  const p = new PendingShares();
  for (let seq = 1; seq <= 3; seq++) p.add(share(seq, 0));
  p.add(share(4, 50_000));
  const expired = p.expire(60_000, 60_000);
  assert.deepEqual(
    expired.map((s) => [s.sequenceNumber, s.outcome, s.late]),
    [
      [1, 'timeout', false],
      [2, 'timeout', false],
      [3, 'timeout', false],
    ],
  );
  assert.equal(p.stats().timedOut, 3);
  assert.equal(p.stats().pending, 1);
  const answered = p.acceptUpTo(1, 3, 70_000);
  assert.deepEqual(
    answered.map((s) => [s.sequenceNumber, s.outcome, s.late, s.latencyMs]),
    [
      [1, 'accepted', true, 70_000],
      [2, 'accepted', true, 70_000],
      [3, 'accepted', true, 70_000],
    ],
  );
  const s = p.stats();
  assert.deepEqual([s.accepted, s.timedOut, s.pending], [3, 0, 1], 'seq 4 is still pending, not touched');
  assert.deepEqual(p.acceptUpTo(1, 3, 71_000), [], 'answered once only');
  assert.deepEqual(
    p.acceptUpTo(1, 4, 72_000).map((x) => [x.sequenceNumber, x.late]),
    [[4, false]],
  );
});

test('a late SubmitShares.Error answers a timed-out share as rejected; another channel or a lost connection gets nothing', () => {
  const p = new PendingShares();
  p.add(share(7, 0, 1));
  p.add(share(7, 0, 2));
  p.expire(60_000, 60_000);
  assert.equal(p.reject(3, 7, 'stale-share', 61_000), null, 'unknown channel');
  const r = p.reject(1, 7, 'stale-share', 61_000);
  assert.ok(r !== null && r.outcome === 'rejected' && r.late && r.errorCode === 'stale-share');
  assert.equal(p.reject(1, 7, 'stale-share', 61_000), null, 'answered once only');
  let s = p.stats();
  assert.deepEqual([s.rejected, s.timedOut], [1, 1]);
  assert.deepEqual(s.rejectedByCode, { 'stale-share': 1 });
  p.loseAll(62_000);
  assert.deepEqual(p.acceptUpTo(2, 7, 63_000), [], 'after a disconnect no answer can belong to the old session');
  s = p.stats();
  assert.deepEqual([s.accepted, s.timedOut], [0, 1]);
});

test(`at most ${MAX_LATE_ANSWERS} timed-out shares are remembered per channel (the oldest go first)`, () => {
  const p = new PendingShares();
  const n = MAX_LATE_ANSWERS + 10;
  for (let seq = 1; seq <= n; seq++) p.add(share(seq, 0));
  p.expire(1, 1);
  const late = p.acceptUpTo(1, n, 2);
  assert.equal(late.length, MAX_LATE_ANSWERS);
  assert.equal(late[0].sequenceNumber, 11);
  assert.equal(p.stats().timedOut, 10);
});

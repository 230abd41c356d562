/**
 * The watch for a pool that sends work but no share answers: it needs both enough shares and enough time, and
 * learns from the pool's own batches how many unanswered shares are normal there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MIN_UNANSWERED_SHARES,
  ShareAnswerWatch,
  UNANSWERED_BEFORE_FIRST_BATCH,
} from '../../../src/mining/share-answer-watch.js';

const MIN = 60_000;

test(`after a batch of 1: trips only with ${MIN_UNANSWERED_SHARES} unanswered shares and the oldest ${MIN / 1000} s old`, () => {
  const w = new ShareAnswerWatch(MIN);
  w.answered(1);
  for (let i = 0; i < MIN_UNANSWERED_SHARES - 1; i++) w.submitted(i * 100);
  assert.equal(w.check(10 * MIN), 0, 'too few shares, however long');
  w.submitted(5_000);
  assert.equal(w.check(MIN - 1), 0, 'enough shares, not long enough');
  assert.equal(w.check(MIN), MIN_UNANSWERED_SHARES);
});

test('any answer starts it over; a pool that batches 15 may leave 29 unanswered, not 30', () => {
  const w = new ShareAnswerWatch(MIN);
  for (let i = 0; i < 25; i++) w.submitted(0);
  w.answered(15);
  assert.equal(w.check(2 * MIN), 0, 'answered');
  for (let i = 0; i < 29; i++) w.submitted(MIN);
  assert.equal(w.check(3 * MIN), 0, 'within twice its batch');
  w.submitted(MIN);
  assert.equal(w.check(3 * MIN), 30);
  w.answered(0);
  assert.equal(w.check(3 * MIN), 0, 'a SubmitShares.Error is an answer too');
});

test(`before any batch was acknowledged (its size unknown) it takes ${UNANSWERED_BEFORE_FIRST_BATCH} shares`, () => {
  const w = new ShareAnswerWatch(MIN);
  w.answered(0);
  for (let i = 0; i < UNANSWERED_BEFORE_FIRST_BATCH - 1; i++) w.submitted(0);
  assert.equal(w.check(10 * MIN), 0, 'an Error says nothing about the batch size');
  w.submitted(0);
  assert.equal(w.check(10 * MIN), UNANSWERED_BEFORE_FIRST_BATCH);
});

test('a new connection starts with nothing outstanding; timeout 0 never trips', () => {
  const w = new ShareAnswerWatch(MIN);
  w.answered(1);
  for (let i = 0; i < 50; i++) w.submitted(0);
  w.reset();
  assert.equal(w.check(5 * MIN), 0);
  w.submitted(5 * MIN);
  assert.equal(w.check(7 * MIN), 0, 'one share on the new connection');
  const never = new ShareAnswerWatch(0);
  for (let i = 0; i < 1000; i++) never.submitted(0);
  assert.equal(never.check(1e12), 0);
});

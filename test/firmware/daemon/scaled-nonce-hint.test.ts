/**
 * The hint for chips reporting at a scale nobody told the daemon about: it names the scale after a run of
 * errors that all reach ticket × scale, and stays quiet for the random hashes real broken nonces give.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCALED_NONCE_RUN, ScaledNonceHint } from '../../../firmware/daemon/scaled-nonce-hint.js';
import { sha256d } from '../../../src/bitcoin/sha256.js';
import { difficultyOfHash } from '../../../src/bitcoin/target.js';
import { Prng } from '../../support/prng.js';

/** The ticket a daemon told "scale 1" picks for a chip: chip difficulty 2, checked at 2. */
const UNSCALED = { chipDifficulty: 2, effectiveDifficulty: 2 };

test('a run of errors that all reach ticket × 2^-21 names 2^-21, once', () => {
  const hint = new ScaledNonceHint();
  const prng = new Prng(7);
  const seen: Array<number | null> = [];
  for (let i = 0; i < SCALED_NONCE_RUN * 3; i++) {
    // What an emulator at 2^-21 sends: hashes that met 2 × 2^-21, so P(difficulty ≥ y) = 2 × 2^-21 / y.
    const difficulty = (2 * 2 ** -21) / (1 - prng.u32() / 2 ** 32);
    seen.push(hint.observe(difficulty, UNSCALED));
  }
  assert.deepEqual(
    seen.map((s, i) => (s === null ? null : i)).filter((i) => i !== null),
    [SCALED_NONCE_RUN - 1],
  );
  assert.equal(seen[SCALED_NONCE_RUN - 1], 2 ** -21);
});

test('one random hash in the run starts it over; a daemon already at that scale is not told it', () => {
  const hint = new ScaledNonceHint();
  const scaled = 2 * 2 ** -21 * 1.5;
  for (let i = 0; i < SCALED_NONCE_RUN - 1; i++) assert.equal(hint.observe(scaled, UNSCALED), null);
  assert.equal(hint.observe(2 ** -31, UNSCALED), null, 'a random hash');
  for (let i = 0; i < SCALED_NONCE_RUN - 1; i++) assert.equal(hint.observe(scaled, UNSCALED), null);
  assert.equal(hint.observe(scaled, UNSCALED), 2 ** -21, 'a full run again');

  const atScale = new ScaledNonceHint();
  const told = { chipDifficulty: 2, effectiveDifficulty: 2 * 2 ** -21 };
  for (let i = 0; i < SCALED_NONCE_RUN * 2; i++) assert.equal(atScale.observe(scaled, told), null);
});

test('20,000 real broken nonces (random SHA-256d) never trigger it', () => {
  const hint = new ScaledNonceHint();
  const prng = new Prng(11);
  const header = new Uint8Array(80);
  for (let i = 0; i < 20_000; i++) {
    header.set(prng.bytes(80));
    assert.equal(hint.observe(difficultyOfHash(sha256d(header)), UNSCALED), null, `hash ${i}`);
  }
});

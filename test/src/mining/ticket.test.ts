import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIFF1_TARGET } from '../../../src/bitcoin/target.js';
import { chooseTicket, ticketTarget } from '../../../src/mining/ticket.js';

test('silicon: the ticket aims at ~32 nonces/s but never above the share difficulty', () => {
  // 500 GH/s: 500e9 / (32 × 2^32) ≈ 3.6 → 2.
  assert.deepEqual(chooseTicket({ hashrateHs: 500e9, shareDifficulty: 4096, difficultyScale: 1 }), {
    chipDifficulty: 2,
    effectiveDifficulty: 2,
  });
  // A 6-chip hex at 3 TH/s: ≈ 21.8 → 16.
  assert.equal(chooseTicket({ hashrateHs: 3e12, shareDifficulty: 4096, difficultyScale: 1 }).chipDifficulty, 16);
  // The pool's difficulty is lower than that: the ticket follows it down so no share is missed.
  assert.equal(chooseTicket({ hashrateHs: 3e12, shareDifficulty: 5, difficultyScale: 1 }).chipDifficulty, 4);
  // The register cannot go below 1.
  assert.equal(chooseTicket({ hashrateHs: 1e9, shareDifficulty: 0.5, difficultyScale: 1 }).chipDifficulty, 1);
});

test('emulated chips: the ticket is chosen in effective units and programmed in chip units', () => {
  // 1 MH/s of CPU hashing at scale 2^-21, local-pool difficulty ≈ 1.16e-4.
  const t = chooseTicket({ hashrateHs: 1e6, shareDifficulty: 1.16e-4, difficultyScale: 2 ** -21 });
  // For rate: 1e6 / (32 × 2^32) ≈ 7.3e-6 → × 2^21 ≈ 15.3 chip units → 8.
  assert.equal(t.chipDifficulty, 8);
  assert.equal(t.effectiveDifficulty, 8 * 2 ** -21);
  const hard = chooseTicket({ hashrateHs: 1e6, shareDifficulty: 2 ** -20, difficultyScale: 2 ** -21 });
  assert.equal(hard.chipDifficulty, 2, 'the share difficulty caps it');
  assert.throws(() => chooseTicket({ hashrateHs: 1, shareDifficulty: 1, difficultyScale: 2 }), /scale/);
});

test('ticket targets follow the chip criterion (32 + n leading zero bits), looser than DIFF1 / d', () => {
  assert.equal(ticketTarget(1), (1n << 224n) - 1n);
  assert.equal(ticketTarget(256), (1n << 216n) - 1n);
  assert.equal(ticketTarget(2 ** -13), (1n << 237n) - 1n);
  assert.ok(ticketTarget(1) > DIFF1_TARGET, 'a nonce real silicon reports at difficulty 1 always passes');
  assert.throws(() => ticketTarget(0), RangeError);
});

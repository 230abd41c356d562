/**
 * The liveness rule on a simulated clock (test/support/liveness-sim.ts): the two promises it makes, each over many
 * seeded runs — a frozen pool is judged frozen within 27 s of the last thing it sent (so failover starts within
 * 30 s), and a live pool is never judged dead, however it batches its acknowledgements — and the single rules
 * one by one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ALLOWANCE_MS, MIN_ALLOWANCE_MS } from '../../../src/mining/answer-times.js';
import {
  FROZEN_WITHIN_MS,
  MAX_MISSED_PROBES,
  PoolLiveness,
  type PoolLivenessRules,
} from '../../../src/mining/pool-liveness.js';
import { type SimulatedPool, simulate } from '../../support/liveness-sim.js';
import type { Prng } from '../../support/prng.js';

/** What the daemon runs with: checks every second, 120 s of nothing at all, 10 min without work. */
const DAEMON_RULES: PoolLivenessRules = {
  checkIntervalMs: 1000,
  stallTimeoutMs: 120_000,
  workTimeoutMs: 600_000,
  unansweredSharesTimeoutMs: 600_000,
  probeName: 'probe',
};
const HOUR = 3_600_000;

/** Loopback-to-WAN answer times: mostly 1–40 ms, one in fifty a 1 s hiccup (a busy pool, a GC pause). */
const usualAnswers = (rng: Prng): number => (rng.int(50) === 0 ? 1000 : 1 + rng.int(40));

function sri(jobEveryMs: number | null): SimulatedPool {
  return { batch: 10, jobEveryMs, answersProbes: true, roundTripMs: usualAnswers };
}

test('the default promise: 27 s from the last message (3 s left for the move within 30 s); one that cannot be kept is refused', () => {
  assert.equal(FROZEN_WITHIN_MS, 27_000);
  const l = new PoolLiveness(DAEMON_RULES);
  l.connected(0);
  // quiet + allowance + 2 checks = the promise, at the cap (no answer seen yet) and at the floor.
  assert.equal(l.snapshot().quietBeforeProbeMs + MAX_ALLOWANCE_MS + 2000, 27_000);
  l.probeSent(0);
  l.probeAnswered(3);
  assert.equal(l.snapshot().quietBeforeProbeMs, 27_000 - MIN_ALLOWANCE_MS - 2000);
  assert.throws(
    () => new PoolLiveness({ ...DAEMON_RULES, frozenWithinMs: 17_000 }),
    /cannot be judged within 17000 ms/,
  );
});

test('a pool acknowledging every 10 shares at 6 shares/min is never judged dead (6 simulated hours × 10 seeds per case)', (ctx) => {
  const cases: Array<{ name: string; pool: SimulatedPool; rules: PoolLivenessRules }> = [
    { name: 'jobs every 30 s (SRI with a busy mempool, ckpool)', pool: sri(30_000), rules: DAEMON_RULES },
    { name: 'jobs every 60 s (public-pool)', pool: sri(60_000), rules: DAEMON_RULES },
    { name: 'no jobs at all (SRI on a quiet chain)', pool: sri(null), rules: DAEMON_RULES },
    {
      name: 'a slow pool (answers in 2–3.5 s), jobs every 30 s',
      pool: { ...sri(30_000), roundTripMs: (rng) => 2000 + rng.int(1500) },
      rules: DAEMON_RULES,
    },
  ];
  for (const c of cases) {
    let acks = 0;
    let probes = 0;
    let quiet = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = simulate({ pool: c.pool, sharesPerMinute: 6, durationMs: 6 * HOUR, rules: c.rules, seed });
      assert.equal(r.dead, null, `${c.name}, seed ${seed}: ${JSON.stringify(r.dead)}`);
      assert.ok(r.acknowledgements > 150, 'the pool did acknowledge in batches');
      acks += r.acknowledgements;
      probes += Object.values(r.probes).reduce((a, b) => a + b, 0);
      quiet = Math.max(quiet, r.longestQuietMs);
    }
    ctx.diagnostic(
      `${c.name}: 60 h, ${acks} acknowledgements of 10, ${probes} probes (all answered), ` +
        `longest quiet ${Math.round(quiet / 1000)} s, never judged dead`,
    );
  }
});

test('a pool frozen at a random moment is judged frozen within 27 s of its last message, 30 s of the freeze', (ctx) => {
  const cases: Array<{ name: string; pool: SimulatedPool; sharesPerMinute: number }> = [
    { name: 'SV2, batches of 10, 6 shares/min, jobs every 30 s', pool: sri(30_000), sharesPerMinute: 6 },
    { name: 'SV2, batches of 10, no jobs', pool: sri(null), sharesPerMinute: 6 },
    {
      name: 'V1, every submit answered, 20 shares/min, jobs every 60 s',
      pool: { batch: 1, jobEveryMs: 60_000, answersProbes: true, roundTripMs: usualAnswers },
      sharesPerMinute: 20,
    },
    {
      name: 'a pool whose answers took 4 s (the allowance at its 15 s cap)',
      pool: { ...sri(30_000), roundTripMs: () => 4000 },
      sharesPerMinute: 6,
    },
  ];
  for (const c of cases) {
    let worstSinceLast = 0;
    let worstSinceFreeze = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const freezeAtMs = 5 * 60_000 + seed * 7_919 + (seed % 7) * 123;
      const r = simulate({
        pool: c.pool,
        sharesPerMinute: c.sharesPerMinute,
        durationMs: freezeAtMs + 5 * 60_000,
        freezeAtMs,
        rules: DAEMON_RULES,
        seed,
      });
      assert.ok(r.dead !== null, `${c.name}, seed ${seed}: never judged`);
      assert.equal(r.dead.verdict.reason, 'frozen', r.dead.verdict.message);
      assert.ok(r.dead.atMs >= freezeAtMs, 'nothing judged while the pool was alive');
      const sinceLast = r.dead.atMs - r.lastArrivalMs;
      assert.ok(sinceLast <= FROZEN_WITHIN_MS, `${c.name}, seed ${seed}: ${sinceLast} ms`);
      assert.ok(r.dead.atMs - freezeAtMs <= 30_000, `${c.name}, seed ${seed}: ${r.dead.atMs - freezeAtMs} ms`);
      worstSinceLast = Math.max(worstSinceLast, sinceLast);
      worstSinceFreeze = Math.max(worstSinceFreeze, r.dead.atMs - freezeAtMs);
    }
    ctx.diagnostic(
      `${c.name}: 40 freezes, judged at worst ${(worstSinceLast / 1000).toFixed(1)} s after the last message, ` +
        `${(worstSinceFreeze / 1000).toFixed(1)} s after the freeze`,
    );
  }
});

test('a pool that ignores probes is asked once, then judged only by the job-feed rule (no false frozen)', () => {
  const pool: SimulatedPool = { batch: 10, jobEveryMs: 30_000, answersProbes: false, roundTripMs: usualAnswers };
  const alive = simulate({ pool, sharesPerMinute: 6, durationMs: 2 * HOUR, rules: DAEMON_RULES, seed: 3 });
  assert.equal(alive.dead, null);
  assert.deepEqual(alive.probes, { calibrate: 1 }, 'one unanswered probe while the pool was clearly alive');
  const frozen = simulate({
    pool,
    sharesPerMinute: 6,
    durationMs: HOUR,
    freezeAtMs: 10 * 60_000,
    rules: DAEMON_RULES,
    seed: 4,
  });
  assert.equal(frozen.dead?.verdict.reason, 'silent');
  const after = (frozen.dead?.atMs ?? 0) - frozen.lastArrivalMs;
  assert.ok(after >= 120_000 && after <= 121_000, `${after}`);
});

test('a pool frozen before it ever answered a probe is not called frozen (it may not answer probes)', () => {
  const l = new PoolLiveness(DAEMON_RULES);
  l.connected(0);
  assert.deepEqual(l.check(1000), { kind: 'probe', why: 'calibrate' });
  l.probeSent(1000);
  for (let t = 2000; t < 120_000; t += 1000) assert.equal(l.check(t).kind, 'none', `at ${t}`);
  const v = l.check(120_000);
  assert.ok(v.kind === 'dead' && v.verdict.reason === 'silent');
});

test('answers: the probe allowance is 4 × the slowest recent answer, within the floor and the cap', () => {
  const l = new PoolLiveness(DAEMON_RULES);
  l.connected(0);
  assert.equal(l.snapshot().answerAllowanceMs, MAX_ALLOWANCE_MS, 'no history: the cap');
  l.check(1000);
  l.probeSent(1000);
  l.probeAnswered(1002);
  assert.equal(l.snapshot().probes, 'answers');
  assert.equal(l.snapshot().answerAllowanceMs, MIN_ALLOWANCE_MS, '2 ms answers: the floor');
  l.shareAnswered(5000, 1, 2500);
  assert.equal(l.snapshot().answerAllowanceMs, 10_000);
  l.shareAnswered(6000, 1, 9000);
  assert.equal(l.snapshot().answerAllowanceMs, MAX_ALLOWANCE_MS);
});

test('frozen needs silence for the whole allowance: anything heard meanwhile makes the probe a miss, not a verdict', () => {
  const l = new PoolLiveness(DAEMON_RULES);
  l.connected(0);
  l.check(1000);
  l.probeSent(1000);
  l.probeAnswered(1003);
  const quiet = l.snapshot().quietBeforeProbeMs;
  let t = 1003;
  for (let miss = 1; miss <= MAX_MISSED_PROBES; miss++) {
    assert.equal(l.check(t + quiet - 1).kind, 'none');
    t += quiet;
    assert.deepEqual(l.check(t), { kind: 'probe', why: 'quiet' });
    l.probeSent(t);
    l.work(t + 100); // a job: alive, but no answer to the probe
    t += MIN_ALLOWANCE_MS;
    assert.equal(l.check(t).kind, 'none');
    assert.equal(l.snapshot().probeOutstanding, false, 'given up as missed');
    l.work(t);
  }
  assert.equal(l.snapshot().probes, 'ignores', `${MAX_MISSED_PROBES} misses in a row`);
  assert.equal(l.check(t + 60_000).kind, 'none', 'no more probes, and no frozen verdict');
});

test('the share that closes the pool’s batch, overdue by its answer time, brings the probe forward (once per window)', () => {
  const l = new PoolLiveness(DAEMON_RULES);
  l.connected(0);
  l.check(1000);
  l.probeSent(1000);
  l.probeAnswered(1002);
  for (let i = 0; i < 10; i++) l.shareSubmitted(2000 + i);
  l.shareAnswered(2100, 10, 20); // a batch of 10: the pool's batch size is known now
  for (let i = 0; i < 9; i++) l.shareSubmitted(3000 + i * 100);
  l.heard(3000);
  assert.equal(l.check(3000 + MIN_ALLOWANCE_MS + 1000).kind, 'none', 'nine shares: the batch is still open');
  l.shareSubmitted(5000); // the tenth closes it; its answer is due 5 s later
  l.heard(5000);
  assert.equal(l.check(9999).kind, 'none');
  assert.deepEqual(l.check(10_000), { kind: 'probe', why: 'share-overdue' });
  l.probeSent(10_000);
  l.probeAnswered(10_004);
  assert.equal(l.check(11_000).kind, 'none', 'the same overdue share asks once');
  l.shareAnswered(12_000, 10, 7000);
  l.heard(12_000);
  assert.equal(l.check(13_000).kind, 'none');
});

test('silent (nothing at all), no work (pings and probe answers only), unanswered shares; 0 turns each off', () => {
  const rules = { checkIntervalMs: 10, frozenWithinMs: 0, probeName: 'p', unansweredSharesTimeoutMs: 0 };
  const l = new PoolLiveness({ ...rules, stallTimeoutMs: 1000, workTimeoutMs: 0 });
  l.connected(0);
  assert.equal(l.check(999).kind, 'none');
  const silent = l.check(1000);
  assert.ok(silent.kind === 'dead' && silent.verdict.reason === 'silent' && silent.verdict.silentForMs === 1000);
  l.heard(1000);
  assert.equal(l.check(1500).kind, 'none', 'a ping is a sign of life');

  const w = new PoolLiveness({ ...rules, stallTimeoutMs: 1000, workTimeoutMs: 3000 });
  w.connected(0);
  for (let t = 500; t < 3000; t += 500) {
    w.heard(t);
    assert.equal(w.check(t).kind, 'none');
  }
  w.heard(3000);
  const noWork = w.check(3000);
  assert.ok(noWork.kind === 'dead' && noWork.verdict.reason === 'no-work' && noWork.verdict.silentForMs === 3000);

  const u = new PoolLiveness({ ...rules, stallTimeoutMs: 0, workTimeoutMs: 0, unansweredSharesTimeoutMs: 500 });
  u.connected(1000);
  for (let i = 0; i < 100; i++) u.shareSubmitted(1500);
  assert.equal(u.check(1999).kind, 'none', 'before any answer a pool’s batch is unknown: 100 shares, and time');
  const unanswered = u.check(2000);
  assert.ok(unanswered.kind === 'dead' && unanswered.verdict.reason === 'unanswered-shares');
  assert.equal(unanswered.verdict.unansweredShares, 100);
  u.shareAnswered(2000, 1, 10);
  for (let i = 0; i < 20; i++) u.shareSubmitted(2100);
  assert.equal(u.check(2599).kind, 'none');
  assert.equal(u.check(2600).kind, 'dead', 'after a batch of 1: 20 shares');

  const off = new PoolLiveness({ ...rules, stallTimeoutMs: 0, workTimeoutMs: 0 });
  off.connected(0);
  for (let i = 0; i < 200; i++) off.shareSubmitted(0);
  assert.equal(off.check(1e9).kind, 'none');
});

/**
 * The V1 client's liveness, end to end on a manual clock (real TCP, the local V1 pool with full validation, the
 * client's own rule): a pool answering every submit, 6 shares a minute, a job a minute (public-pool's cadence) is
 * never taken for dead over 30 simulated minutes; the same pool frozen behind a proxy that stops reading is judged
 * frozen within 27 simulated seconds of its last message, its unanswered submits lost with that reason; a pool that
 * does not answer the probe (mining.configure) is asked once and then judged only by the silence rule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MiningJob } from '../../../../src/mining/job.js';
import { FROZEN_WITHIN_MS, type LivenessVerdict } from '../../../../src/mining/pool-liveness.js';
import { Sv1MiningClient } from '../../../../src/sv1/client/mining-client.js';
import { Sv1Pool } from '../../../../src/sv1/pool/v1-pool.js';
import { ManualClock } from '../../../../src/sv2/clock.js';
import { sleep } from '../../../support/miner.js';
import { FreezableProxy } from '../../../support/net.js';
import { findShares } from '../../../support/sv1-cpu-miner.js';
import { lines, notifyParams, ScriptedV1Pool } from '../../../support/sv1-scripted-pool.js';
import { startTestPool } from '../../../support/sv2-net.js';

const SECOND = 1000;

/** Polls without a timer's delay (the I/O between two steps of the manual clock takes microseconds). */
async function until(cond: () => boolean, what: string, realTimeoutMs = 5000): Promise<void> {
  const end = Date.now() + realTimeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function rig(seed: number) {
  const clock = new ManualClock(Date.now());
  const chain = await startTestPool({ clock }, seed);
  const pool = await Sv1Pool.start({ feed: chain, port: 0, startDifficulty: 2 ** -20, sharesPerMinute: 6, clock });
  const proxy = new FreezableProxy({ host: '127.0.0.1', port: pool.port });
  await proxy.start();
  const client = new Sv1MiningClient({
    url: `stratum+tcp://127.0.0.1:${proxy.port}`,
    user: 'bc1qexample.rig1',
    userAgent: 'hashaxe/test',
    clock,
    checkIntervalMs: 1000,
  });
  const stalls: LivenessVerdict[] = [];
  client.on('stalled', (v) => stalls.push(v));
  const lost: string[] = [];
  client.on('shareResult', (r) => {
    if (r.kind === 'lost') lost.push(`${r.count}: ${r.why}`);
  });
  let job: MiningJob | null = null;
  client.on('newTip', (j) => {
    job = j;
  });
  client.on('job', (j) => {
    job = j;
  });
  await client.connect();
  let extranonce = 0;
  const answeredProbe = async (): Promise<void> => {
    if (client.livenessSnapshot().probeOutstanding) {
      await until(() => !client.livenessSnapshot().probeOutstanding, 'the probe’s answer');
    }
  };
  return {
    clock,
    chain,
    pool,
    proxy,
    client,
    stalls,
    lost,
    answeredProbe,
    /** One share, then (real time) its answer. */
    async submit(wait = true): Promise<void> {
      extranonce += 1000;
      const [share] = findShares(job as MiningJob, 1, { extranonceStart: extranonce });
      client.submitShare(share);
      if (wait) await until(() => client.shareStats().pending === 0, 'the answer');
    },
    async close() {
      client.close();
      await proxy.close();
      await pool.close();
      await chain.close();
    },
  };
}

test('every submit answered, 6 shares/min, a job a minute: 30 simulated minutes, never taken for dead', async (ctx) => {
  const r = await rig(51);
  try {
    for (let s = 1; s <= 30 * 60; s++) {
      r.clock.advance(SECOND);
      if (s % 10 === 0) await r.submit();
      if (s % 60 === 0) {
        r.chain.newJobs();
        await sleep(1);
      }
      r.client.checkLiveness();
      await r.answeredProbe();
    }
    assert.deepEqual(r.stalls, [], 'never stalled');
    assert.ok(r.client.open);
    const live = r.client.livenessSnapshot();
    assert.equal(live.probes, 'answers', 'the pool answers mining.configure');
    assert.equal(live.batchSize, 1);
    const shares = r.client.shareStats();
    assert.equal(shares.submitted, 180);
    assert.equal(shares.accepted, 180);
    const probes = r.pool.stats().sessions[0];
    ctx.diagnostic(
      `1800 simulated s: ${shares.accepted} submits answered one by one, the pool's session ${JSON.stringify({
        accepted: probes.accepted,
        rejected: probes.rejected,
      })}, allowance ${live.answerAllowanceMs} ms, quiet before a probe ${live.quietBeforeProbeMs} ms, no stall`,
    );
  } finally {
    await r.close();
  }
});

test('the same pool frozen (it stops reading, TCP stays open): frozen within 27 s of its last message; unanswered submits lost with that reason', async (ctx) => {
  const r = await rig(52);
  try {
    for (let s = 1; s <= 90; s++) {
      r.clock.advance(SECOND);
      if (s % 10 === 0) await r.submit();
      r.client.checkLiveness();
      await r.answeredProbe();
    }
    assert.equal(r.client.livenessSnapshot().probes, 'answers');
    const lastHeard = r.client.livenessSnapshot().lastHeardAtMs;
    r.proxy.freeze();
    const frozenAt = r.clock.nowMs();
    for (let s = 1; s <= 60 && r.stalls.length === 0; s++) {
      r.clock.advance(SECOND);
      if (s === 3) await r.submit(false); // sent into the frozen pool: never answered
      r.client.checkLiveness();
      await sleep(5);
    }
    assert.equal(r.stalls.length, 1, 'judged once');
    const v = r.stalls[0];
    assert.equal(v.reason, 'frozen', v.message);
    assert.match(v.message, /no answer to a liveness probe \(mining\.configure\)/);
    const judgedAt = r.clock.nowMs();
    assert.ok(judgedAt - lastHeard <= FROZEN_WITHIN_MS, `${judgedAt - lastHeard} ms after its last message`);
    await until(() => r.lost.length === 1, 'the lost submit');
    assert.deepEqual(r.lost, [`1: the connection closed (${v.message})`]);
    ctx.diagnostic(
      `frozen judged ${(judgedAt - lastHeard) / 1000} s after the pool's last message ` +
        `(${(judgedAt - frozenAt) / 1000} s after the freeze): ${v.message}`,
    );
  } finally {
    r.proxy.thaw();
    await r.close();
  }
});

test('a pool that does not answer the probe: asked once while it sends jobs, then judged only by silence', async () => {
  const pool = new ScriptedV1Pool();
  await pool.start();
  const clock = new ManualClock(Date.now());
  const client = new Sv1MiningClient({
    url: pool.url,
    user: 'w.1',
    userAgent: 'hashaxe/test',
    clock,
    stallTimeoutMs: 120_000,
  });
  const stalls: LivenessVerdict[] = [];
  client.on('stalled', (v) => stalls.push(v));
  try {
    const connecting = client.connect();
    await pool.answerHandshake();
    await connecting;
    const from = pool.received.length;
    client.checkLiveness();
    const probe = await pool.request('mining.configure', from);
    assert.deepEqual(probe.params, [['version-rolling'], { 'version-rolling.mask': 'ffffffff' }]);
    // No answer; jobs keep coming for longer than any allowance: the pool is alive and ignores probes.
    for (let s = 1; s <= 20; s++) {
      clock.advance(SECOND);
      pool.send(lines.notification('mining.notify', notifyParams(`j${s}`, false)));
      await until(() => client.livenessSnapshot().lastActivityAtMs === clock.nowMs(), 'the job');
      client.checkLiveness();
    }
    assert.equal(client.livenessSnapshot().probes, 'ignores');
    const sent = pool.received.length;
    // Now it goes quiet: no more probes, no frozen verdict; 120 s of silence is.
    for (let s = 1; s < 120; s++) {
      clock.advance(SECOND);
      client.checkLiveness();
    }
    await sleep(20);
    assert.equal(pool.received.length, sent, 'not asked again');
    assert.deepEqual(stalls, []);
    clock.advance(SECOND);
    client.checkLiveness();
    const judged: LivenessVerdict[] = stalls;
    assert.equal(judged.length, 1);
    assert.equal(judged[0].reason, 'silent');
    assert.match(judged[0].message, /pool sent nothing at all for 120 s/);
  } finally {
    client.close();
    await pool.close();
  }
});

/**
 * The SV2 client's liveness, end to end on a manual clock (real TCP, real Noise, the real local pool, the
 * client's own rule): a pool that acknowledges shares in batches of 10 at 6 shares a minute is never taken for
 * dead over 30 simulated minutes; the same pool frozen behind a proxy that stops reading (as a SIGSTOPped process's
 * kernel does) is judged frozen within 27 simulated seconds of its last message, and the shares still unanswered
 * are counted as lost with that reason. The probe on the wire: UpdateChannel naming a channel that is not ours.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FROZEN_WITHIN_MS, type LivenessVerdict } from '../../../../src/mining/pool-liveness.js';
import type { ActiveJob } from '../../../../src/sv2/client/channel.js';
import { Sv2MiningClient } from '../../../../src/sv2/client/mining-client.js';
import { formatSv2Url } from '../../../../src/sv2/client/url.js';
import { ManualClock } from '../../../../src/sv2/clock.js';
import type { Sv2Frame } from '../../../../src/sv2/codec/frame.js';
import { SetupConnectionSuccess } from '../../../../src/sv2/messages/common.js';
import {
  OpenStandardMiningChannelSuccess,
  SetTarget,
  UpdateChannel,
  UpdateChannelError,
} from '../../../../src/sv2/messages/mining.js';
import type { LocalPool } from '../../../../src/sv2/pool/local-pool.js';
import { eventually, sleep } from '../../../support/miner.js';
import { FreezableProxy } from '../../../support/net.js';
import { findNonce, nextEvent, startTestPool, testClient } from '../../../support/sv2-net.js';
import { ScriptedPool } from '../../../support/sv2-scripted-pool.js';

const SECOND = 1000;

function decodeAs<V>(def: { msgType: number; decode(p: Uint8Array): V }, f: Sv2Frame): V {
  assert.equal(f.header.msgType, def.msgType);
  return def.decode(f.payload);
}

/** Polls every millisecond of real time (the I/O between two steps of the manual clock is quick). */
async function until(cond: () => boolean, what: string, realTimeoutMs = 5000): Promise<void> {
  const end = Date.now() + realTimeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Waits (in real time) until no probe is outstanding: the pool's answer is in, before the clock moves on. */
async function answered(client: Sv2MiningClient): Promise<void> {
  if (!client.livenessSnapshot().probeOutstanding) return;
  await until(() => !client.livenessSnapshot().probeOutstanding, 'the probe’s answer');
}

interface Rig {
  clock: ManualClock;
  pool: LocalPool;
  proxy: FreezableProxy;
  client: Sv2MiningClient;
  channelId: number;
  job: () => ActiveJob;
  /** Submits a share and waits (real time) until the pool judged it and any acknowledgement it closed is in. */
  submit: () => Promise<void>;
  stalls: LivenessVerdict[];
  lost: string[];
  close(): Promise<void>;
}

/** The local pool acknowledging every 10 shares, reached through a freezable proxy, a client on a manual clock. */
async function rig(seed: number): Promise<Rig> {
  const clock = new ManualClock(Date.now());
  const pool = await startTestPool({ shareBatchSize: 10, sharesPerMinute: 6, clock }, seed);
  const proxy = new FreezableProxy({ host: '127.0.0.1', port: pool.port });
  await proxy.start();
  const client = testClient(pool, {
    url: formatSv2Url('127.0.0.1', proxy.port, pool.authorityKeyText),
    clock,
    // An easy target (the pool sizes it from the hash rate): a share takes ~100 hashes to find.
    nominalHashRateHs: 10,
    // The client's own timer runs too (every real second, at whatever the clock says): harmless, and real.
    checkIntervalMs: 1000,
  });
  const stalls: LivenessVerdict[] = [];
  client.on('stalled', (v) => stalls.push(v));
  const lost: string[] = [];
  client.on('shareResult', (r) => {
    if (r.kind === 'lost') lost.push(`${r.shares.length}: ${r.why}`);
  });
  let job: ActiveJob | null = null;
  client.on('job', (e) => {
    if (e.active) job = e.active;
  });
  const prev = nextEvent(client, 'prevHash');
  const { channelId } = await client.connect();
  job = (await prev).job;
  let nonce = -1;
  const current = (): ActiveJob => job as ActiveJob;
  return {
    clock,
    pool,
    proxy,
    client,
    channelId,
    job: current,
    submit: async () => {
      const j = current();
      nonce = findNonce(j, true, nonce + 1);
      client.submitShare({ channelId, jobId: j.jobId, nonce, ntime: j.minNtime, version: j.version });
      const sent = client.shareStats().submitted;
      await until(() => pool.stats().shares.accepted === sent, 'the pool’s judgement');
      if (sent % 10 === 0) await until(() => client.shareStats().pending === 0, 'the batch’s answer');
    },
    stalls,
    lost,
    async close() {
      client.close();
      await proxy.close();
      await pool.close();
    },
  };
}

test('batches of 10 at 6 shares/min, jobs every 30 s: 30 simulated minutes, never taken for dead', async (ctx) => {
  const r = await rig(41);
  try {
    for (let s = 1; s <= 30 * 60; s++) {
      r.clock.advance(SECOND);
      if (s % 10 === 0) await r.submit();
      if (s % 30 === 0) {
        r.pool.newJobs();
        await sleep(1);
      }
      r.client.checkLiveness();
      await answered(r.client);
    }
    await eventually(() => r.client.shareStats().accepted >= 170, 5000, 'the batches');
    assert.deepEqual(r.stalls, [], 'never stalled');
    assert.ok(r.client.connected);
    const live = r.client.livenessSnapshot();
    assert.equal(live.probes, 'answers');
    assert.equal(live.batchSize, 10, 'the pool’s batch, learned');
    const shares = r.client.shareStats();
    assert.equal(shares.submitted, 180);
    assert.equal(shares.accepted, 180 - shares.pending);
    assert.equal(shares.timedOut + shares.lost + shares.rejected, 0);
    // Frames the pool received besides SetupConnection, the channel and the 180 shares: the probes.
    const probes = r.pool.stats().framesReceived - 2 - 180;
    assert.ok(probes >= 1, 'at least the first probe');
    ctx.diagnostic(
      `1800 simulated s: ${shares.accepted} shares acknowledged in batches of 10, ${probes} probes answered ` +
        `(allowance ${live.answerAllowanceMs} ms, quiet before a probe ${live.quietBeforeProbeMs} ms), no stall`,
    );
  } finally {
    await r.close();
  }
});

test('the same pool frozen (it stops reading, TCP stays open): frozen within 27 s of its last message; unanswered shares lost with that reason', async (ctx) => {
  const r = await rig(42);
  try {
    for (let s = 1; s <= 120; s++) {
      r.clock.advance(SECOND);
      if (s % 10 === 0) await r.submit();
      r.client.checkLiveness();
      await answered(r.client);
    }
    assert.equal(r.client.livenessSnapshot().probes, 'answers');
    await r.submit();
    const lastHeard = r.client.livenessSnapshot().lastHeardAtMs;
    const pending = r.client.shareStats().pending;
    assert.ok(pending >= 1, 'shares in an open batch');
    r.proxy.freeze();
    const frozenAt = r.clock.nowMs();
    const gone = nextEvent(r.client, 'disconnected', () => true, 10_000);
    for (let s = 1; s <= 60 && r.stalls.length === 0; s++) {
      r.clock.advance(SECOND);
      r.client.checkLiveness();
      await sleep(5);
    }
    assert.equal(r.stalls.length, 1, 'judged once');
    const v = r.stalls[0];
    assert.equal(v.reason, 'frozen', v.message);
    const judgedAt = r.clock.nowMs();
    assert.ok(judgedAt - lastHeard <= FROZEN_WITHIN_MS, `${judgedAt - lastHeard} ms after its last message`);
    assert.match(v.message, /pool froze: nothing from it for \d+ s, and no answer to a liveness probe \(UpdateChannel/);
    const d = await gone;
    assert.equal(d.code, 'stalled');
    assert.deepEqual(r.lost, [`${pending}: the connection closed (${v.message})`]);
    ctx.diagnostic(
      `frozen judged ${(judgedAt - lastHeard) / 1000} s after the pool's last message ` +
        `(${(judgedAt - frozenAt) / 1000} s after the freeze); ${pending} unanswered share(s) lost: ${v.message}`,
    );
  } finally {
    r.proxy.thaw();
    await r.close();
  }
});

test('the probe on the wire: UpdateChannel for 0xffffffff (then 0xfffffffe) with our hash rate; its answer (error or SetTarget) is no warning', async () => {
  const fake = new ScriptedPool();
  await fake.start();
  const clock = new ManualClock(Date.now());
  try {
    const client = new Sv2MiningClient({
      url: fake.url,
      userIdentity: 'probe.rig',
      nominalHashRateHs: 5e9,
      channel: 'standard',
      clock,
      device: { vendor: 'hashaxe-test', hardwareVersion: 'none', firmware: '0.0.0' },
    });
    const warnings: string[] = [];
    client.on('warning', (w) => warnings.push(w.message));
    const connecting = client.connect();
    await fake.frames(1);
    fake.send(SetupConnectionSuccess, { usedVersion: 2, flags: 0 });
    await fake.frames(2);
    fake.send(OpenStandardMiningChannelSuccess, {
      requestId: 1,
      channelId: 7,
      target: new Uint8Array(32).fill(0xff),
      extranoncePrefix: new Uint8Array(0),
      groupChannelId: 0,
    });
    await connecting;
    client.checkLiveness();
    const first = decodeAs(UpdateChannel, (await fake.frames(3))[2]);
    assert.equal(first.channelId, 0xffffffff);
    assert.equal(first.nominalHashRate, 5e9);
    assert.equal(client.livenessSnapshot().probeOutstanding, true);
    fake.send(UpdateChannelError, { channelId: 0xffffffff, errorCode: 'invalid-channel-id' });
    await eventually(() => !client.livenessSnapshot().probeOutstanding, 2000, 'the answer');
    assert.equal(client.livenessSnapshot().probes, 'answers');
    clock.advance(client.livenessSnapshot().quietBeforeProbeMs);
    client.checkLiveness();
    const second = decodeAs(UpdateChannel, (await fake.frames(4))[3]);
    assert.equal(second.channelId, 0xfffffffe, 'a new id per probe');
    // SRI's JDC in solo mode answers any UpdateChannel with a SetTarget for the channel it names.
    fake.send(SetTarget, { channelId: 0xfffffffe, maximumTarget: new Uint8Array(32).fill(0x7f) });
    await eventually(() => !client.livenessSnapshot().probeOutstanding, 2000, 'the second answer');
    assert.deepEqual(warnings, []);
    client.close();
  } finally {
    await fake.close();
  }
});

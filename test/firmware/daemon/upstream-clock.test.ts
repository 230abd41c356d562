/**
 * Boot without a real-time clock: a pool whose certificate looks "not yet valid" only because this machine's
 * clock is not synchronised is retried, with no failover, until the clock is set; with a synchronised clock
 * the same certificate is the pool's problem and the daemon fails over. Real pools on 127.0.0.1, real Noise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Upstream, type UpstreamPool } from '../../../firmware/daemon/upstream.js';
import { Sv2JobSource } from '../../../src/sv2/client/sv2-job-source.js';
import type { Clock } from '../../../src/sv2/clock.js';
import { LocalPool } from '../../../src/sv2/pool/local-pool.js';
import { collectingLog } from '../../support/log.js';
import { eventually } from '../../support/miner.js';

const DAY_MS = 86_400_000;
const device = { vendor: 'hashaxe-test', hardwareVersion: 'none', firmware: '0' };

async function pools(): Promise<{ ahead: LocalPool; fine: LocalPool; close: () => Promise<void> }> {
  // The primary's clock (and so its certificate) is a day ahead of this machine's.
  const ahead = await LocalPool.start({ port: 0, clock: { nowMs: () => Date.now() + DAY_MS } });
  const fine = await LocalPool.start({ port: 0 });
  return { ahead, fine, close: async () => void (await Promise.all([ahead.close(), fine.close()])) };
}

function upstreamFor(
  list: UpstreamPool[],
  clock: Clock,
  synchronised: () => boolean | null,
): { upstream: Upstream; logs: string[]; attempts: string[] } {
  const { log, logs } = collectingLog();
  const attempts: string[] = [];
  const upstream = new Upstream({
    pools: list,
    device,
    nominalHashRateHs: () => 1e6,
    handlers: { sessionOpened() {}, newTip() {}, activeJob() {}, target() {}, shareResult() {}, down() {} },
    log,
    retryMinMs: 50,
    clockRetryMs: 100,
    clockSynchronised: synchronised,
    openSource: (pool, t) => {
      attempts.push(pool.url);
      return new Sv2JobSource({
        url: pool.url,
        userIdentity: pool.user,
        nominalHashRateHs: t.nominalHashRateHs,
        device: t.device,
        clock,
        ...(t.clockSynchronised !== undefined ? { clockSynchronised: t.clockSynchronised } : {}),
      });
    },
  });
  return { upstream, logs, attempts };
}

test('clock not synchronised: the same pool is retried with a clear log line, never failed over; mining once NTP sets the clock', async () => {
  const p = await pools();
  let offsetMs = 0;
  let synced = false;
  const { upstream, logs, attempts } = upstreamFor(
    [
      { url: p.ahead.url, user: 'w', authorityKey: null },
      { url: p.fine.url, user: 'w', authorityKey: null },
    ],
    { nowMs: () => Date.now() + offsetMs },
    () => synced,
  );
  upstream.start();
  try {
    await eventually(() => attempts.length >= 4, 10_000, 'four attempts');
    assert.ok(
      attempts.every((u) => u === p.ahead.url),
      'only the primary was tried',
    );
    assert.equal(upstream.state.failovers, 0);
    assert.equal(upstream.state.poolIndex, 0);
    const waits = logs.filter((l) => /clock is not synchronised yet/.test(l));
    assert.equal(waits.length, 1, `one line while waiting, not one per attempt: ${logs.join('\n')}`);
    assert.match(waits[0], /retrying this pool every 100 ms until the clock is synchronised \(no failover/);
    assert.ok(!logs.some((l) => /switching to pool/.test(l)));

    // NTP sets the clock: the next attempt on the same pool opens a channel.
    offsetMs = DAY_MS;
    synced = true;
    await eventually(() => upstream.state.connected, 10_000, 'a channel on the primary');
    assert.equal(upstream.state.poolIndex, 0);
    assert.equal(upstream.state.failovers, 0);
  } finally {
    await upstream.stop();
    await p.close();
  }
});

test('clock synchronised: the same certificate is the pool\'s fault ("not valid until") and the daemon fails over', async () => {
  const p = await pools();
  const { upstream, logs } = upstreamFor(
    [
      { url: p.ahead.url, user: 'w', authorityKey: null },
      { url: p.fine.url, user: 'w', authorityKey: null },
    ],
    { nowMs: () => Date.now() },
    () => true,
  );
  upstream.start();
  try {
    await eventually(() => upstream.state.connected, 10_000, 'a channel on the backup');
    assert.equal(upstream.state.poolIndex, 1);
    assert.equal(upstream.state.failovers, 1);
    assert.ok(logs.some((l) => /pool certificate is not valid until/.test(l)));
    assert.ok(!logs.some((l) => /not synchronised/.test(l)));
  } finally {
    await upstream.stop();
    await p.close();
  }
});

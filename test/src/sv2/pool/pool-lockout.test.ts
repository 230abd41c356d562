/**
 * The local SV2 pool cannot be locked out (real TCP, real Noise). An attacker on other loopback addresses holds 63
 * idle channels (Noise, SetupConnection and a channel, then nothing) and 300 half-open connections (a third of a
 * Noise handshake, then nothing; each one the pool closes is opened again half a second later): a new miner still
 * gets a channel at once and mines. Idle channels and unfinished handshakes close after their timeouts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame } from '../../../../src/sv2/codec/frame.js';
import { SetupConnection } from '../../../../src/sv2/messages/common.js';
import { OpenStandardMiningChannel } from '../../../../src/sv2/messages/mining.js';
import type { LocalPool } from '../../../../src/sv2/pool/local-pool.js';
import { holdHalfOpen, loopbackAddresses } from '../../../support/lockout.js';
import { eventually, sleep } from '../../../support/miner.js';
import { BareNoiseClient } from '../../../support/sv2-fuzz.js';
import { findNonce, nextEvent, startTestPool, testClient } from '../../../support/sv2-net.js';

/** A channel opened and never used, from `address`. */
async function idleChannel(pool: LocalPool, address: string, n: number): Promise<BareNoiseClient> {
  const c = await BareNoiseClient.connect(pool.port, pool.authorityPublicKey, address);
  c.frame(
    encodeFrame(SetupConnection, {
      protocol: 0,
      minVersion: 2,
      maxVersion: 2,
      flags: 1,
      endpointHost: '127.0.0.1',
      endpointPort: pool.port,
      vendor: 'idle',
      hardwareVersion: '',
      firmware: '',
      deviceId: '',
    }),
  );
  c.frame(
    encodeFrame(OpenStandardMiningChannel, {
      requestId: 1,
      userIdentity: `idle.${n}`,
      nominalHashRate: 1000,
      maxTarget: new Uint8Array(32).fill(0xff),
    }),
  );
  c.flush();
  return c;
}

const openChannels = (pool: LocalPool): number => pool.stats().channels.filter((c) => c.open).length;

test('63 idle channels and 300 half-open handshakes held from other addresses: a new miner gets a channel and mines', async (ctx) => {
  const pool = await startTestPool({ sharesPerMinute: 60 }, 71);
  const idle: BareNoiseClient[] = [];
  let flood: ReturnType<typeof holdHalfOpen> | null = null;
  try {
    const channelAddresses = loopbackAddresses(10, 4); // 16 + 16 + 16 + 15: each within the per-address limit
    for (let i = 0; i < 63; i++) idle.push(await idleChannel(pool, channelAddresses[Math.floor(i / 16)], i));
    await eventually(() => openChannels(pool) === 63, 10_000, '63 idle channels');
    flood = holdHalfOpen(pool.port, 300, loopbackAddresses(20, 20), { reopenMs: 500, payload: new Uint8Array(21) });
    await flood.allTried;
    const attack = flood;
    await eventually(() => attack.opened >= 600, 10_000, 'the flood going on (re-opens)');

    const t0 = Date.now();
    const miner = testClient(pool, { userIdentity: 'the.miner' });
    const prev = nextEvent(miner, 'prevHash');
    const { channelId } = await miner.connect();
    const channelAfterMs = Date.now() - t0;
    const job = (await prev).job!;
    let nonce = -1;
    const share = async (): Promise<string> => {
      nonce = findNonce(job, true, nonce + 1);
      const answer = nextEvent(miner, 'shareResult');
      miner.submitShare({ channelId, jobId: job.jobId, nonce, ntime: job.minNtime, version: job.version });
      return (await answer).kind;
    };
    assert.equal(await share(), 'accepted');
    const opensBefore = attack.opened;
    // A second more under the flood: the miner keeps its slot and its shares are answered.
    await sleep(1000);
    assert.ok(miner.connected, 'still connected');
    assert.equal(await share(), 'accepted');
    const s = pool.stats();
    ctx.diagnostic(
      `channel for the new miner ${channelAfterMs} ms after it connected, under a flood of ${attack.opened} ` +
        `half-open connections (${attack.opened - opensBefore} in the last second); pool: ${s.connections.gate.open} ` +
        `slots (${JSON.stringify(s.connections.gate.byStage)}) from ${s.connections.gate.addresses} addresses, ` +
        `${s.connections.gate.evicted} evicted, ${s.connections.refused} refused; ${openChannels(pool) - 1} of the ` +
        '63 idle channels still open',
    );
    assert.ok(channelAfterMs < 5000, `${channelAfterMs} ms`);
    assert.equal(s.connections.refused, 0);
    miner.close();
  } finally {
    flood?.stop();
    for (const c of idle) c.destroy();
    await pool.close();
  }
});

test('idle channels and unfinished handshakes close after their timeouts; a miner finding shares stays', async (ctx) => {
  const pool = await startTestPool({ sharesPerMinute: 600, idleTimeoutMs: 1500, handshakeTimeoutMs: 1000 }, 72);
  const flood = holdHalfOpen(pool.port, 3, loopbackAddresses(40, 3), { reopenMs: 60_000 });
  const idle = await idleChannel(pool, '127.0.0.50', 0);
  try {
    const closes: Array<{ code: string; atMs: number }> = [];
    const t0 = Date.now();
    pool.on('connectionClosed', (c) => closes.push({ code: c.code, atMs: Date.now() - t0 }));
    const miner = testClient(pool, { userIdentity: 'the.miner' });
    const prev = nextEvent(miner, 'prevHash');
    const { channelId } = await miner.connect();
    const job = (await prev).job!;
    let nonce = -1;
    const mining = setInterval(() => {
      nonce = findNonce(job, true, nonce + 1);
      miner.submitShare({ channelId, jobId: job.jobId, nonce, ntime: job.minNtime, version: job.version });
    }, 300);
    try {
      await eventually(() => closes.filter((c) => c.code === 'idle-timeout').length === 1, 5000, 'the idle close');
      await eventually(() => closes.filter((c) => c.code === 'handshake-timeout').length === 3, 5000, 'the handshakes');
      await sleep(1000);
    } finally {
      clearInterval(mining);
    }
    assert.ok(miner.connected, 'the miner stays');
    const idleClose = closes.find((c) => c.code === 'idle-timeout')!;
    assert.ok(idleClose.atMs >= 1400 && idleClose.atMs <= 3500, `idle closed after ${idleClose.atMs} ms`);
    assert.equal(closes.length, 4, JSON.stringify(closes));
    assert.equal(pool.stats().connections.gate.open, 1);
    ctx.diagnostic(`closes (code, ms after start): ${JSON.stringify(closes)}; the miner mined on`);
    miner.close();
  } finally {
    flood.stop();
    idle.destroy();
    await pool.close();
  }
});

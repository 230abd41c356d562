/**
 * The local pool's V1 port cannot be locked out (real TCP). An attacker on other loopback addresses holds 63 idle
 * sessions (subscribed and authorized, then nothing) and 300 half-open connections (connected, then nothing; each
 * one the pool closes is opened again half a second later): a new miner still gets work at once and its shares are
 * accepted. Idle sessions and connections that never subscribe close after their timeouts.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import type { MiningJob } from '../../../../src/mining/job.js';
import { Sv1MiningClient } from '../../../../src/sv1/client/mining-client.js';
import { Sv1Pool, type Sv1PoolOptions } from '../../../../src/sv1/pool/v1-pool.js';
import type { LocalPool } from '../../../../src/sv2/pool/local-pool.js';
import { holdHalfOpen, loopbackAddresses } from '../../../support/lockout.js';
import { eventually, sleep } from '../../../support/miner.js';
import { findShares } from '../../../support/sv1-cpu-miner.js';
import { startTestPool } from '../../../support/sv2-net.js';

let chain: LocalPool;
before(async () => {
  chain = await startTestPool({}, 81);
});
after(async () => {
  await chain.close();
});

function v1Pool(options: Partial<Sv1PoolOptions> = {}): Promise<Sv1Pool> {
  return Sv1Pool.start({ feed: chain, port: 0, startDifficulty: 2 ** -20, ...options });
}

/** A session that subscribes and authorizes from `address`, then never submits. */
function idleSession(pool: Sv1Pool, address: string, n: number): Socket {
  const s = connect({ host: '127.0.0.1', port: pool.port, localAddress: address });
  s.on('error', () => {});
  s.on('data', () => {});
  s.write(
    '{"id":1,"method":"mining.subscribe","params":["idle/1.0"]}\n' +
      `{"id":2,"method":"mining.authorize","params":["idle.${n}","x"]}\n`,
  );
  return s;
}

async function miner(pool: Sv1Pool): Promise<{ client: Sv1MiningClient; share: () => Promise<string> }> {
  const client = new Sv1MiningClient({ url: pool.url, user: 'the.miner', userAgent: 'hashaxe/test' });
  let job: MiningJob | null = null;
  client.on('newTip', (j) => {
    job = j;
  });
  client.on('job', (j) => {
    job = j;
  });
  await client.connect();
  let extranonce = 0;
  const share = (): Promise<string> =>
    new Promise((resolve) => {
      client.once('shareResult', (r) => resolve(r.kind));
      extranonce += 1000;
      client.submitShare(findShares(job as MiningJob, 1, { extranonceStart: extranonce })[0]);
    });
  return { client, share };
}

const ready = (pool: Sv1Pool): number => pool.stats().connections.gate.byStage.ready;

test('63 idle sessions and 300 half-open connections held from other addresses: a new miner gets work and mines', async (ctx) => {
  const pool = await v1Pool();
  const idle: Socket[] = [];
  let flood: ReturnType<typeof holdHalfOpen> | null = null;
  try {
    const addresses = loopbackAddresses(10, 4);
    for (let i = 0; i < 63; i++) idle.push(idleSession(pool, addresses[Math.floor(i / 16)], i));
    await eventually(() => ready(pool) === 63, 10_000, '63 idle sessions');
    flood = holdHalfOpen(pool.port, 300, loopbackAddresses(20, 20), { reopenMs: 500 });
    await flood.allTried;
    const attack = flood;
    await eventually(() => attack.opened >= 600, 10_000, 'the flood going on (re-opens)');

    const t0 = Date.now();
    const m = await miner(pool);
    const workAfterMs = Date.now() - t0;
    assert.equal(await m.share(), 'accepted');
    const opensBefore = attack.opened;
    await sleep(1000);
    assert.ok(m.client.open, 'still connected');
    assert.equal(await m.share(), 'accepted');
    const s = pool.stats();
    ctx.diagnostic(
      `work for the new miner ${workAfterMs} ms after it connected, under a flood of ${attack.opened} half-open ` +
        `connections (${attack.opened - opensBefore} in the last second); pool: ${s.connections.gate.open} slots ` +
        `(${JSON.stringify(s.connections.gate.byStage)}) from ${s.connections.gate.addresses} addresses, ` +
        `${s.connections.gate.evicted} evicted, ${s.connections.refused} refused`,
    );
    assert.ok(workAfterMs < 5000, `${workAfterMs} ms`);
    assert.equal(s.connections.refused, 0);
    m.client.close();
  } finally {
    flood?.stop();
    for (const s of idle) s.destroy();
    await pool.close();
  }
});

test('idle sessions and connections that never subscribe close after their timeouts; a miner finding shares stays', async (ctx) => {
  const pool = await v1Pool({ idleTimeoutMs: 1500, handshakeTimeoutMs: 1000 });
  const flood = holdHalfOpen(pool.port, 3, loopbackAddresses(40, 3), { reopenMs: 60_000 });
  const idle = idleSession(pool, '127.0.0.50', 0);
  try {
    const closes: Array<{ code: string; atMs: number }> = [];
    const t0 = Date.now();
    pool.on('connectionClosed', (c) => closes.push({ code: c.code, atMs: Date.now() - t0 }));
    const m = await miner(pool);
    const mining = setInterval(() => void m.share(), 300);
    try {
      await eventually(() => closes.filter((c) => c.code === 'idle-timeout').length === 1, 5000, 'the idle close');
      await eventually(() => closes.filter((c) => c.code === 'handshake-timeout').length === 3, 5000, 'the handshakes');
      await sleep(1000);
    } finally {
      clearInterval(mining);
    }
    assert.ok(m.client.open, 'the miner stays');
    const idleClose = closes.find((c) => c.code === 'idle-timeout')!;
    assert.ok(idleClose.atMs >= 1400 && idleClose.atMs <= 3500, `idle closed after ${idleClose.atMs} ms`);
    assert.equal(closes.length, 4, JSON.stringify(closes));
    ctx.diagnostic(`closes (code, ms after start): ${JSON.stringify(closes)}; the miner mined on`);
    m.client.close();
  } finally {
    flood.stop();
    idle.destroy();
    await pool.close();
  }
});

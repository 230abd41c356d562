/**
 * Bad input from a V1 pool, one case each, against a scripted pool over real TCP: a line of 1 MB, invalid JSON, an
 * extranonce2_size of 0 or 9, a NaN difficulty, a notify with a wrong-length prev hash, an unknown method, a result
 * for an id never sent. Each gets a clear warning or disconnect reason; a message that can be ignored is, and the
 * client keeps mining; a pool that is unusable is dropped (the daemon then fails over: miner-failover-v1.test.ts).
 * The test process itself is the proof that nothing throws out.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Sv1ClientError, Sv1MiningClient } from '../../../../src/sv1/client/mining-client.js';
import type { Sv1Job } from '../../../../src/sv1/client/subscription.js';
import { eventually } from '../../../support/miner.js';
import { lines, notifyParams, ScriptedV1Pool } from '../../../support/sv1-scripted-pool.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  pool: ScriptedV1Pool;
  client: Sv1MiningClient;
  warnings: string[];
  downs: Array<{ code: string; reason: string }>;
  tips: Sv1Job[];
}

async function rig(): Promise<Rig> {
  const pool = new ScriptedV1Pool();
  await pool.start();
  const warnings: string[] = [];
  // No liveness probes: the tests count the lines the client sends.
  const client = new Sv1MiningClient({
    url: pool.url,
    user: 'w.1',
    userAgent: 'hashaxe/test',
    liveness: { frozenWithinMs: 0 },
  });
  client.on('warning', (w) => warnings.push(w.message));
  const downs: Array<{ code: string; reason: string }> = [];
  client.on('disconnected', (d) => downs.push(d));
  const tips: Sv1Job[] = [];
  client.on('newTip', (j) => tips.push(j));
  cleanups.push(() => pool.close());
  cleanups.push(() => client.close());
  return { pool, client, warnings, downs, tips };
}

async function mining(): Promise<Rig> {
  const r = await rig();
  const connecting = r.client.connect();
  await r.pool.answerHandshake();
  await connecting;
  return r;
}

/** The client still works: a share goes out and its answer comes back. */
async function stillMining(r: Rig): Promise<void> {
  const answered = new Promise<string>((resolve) => r.client.once('shareResult', (s) => resolve(s.kind)));
  const job = r.tips[r.tips.length - 1];
  const id = r.client.submitShare({
    job,
    nonce: 7,
    ntime: job.minNtime,
    version: job.version,
    extranonce: new Uint8Array(4),
  });
  await r.pool.request('mining.submit');
  r.pool.send(lines.result(id, true));
  assert.equal(await answered, 'accepted');
}

test('a line of 1 MB: the connection is dropped, naming the limit; nothing past the limit is buffered', async () => {
  const r = await mining();
  r.pool.sendRaw(`{"id":null,"method":"mining.notify","params":["${'a'.repeat(1 << 20)}"]}\n`);
  await eventually(() => r.downs.length === 1, 5000, 'the disconnect');
  assert.equal(r.downs[0].code, 'line-too-long');
  assert.match(r.downs[0].reason, /line of more than \d+ bytes \(limit 262144\)/);
  assert.equal(r.client.connected, false);
});

test('invalid JSON: the line is skipped with a warning, the connection and mining go on', async () => {
  const r = await mining();
  r.pool.send('{"id":null,"method":"mining.notify","params":[');
  r.pool.send('this is not json');
  await eventually(() => r.warnings.length === 2, 2000, 'two warnings');
  assert.match(r.warnings[0], /not Stratum V1; skipped: not JSON/);
  assert.equal(r.downs.length, 0);
  await stillMining(r);
});

test('a pool sending nothing but garbage is cut off after 10 lines in a row', async () => {
  const r = await mining();
  for (let i = 0; i < 10; i++) r.pool.send(`garbage ${i}`);
  await eventually(() => r.downs.length === 1, 2000, 'the disconnect');
  assert.equal(r.downs[0].code, 'not-stratum');
});

for (const size of [0, 9]) {
  test(`extranonce2_size ${size}: the pool is unusable, connect fails with the reason and the connection closes`, async () => {
    const r = await rig();
    const connecting = r.client.connect();
    await r.pool.answerHandshake({ extranonce2Size: size });
    await assert.rejects(
      connecting,
      (e: unknown) =>
        e instanceof Sv1ClientError &&
        e.code === 'protocol' &&
        new RegExp(`extranonce2_size: ${size} bytes is not a size a device can roll`).test(e.message),
    );
    await eventually(() => r.downs.length === 1, 2000, 'the disconnect');
    assert.equal(r.client.connected, false);
  });
}

test('an extranonce2_size of 0 in mining.set_extranonce drops the connection too', async () => {
  const r = await mining();
  r.pool.send(lines.notification('mining.set_extranonce', ['01020304', 0]));
  await eventually(() => r.downs.length === 1, 2000, 'the disconnect');
  assert.equal(r.downs[0].code, 'protocol-error');
  assert.match(r.downs[0].reason, /unusable mining\.set_extranonce: .*extranonce2_size: 0 bytes/);
});

test('a NaN difficulty: refused (as a number and as a literal), the old difficulty stays, mining goes on', async () => {
  const r = await mining();
  const targets: number[] = [];
  r.client.on('target', (t) => targets.push(t.difficulty));
  r.pool.send(lines.notification('mining.set_difficulty', ['NaN']));
  r.pool.send('{"id":null,"method":"mining.set_difficulty","params":[NaN]}');
  r.pool.send(lines.notification('mining.set_difficulty', [-4]));
  await eventually(() => r.warnings.length === 3, 2000, 'three warnings');
  assert.match(r.warnings[0], /malformed mining\.set_difficulty; ignored: .*must be a number, got "NaN"/);
  assert.match(r.warnings[1], /not Stratum V1; skipped: not JSON/);
  assert.match(r.warnings[2], /must be above 0, got -4/);
  assert.deepEqual(targets, []);
  assert.equal(r.client.subscriptionInfo?.difficulty, 0.001);
  await stillMining(r);
});

test('a notify with a wrong-length prev hash: as the first job the pool is unusable; later it is ignored', async () => {
  const first = await rig();
  const connecting = first.client.connect();
  await first.pool.answerHandshake({ firstJob: notifyParams('1', true, 'ab'.repeat(31)) });
  await assert.rejects(connecting, /pool sent a malformed job: mining\.notify prevhash: expected 32 bytes/);

  const r = await mining();
  r.pool.send(lines.notification('mining.notify', notifyParams('2', true, 'ab'.repeat(33))));
  await eventually(() => r.warnings.length === 1, 2000, 'the warning');
  assert.match(r.warnings[0], /malformed mining\.notify; ignored: mining\.notify prevhash: expected 32 bytes/);
  assert.equal(r.tips.length, 1, 'still on the first job');
  await stillMining(r);
  // Three malformed jobs in a row: the pool's work is unusable, the connection goes.
  for (let i = 0; i < 3; i++) r.pool.send(lines.notification('mining.notify', notifyParams(`x${i}`, true, 'ab')));
  await eventually(() => r.downs.length === 1, 2000, 'the disconnect');
  assert.match(r.downs[0].reason, /3 malformed jobs in a row/);
});

test('an unknown method: one warning per method, ignored, no answer', async () => {
  const r = await mining();
  const before = r.pool.received.length;
  r.pool.send('{"id":5,"method":"mining.hashrate","params":[]}');
  r.pool.send('{"id":6,"method":"mining.hashrate","params":[]}');
  r.pool.send(lines.notification('mining.set_goal', ['x']));
  await eventually(() => r.warnings.length === 2, 2000, 'the warnings');
  assert.deepEqual(r.warnings, [
    'pool sent an unknown method "mining.hashrate"; ignored',
    'pool sent an unknown method "mining.set_goal"; ignored',
  ]);
  await stillMining(r);
  assert.equal(r.pool.received.length, before + 1, 'only the submit went out');
});

test('a result for an id never sent: a warning, no share counted, nothing else changes', async () => {
  const r = await mining();
  const results: string[] = [];
  r.client.on('shareResult', (s) => results.push(s.kind));
  r.pool.send(lines.result(4242, true));
  r.pool.send('{"id":"abc","result":null,"error":[21,"Job not found",""]}');
  await eventually(() => r.warnings.length === 2, 2000, 'the warnings');
  assert.match(r.warnings[0], /answered request id 4242, which was never sent; ignored/);
  assert.deepEqual(results, []);
  assert.equal(r.client.shareStats().accepted, 0);
  await stillMining(r);
});

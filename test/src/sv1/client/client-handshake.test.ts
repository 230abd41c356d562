/**
 * The V1 client's handshake and what a pool may send at any time, against a scripted pool over real TCP:
 * the order on the wire, answers out of order, Braiins' early set_version_mask, pools that never answer
 * suggest_difficulty or extranonce.subscribe, the replayed public-pool session, ping / get_version /
 * show_message, client.reconnect, set_extranonce, duplicate job ids.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { type Sv1ClientOptions, Sv1MiningClient } from '../../../../src/sv1/client/mining-client.js';
import { ReconnectPolicy } from '../../../../src/sv1/client/reconnect-policy.js';
import type { Sv1Job } from '../../../../src/sv1/client/subscription.js';
import { bytesToHex, hexToBytes } from '../../../../src/util/hex.js';
import { eventually } from '../../../support/miner.js';
import { lines, notifyParams, ScriptedV1Pool } from '../../../support/sv1-scripted-pool.js';
import { repoVectorJson } from '../../../support/sv1-vectors.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function scripted(): Promise<ScriptedV1Pool> {
  const pool = new ScriptedV1Pool();
  await pool.start();
  cleanups.push(() => pool.close());
  return pool;
}

interface Watched {
  client: Sv1MiningClient;
  warnings: string[];
  infos: string[];
  tips: Sv1Job[];
  jobs: Sv1Job[];
}

function client(pool: ScriptedV1Pool, options: Partial<Sv1ClientOptions> = {}): Watched {
  const warnings: string[] = [];
  const infos: string[] = [];
  const c = new Sv1MiningClient({
    url: pool.url,
    user: 'bc1qtest.rig1',
    password: 'x',
    userAgent: 'hashaxe/0.1.0',
    logger: { debug() {}, info: (m) => infos.push(m), warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    ...options,
  });
  const tips: Sv1Job[] = [];
  const jobs: Sv1Job[] = [];
  c.on('newTip', (j) => tips.push(j));
  c.on('job', (j) => jobs.push(j));
  cleanups.push(() => c.close());
  return { client: c, warnings, infos, tips, jobs };
}

test('handshake: configure, subscribe, authorize in one write (full mask asked, user agent sent); opened before the first job', async () => {
  const pool = await scripted();
  const w = client(pool);
  const events: string[] = [];
  w.client.on('opened', () => events.push('opened'));
  w.client.on('newTip', () => events.push('newTip'));
  const connecting = w.client.connect();
  const { configure, subscribe, authorize } = await pool.answerHandshake();
  const session = await connecting;
  assert.deepEqual([configure.id, subscribe.id, authorize.id], [1, 2, 3]);
  assert.equal(
    pool.chunks.length >= 1 && pool.chunks[0].split('\n').length - 1,
    3,
    'the three requests left in one write',
  );
  assert.deepEqual(configure.params, [['version-rolling'], { 'version-rolling.mask': 'ffffffff' }]);
  assert.deepEqual(subscribe.params, ['hashaxe/0.1.0']);
  assert.deepEqual(authorize.params, ['bc1qtest.rig1', 'x']);
  assert.deepEqual(events, ['opened', 'newTip']);
  assert.equal(session.extranonce2Size, 4);
  assert.equal(bytesToHex(session.extranonce1), 'ce99b76d');
  assert.deepEqual(session.versionRolling, { allowed: true, mask: 0x1fffe000 });
  assert.equal(session.difficulty, 0.001);
  // The first job said clean_jobs false; it is mined all the same, as a new tip.
  assert.equal(w.tips.length, 1);
  assert.equal(w.tips[0].cleanJobs, false);
  assert.equal(w.tips[0].header.kind, 'coinbase');
  assert.equal(w.tips[0].header.extranonceSize, 4);
  assert.equal(bytesToHex(w.tips[0].header.prefix).endsWith('ce99b76d'), true, 'prefix = coinb1 ‖ extranonce1');
});

test('suggest_difficulty and extranonce.subscribe go only after the authorize answer, and nothing waits for theirs', async () => {
  const pool = await scripted();
  const w = client(pool, { suggestDifficulty: 0.5, extranonceSubscribe: true });
  const connecting = w.client.connect();
  const authorize = await pool.request('mining.authorize');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(!pool.received.some((l) => l.method === 'mining.suggest_difficulty'), 'no suggestion before the answer');
  const configure = await pool.request('mining.configure');
  const subscribe = await pool.request('mining.subscribe');
  // Answers out of order: authorize first, then subscribe, then configure.
  pool.send(lines.result(authorize.id!, true));
  const suggest = await pool.request('mining.suggest_difficulty');
  const xnsub = await pool.request('mining.extranonce.subscribe');
  assert.deepEqual(suggest.params, [0.5]);
  assert.deepEqual(xnsub.params, []);
  assert.ok(suggest.id! > authorize.id! && xnsub.id! > suggest.id!);
  pool.send(lines.result(subscribe.id!, [[], '01020304', 8]));
  pool.send(lines.result(configure.id!, { 'version-rolling': true, 'version-rolling.mask': '1fffe000' }));
  pool.send(lines.notification('mining.set_difficulty', [0.5]));
  pool.send(lines.notification('mining.notify', notifyParams('a1', true)));
  const session = await connecting;
  assert.equal(session.extranonce2Size, 8);
  assert.equal(session.difficulty, 0.5);
  // The pool never answered suggest or extranonce.subscribe (public-pool and ckpool do not): still mining.
  assert.equal(w.client.open, true);
});

test('Braiins: set_version_mask with id null before the subscribe answer; a set_version_mask with an id is not a reply', async () => {
  const pool = await scripted();
  const w = client(pool);
  const connecting = w.client.connect();
  const configure = await pool.request('mining.configure');
  const subscribe = await pool.request('mining.subscribe');
  const authorize = await pool.request('mining.authorize');
  pool.send(lines.notification('mining.set_version_mask', ['1fffe000']));
  // ESP-Miner's test sends it with id 1 — the id of our configure; it must not be taken as configure's answer.
  pool.send(`{"id":${configure.id},"method":"mining.set_version_mask","params":["00ffe000"]}`);
  pool.send(lines.result(subscribe.id!, [[['mining.notify', 'x']], 'aabbccdd', 4]));
  pool.send(lines.result(authorize.id!, true));
  pool.send(lines.notification('mining.notify', notifyParams('1', true)));
  const session = await connecting;
  assert.deepEqual(session.versionRolling, { allowed: true, mask: 0x00ffe000 });
  // configure is still unanswered: its real answer arrives late and narrows nothing it should not.
  pool.send(lines.result(configure.id!, { 'version-rolling': true, 'version-rolling.mask': '1fffe000' }));
  await eventually(() => w.client.subscriptionInfo?.versionRolling.mask === 0x1fffe000, 2000, 'the late grant applied');
  assert.deepEqual(w.warnings, []);
});

test('a pool without version rolling: configure refused, shares go with 5 params', async () => {
  const pool = await scripted();
  const w = client(pool);
  const connecting = w.client.connect();
  await pool.answerHandshake({ mask: null });
  const session = await connecting;
  assert.deepEqual(session.versionRolling, { allowed: false, mask: 0 });
  const job = w.tips[0];
  w.client.submitShare({
    job,
    nonce: 0x003f7376,
    ntime: 0x6b16ceb8,
    version: job.version,
    extranonce: hexToBytes('00000001'),
  });
  const submit = await pool.request('mining.submit');
  assert.deepEqual(submit.params, ['bc1qtest.rig1', '1', '00000001', '6b16ceb8', '003f7376']);
  // Version bits the pool does not allow are never sent.
  assert.throws(
    () =>
      w.client.submitShare({
        job,
        nonce: 1,
        ntime: job.minNtime,
        version: job.version | 0x2000,
        extranonce: new Uint8Array(4),
      }),
    /outside the pool's mask/,
  );
});

test('replay of the public-pool capture: the pool’s lines as recorded; the client’s submit is the captured one', async () => {
  interface Vector {
    transcript: { lines: Array<{ dir: string; line: string }> };
    shares: Array<{
      request_id: number;
      submit_line: string;
      reply_line: string;
      nonce_hex: string;
      ntime_hex: string;
      extranonce2: string;
      header_version_hex: string;
      job_id: string;
    }>;
  }
  const v = repoVectorJson<Vector>('sv1/public-pool-regtest-session.json');
  const poolLines = v.transcript.lines
    .filter((l) => l.dir === 's2c')
    .map((l) => JSON.parse(l.line) as Record<string, unknown>);
  const pool = await scripted();
  const w = client(pool, {
    user: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080.hashaxe-vectors',
    suggestDifficulty: 0.001,
  });
  const results: string[] = [];
  w.client.on('shareResult', (r) => results.push(r.kind === 'rejected' ? `rejected: ${r.reason}` : r.kind));
  const connecting = w.client.connect();
  const configure = await pool.request('mining.configure');
  const subscribe = await pool.request('mining.subscribe');
  const authorize = await pool.request('mining.authorize');
  // The recorded answers, re-addressed to our ids; the notifications as they were.
  const byOldId = new Map<number, number>([
    [1, configure.id as number],
    [2, subscribe.id as number],
    [4, authorize.id as number],
  ]);
  for (const o of poolLines.slice(0, 5)) {
    if (typeof o.id === 'number' && byOldId.has(o.id)) o.id = byOldId.get(o.id);
    pool.send(JSON.stringify(o));
  }
  const session = await connecting;
  assert.equal(session.difficulty, 0.001);
  assert.equal(bytesToHex(session.extranonce1), 'ce99b76d');
  assert.equal(w.tips.length, 1);
  // Submit the version-rolled share (id 11 in the capture) the way the engine would hand it over.
  const notify2 = poolLines.find((o) => o.method === 'mining.notify' && (o.params as unknown[])[0] === '2')!;
  pool.send(JSON.stringify(notify2));
  await eventually(() => w.tips.length === 2, 2000, 'job 2');
  const s = v.shares.find((x) => x.request_id === 11)!;
  const id = w.client.submitShare({
    job: w.tips[1],
    nonce: Number.parseInt(s.nonce_hex, 16),
    ntime: Number.parseInt(s.ntime_hex, 16),
    version: Number.parseInt(s.header_version_hex, 16),
    extranonce: hexToBytes(s.extranonce2),
  });
  const submit = await pool.request('mining.submit');
  const captured = JSON.parse(s.submit_line) as { params: unknown[] };
  assert.equal(submit.raw, s.submit_line.replace('"id":11', `"id":${id}`));
  assert.deepEqual(submit.params, captured.params);
  // The pool's two answers to it, out of order as captured: a duplicate for another id first, then success.
  pool.send(JSON.stringify({ id, error: null, result: true }));
  await eventually(() => results.length === 1, 2000, 'the answer');
  assert.deepEqual(results, ['accepted']);
});

test('pool requests at any time: ping answered "pong", get_version with the user agent, show_message logged', async () => {
  const pool = await scripted();
  const w = client(pool);
  const connecting = w.client.connect();
  await pool.answerHandshake();
  await connecting;
  const messages: string[] = [];
  w.client.on('poolMessage', (m) => messages.push(m.text));
  const before = pool.received.length;
  pool.send('{"id":77,"method":"mining.ping","params":[]}');
  pool.send('{"id":"v","method":"client.get_version","params":[]}');
  pool.send(lines.notification('client.show_message', [`Welcome\nto the pool ${'!'.repeat(400)}`]));
  // Answers only (a liveness probe, a request, may go out meanwhile).
  const answersSince = () => pool.received.slice(before).filter((l) => l.method === null);
  await eventually(() => answersSince().length >= 2, 2000, 'two answers');
  const answers = answersSince().map((l) => l.raw);
  assert.deepEqual(answers, [
    '{"id":77,"result":"pong","error":null}',
    '{"id":"v","result":"hashaxe/0.1.0","error":null}',
  ]);
  await eventually(() => messages.length === 1, 2000, 'the message');
  const logged = w.infos.find((m) => m.startsWith('pool says: '))!;
  assert.ok(logged.length < 300 && !logged.includes('\n'), logged);
});

test('jobs: a repeated job id is ignored, clean_jobs and a new prev hash make new tips, others are plain jobs', async () => {
  const pool = await scripted();
  const w = client(pool);
  const connecting = w.client.connect();
  await pool.answerHandshake({ firstJob: notifyParams('1', true) });
  await connecting;
  pool.send(lines.notification('mining.notify', notifyParams('2', false)));
  pool.send(lines.notification('mining.notify', notifyParams('2', false)));
  pool.send(lines.notification('mining.notify', notifyParams('3', false, 'cd'.repeat(32))));
  pool.send(lines.notification('mining.notify', notifyParams('4', true, 'cd'.repeat(32))));
  await eventually(() => w.tips.length === 3, 2000, 'three tips');
  assert.deepEqual(
    w.tips.map((j) => j.jobId),
    ['1', '3', '4'],
  );
  assert.deepEqual(
    w.jobs.map((j) => j.jobId),
    ['2'],
  );
  // A set_difficulty applies to the jobs after it; each job keeps its own.
  pool.send(lines.notification('mining.set_difficulty', [2]));
  pool.send(lines.notification('mining.notify', notifyParams('5', false, 'cd'.repeat(32))));
  await eventually(() => w.jobs.length === 2, 2000, 'job 5');
  assert.equal(w.jobs[1].difficulty, 2);
  assert.equal(w.tips[2].difficulty, 0.001);
});

test('NiceHash: set_extranonce restarts the current job on the new extranonce1; shares of the old one are refused', async () => {
  const pool = await scripted();
  const w = client(pool, { url: `${pool.url}#xnsub` });
  const connecting = w.client.connect();
  await pool.answerHandshake({ extranonce1: '0102030405', extranonce2Size: 3 });
  await connecting;
  const xnsub = await pool.request('mining.extranonce.subscribe');
  pool.send(lines.result(xnsub.id!, true));
  const old = w.tips[0];
  pool.send(lines.notification('mining.set_extranonce', ['a1a2a3a4a5', 4]));
  await eventually(() => w.tips.length === 2, 2000, 'the restarted job');
  const fresh = w.tips[1];
  assert.equal(fresh.jobId, old.jobId);
  assert.ok(bytesToHex(fresh.header.prefix).endsWith('a1a2a3a4a5'));
  assert.equal(fresh.header.extranonceSize, 4);
  assert.throws(
    () =>
      w.client.submitShare({
        job: old,
        nonce: 1,
        ntime: old.minNtime,
        version: old.version,
        extranonce: new Uint8Array(3),
      }),
    /earlier extranonce1/,
  );
  w.client.submitShare({
    job: fresh,
    nonce: 1,
    ntime: fresh.minNtime,
    version: fresh.version,
    extranonce: new Uint8Array(4),
  });
  const submit = await pool.request('mining.submit');
  assert.equal(submit.params[2], '00000000');
});

test('client.reconnect: the same host (a new port allowed), after the wait; another host only when allowed', async () => {
  const pool = await scripted();
  const w = client(pool);
  const downs: Array<{ code: string; reason: string; willReconnect: boolean }> = [];
  w.client.on('disconnected', (d) => downs.push(d));
  const connecting = w.client.connect();
  await pool.answerHandshake();
  await connecting;
  // Another host is not followed (reconnectToOtherHosts is off): the client comes back to this pool.
  pool.send(lines.notification('client.reconnect', ['elsewhere.example', 1, 0]));
  await pool.connected(2);
  assert.ok(
    w.warnings.some((m) => /move to elsewhere\.example:1.*reconnectToOtherHosts/.test(m)),
    w.warnings.join('\n'),
  );
  assert.equal(downs[0].code, 'reconnect');
  assert.equal(downs[0].willReconnect, true);
  // Ids start at 1 again on the new connection.
  const from = pool.received.length;
  const again = await pool.answerHandshake({ from });
  assert.equal(again.configure.id, 1);
  await eventually(() => w.client.open, 3000, 'open again');
  // A new port on the same host, after the pool's wait.
  const second = await scripted();
  const t0 = Date.now();
  pool.send(lines.notification('client.reconnect', [null, second.port, 0.3]));
  await second.connected(1);
  assert.ok(Date.now() - t0 >= 280, `waited ${Date.now() - t0} ms`);
  await second.answerHandshake();
  await eventually(() => w.client.open, 3000, 'open on the new port');
  assert.equal(w.client.endpointNow.port, second.port);
  // A wait longer than the client honours is taken as "gone": no reconnect, the daemon fails over.
  second.send(lines.notification('client.reconnect', [null, null, 3600]));
  await eventually(() => downs.length === 3, 3000, 'the third disconnect');
  assert.equal(downs[2].code, 'reconnect-later');
  assert.equal(downs[2].willReconnect, false);
});

test('reconnect policy alone: same host and port for nulls, other hosts only when allowed, long waits leave, storms ignored', () => {
  const here = { host: 'pool.example', port: 3333 };
  const strict = new ReconnectPolicy(false, 60);
  assert.deepEqual(strict.decide({}, here, 0), {
    kind: 'follow',
    host: 'pool.example',
    port: 3333,
    waitMs: 0,
    warning: null,
  });
  assert.deepEqual(strict.decide({ port: 3334, wait: 2 }, here, 1), {
    kind: 'follow',
    host: 'pool.example',
    port: 3334,
    waitMs: 2000,
    warning: null,
  });
  const moved = strict.decide({ host: 'evil.example', port: 1 }, here, 2);
  assert.equal(moved.kind === 'follow' && `${moved.host}:${moved.port}`, 'pool.example:3333');
  assert.match(moved.kind === 'follow' ? (moved.warning ?? '') : '', /evil\.example:1.*reconnectToOtherHosts/);
  assert.equal(strict.decide({}, here, 3).kind, 'ignore', 'a fourth request within a minute');
  assert.equal(strict.decide({}, here, 70_000).kind, 'follow', 'a minute later');
  const open = new ReconnectPolicy(true, 60);
  const followed = open.decide({ host: 'other.example', port: 4444 }, here, 0);
  assert.equal(followed.kind === 'follow' && `${followed.host}:${followed.port}`, 'other.example:4444');
  const later = open.decide({ wait: 600 }, here, 1);
  assert.equal(later.kind, 'leave');
  assert.match(later.kind === 'leave' ? later.reason : '', /come back in 600 s \(more than 60 s\)/);
});

/**
 * The local pool's V1 port: hashaxe's client against each quirk profile with real shares (found on the CPU with the
 * engine's own roller and header template), and hand-made submits for every refusal, each in the profile's
 * words and shape. The pool rebuilds every share from coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { Sv1MiningClient, type Sv1ShareResult } from '../../../../src/sv1/client/mining-client.js';
import type { Sv1Job } from '../../../../src/sv1/client/subscription.js';
import { QUIRK_PROFILE_NAMES, type QuirkProfileName } from '../../../../src/sv1/pool/quirk-profiles.js';
import { Sv1Pool, type Sv1PoolOptions } from '../../../../src/sv1/pool/v1-pool.js';
import { DEFAULT_VARDIFF, Vardiff } from '../../../../src/sv1/pool/vardiff.js';
import { u32ToHex } from '../../../../src/sv1/wire-format.js';
import { LocalPool } from '../../../../src/sv2/pool/local-pool.js';
import { bytesToHex } from '../../../../src/util/hex.js';
import { eventually } from '../../../support/miner.js';
import { findShares } from '../../../support/sv1-cpu-miner.js';
import { RawV1Client } from '../../../support/sv1-raw-client.js';

let chain: LocalPool;
before(async () => {
  chain = await LocalPool.start({ port: 0, prevHashIntervalMs: 0, jobIntervalMs: 0 });
});
after(async () => {
  await chain.close();
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Difficulty 2^-20: a share every ~4000 hashes, so the CPU finds them in milliseconds. */
const EASY = 2 ** -20;

async function v1Pool(options: Partial<Sv1PoolOptions> = {}): Promise<Sv1Pool> {
  const pool = await Sv1Pool.start({ feed: chain, port: 0, startDifficulty: EASY, ...options });
  cleanups.push(() => pool.close());
  return pool;
}

async function hashaxeClient(pool: Sv1Pool, extranonceSubscribe = false) {
  const client = new Sv1MiningClient({
    url: pool.url,
    user: 'bc1qexample.rig1',
    userAgent: 'hashaxe/test',
    extranonceSubscribe,
  });
  cleanups.push(() => client.close());
  const tips: Sv1Job[] = [];
  const warnings: string[] = [];
  const messages: string[] = [];
  const results: Sv1ShareResult[] = [];
  client.on('newTip', (j) => tips.push(j));
  client.on('job', (j) => tips.push(j));
  client.on('warning', (w) => warnings.push(w.message));
  client.on('poolMessage', (m) => messages.push(m.text));
  client.on('shareResult', (r) => results.push(r));
  const session = await client.connect();
  return { client, session, tips, warnings, messages, results };
}

for (const profile of QUIRK_PROFILE_NAMES) {
  test(`${profile}: hashaxe's client handshakes, mines and every share (version-rolled too) is accepted`, async () => {
    const pool = await v1Pool({ profile });
    const c = await hashaxeClient(pool, profile === 'nicehash');
    const job = c.tips[c.tips.length - 1];
    for (const share of findShares(job, 3, { rollVersion: true })) c.client.submitShare(share);
    await eventually(() => c.results.length === 3, 5000, 'three answers');
    assert.deepEqual(
      c.results.map((r) => (r.kind === 'rejected' ? r.reason : r.kind)),
      ['accepted', 'accepted', 'accepted'],
    );
    const s = pool.stats();
    assert.equal(s.shares.accepted, 3);
    assert.equal(s.shares.rejected, 0);
    assert.deepEqual(c.warnings, []);
    // Each profile's own habits, as the client met them.
    switch (profile as QuirkProfileName) {
      case 'ckpool':
        assert.equal(c.session.extranonce2Size, 8);
        assert.equal(c.messages.length, 1, 'ckpool greets after authorize');
        break;
      case 'nicehash': {
        assert.equal(c.session.extranonce1.length, 5);
        assert.equal(c.session.extranonce2Size, 3);
        // NiceHash moves a subscribed miner to a new extranonce1: the job restarts on it and shares still count.
        await eventually(() => pool.moveExtranonce() === 1, 2000, 'an extranonce-subscribed session');
        await eventually(
          () => bytesToHex(c.tips[c.tips.length - 1].header.prefix) !== bytesToHex(job.header.prefix),
          2000,
          'the restarted job',
        );
        const moved = c.tips[c.tips.length - 1];
        for (const share of findShares(moved, 2)) c.client.submitShare(share);
        await eventually(() => c.results.length === 5, 5000, 'two more answers');
        assert.equal(pool.stats().shares.rejected, 0);
        break;
      }
      case 'braiins':
        // The mask came as an early set_version_mask (id null) before the subscribe answer.
        assert.deepEqual(c.session.versionRolling, { allowed: true, mask: 0x1fffe000 });
        break;
      default:
        assert.equal(c.session.extranonce2Size, 4);
    }
  });
}

/** A raw session (subscribed, authorized, configured) and the first job it was sent. */
async function rawSession(pool: Sv1Pool, configure = true) {
  const raw = await RawV1Client.connect(pool.port);
  cleanups.push(() => raw.close());
  if (configure)
    raw.send({
      id: 1,
      method: 'mining.configure',
      params: [['version-rolling'], { 'version-rolling.mask': 'ffffffff' }],
    });
  raw.send({ id: 2, method: 'mining.subscribe', params: ['raw/1'] });
  raw.send({ id: 3, method: 'mining.authorize', params: ['w.1', 'x'] });
  const sub = (await raw.answer(2)).result as [unknown, string, number];
  const notify = await raw.next((l) => l.method === 'mining.notify');
  return { raw, extranonce1: sub[1], extranonce2Size: sub[2], notify: notify.params as unknown[] };
}

test('every refusal, in ckpool’s words and shapes: reject-reason for judged shares, a bare string for malformed ones', async () => {
  const pool = await v1Pool({ profile: 'ckpool' });
  const { raw, notify } = await rawSession(pool);
  const jobId = notify[0] as string;
  const ntime = notify[7] as string;
  let id = 10;
  const submit = async (params: unknown[]): Promise<Record<string, unknown>> => {
    const n = id++;
    raw.send({ id: n, method: 'mining.submit', params });
    return raw.answer(n);
  };
  const reason = (a: Record<string, unknown>): unknown => a['reject-reason'] ?? a.error;
  assert.equal(reason(await submit(['w.1', jobId, '00'.repeat(4), ntime, '00000000'])), 'Invalid nonce2 length');
  const a = await submit(['w.1', jobId, '00'.repeat(4), ntime, '00000000']);
  assert.equal(a.result, false);
  assert.equal(typeof a.error, 'string', 'malformed: a bare string error');
  assert.equal(reason(await submit(['w.1', 'ffff', '00'.repeat(8), ntime, '00000000'])), 'Invalid JobID');
  assert.equal(reason(await submit(['other.worker', jobId, '00'.repeat(8), ntime, '00000000'])), 'Worker mismatch');
  const late = u32ToHex(Number.parseInt(ntime, 16) + 7001);
  assert.equal(reason(await submit(['w.1', jobId, '00'.repeat(8), late, '00000000'])), 'Ntime out of range');
  assert.equal(
    reason(await submit(['w.1', jobId, '00'.repeat(8), ntime, '00000000', '00000001'])),
    'Invalid version mask',
  );
  assert.equal(reason(await submit(['w.1', jobId, '00'.repeat(8), ntime, '00000000', 'zz'])), 'Invalid array size');
  const low = await submit(['w.1', jobId, '00'.repeat(8), ntime, '00000000']);
  // One in a million chance that nonce 0 meets 2^-20: then it is accepted instead.
  if (low.result !== true) {
    assert.equal(low['reject-reason'], 'Above target');
    assert.equal(low.error, null);
  }
  assert.ok(pool.stats().shares.rejected >= 7);
});

test('public-pool’s shapes: [code, message, ""]; a real share twice is a duplicate; after a new block it is a stale job', async () => {
  const pool = await v1Pool({ profile: 'public-pool', inFlightGraceMs: 0 });
  const c = await hashaxeClient(pool);
  const [share] = findShares(c.tips[0], 1);
  c.client.submitShare(share);
  c.client.submitShare(share);
  await eventually(() => c.results.length === 2, 3000, 'two answers');
  assert.equal(c.results[0].kind, 'accepted');
  assert.deepEqual(c.results[1].kind === 'rejected' && [c.results[1].reason, c.results[1].code], [
    'Duplicate share',
    22,
  ]);
  const [next] = findShares(c.tips[0], 1, { extranonceStart: 1000 });
  chain.newBlock();
  await eventually(() => c.tips.length === 2, 3000, 'the new block');
  // The engine would drop it (its job is stale); sent anyway, the pool says so.
  c.client.submitShare(next);
  await eventually(() => c.results.length === 3, 3000, 'the stale answer');
  assert.deepEqual(c.results[2].kind === 'rejected' && [c.results[2].reason, c.results[2].code], ['Job not found', 21]);
});

test('a share that crossed a block change on the wire is judged, not refused (in-flight grace), until a share on the new block', async () => {
  const pool = await v1Pool({ profile: 'public-pool', inFlightGraceMs: 5000 });
  const c = await hashaxeClient(pool);
  const old = findShares(c.tips[0], 2);
  chain.newBlock();
  await eventually(() => c.tips.length === 2, 3000, 'the new block');
  c.client.submitShare(old[0]);
  await eventually(() => c.results.length === 1, 3000, 'the answer');
  assert.equal(c.results[0].kind, 'accepted');
  assert.equal(pool.stats().shares.acceptedInFlight, 1);
  c.client.submitShare(findShares(c.tips[1], 1)[0]);
  c.client.submitShare(old[1]);
  await eventually(() => c.results.length === 3, 3000, 'two answers');
  assert.deepEqual(
    c.results.map((r) => (r.kind === 'rejected' ? r.reason : r.kind)),
    ['accepted', 'accepted', 'Job not found'],
  );
});

test('miningcore: JSON-RPC 2.0 lines and object-shaped errors; Stratum-sheet codes for braiins', async () => {
  const pool = await v1Pool({ profile: 'miningcore' });
  const { raw, notify } = await rawSession(pool);
  assert.equal(raw.lines[0].jsonrpc, '2.0');
  raw.send({ id: 9, method: 'mining.submit', params: ['w.1', 'ffff', '00000000', notify[7], '00000000'] });
  assert.deepEqual((await raw.answer(9)).error, { code: 21, message: 'Job not found', data: null });
  const braiins = await v1Pool({ profile: 'braiins' });
  const b = await rawSession(braiins);
  // The version mask came before the subscribe answer, with id null.
  const maskAt = b.raw.lines.findIndex((l) => l.method === 'mining.set_version_mask');
  const subAt = b.raw.lines.findIndex((l) => l.id === 2);
  assert.ok(maskAt >= 0 && maskAt < subAt && b.raw.lines[maskAt].id === null);
  b.raw.send({ id: 9, method: 'mining.submit', params: ['w.1', 'ffff', '00000000', b.notify[7], '00000000'] });
  assert.deepEqual((await b.raw.answer(9)).error, [21, 'Job not found', null]);
});

test('public-pool: notify hex unpadded, the first job not clean, only the first suggestion honoured (a set_difficulty, no result)', async () => {
  const pool = await v1Pool({ profile: 'public-pool' });
  const raw = await RawV1Client.connect(pool.port);
  cleanups.push(() => raw.close());
  raw.send({ id: 1, method: 'mining.subscribe', params: ['raw/1'] });
  raw.send({ id: 2, method: 'mining.suggest_difficulty', params: [0.001] });
  raw.send({ id: 3, method: 'mining.authorize', params: ['w.1', 'x'] });
  const notify = await raw.next((l) => l.method === 'mining.notify');
  const params = notify.params as unknown[];
  assert.equal(params[5], '20000000');
  assert.equal(params[8], false);
  const difficulties = raw.lines
    .filter((l) => l.method === 'mining.set_difficulty')
    .map((l) => (l.params as number[])[0]);
  assert.deepEqual(difficulties, [0.001], 'the suggestion replaced the start difficulty');
  assert.ok(!raw.lines.some((l) => l.id === 2), 'no result line for the suggestion');
  raw.send({ id: 4, method: 'mining.suggest_difficulty', params: [0.5] });
  raw.send({ id: 5, method: 'mining.unknown_thing', params: [] });
  raw.send({ id: 6, method: 'mining.submit', params: ['w.1', 'ffff', '00000000', params[7], '00000000'] });
  await raw.answer(6);
  assert.equal(
    raw.lines.filter((l) => l.method === 'mining.set_difficulty').length,
    1,
    'the second suggestion ignored',
  );
  assert.ok(!raw.lines.some((l) => l.id === 4 || l.id === 5), 'no answers to a repeat suggestion or an unknown method');
});

test('ckpool: a client that authorizes before it subscribes is dropped; only integer suggestions count', async () => {
  const pool = await v1Pool({ profile: 'ckpool' });
  const raw = await RawV1Client.connect(pool.port);
  cleanups.push(() => raw.close());
  raw.send({ id: 1, method: 'mining.authorize', params: ['w.1', 'x'] });
  await eventually(() => raw.closed, 3000, 'the drop');
  const s = await rawSession(pool);
  s.raw.send({ id: 20, method: 'mining.suggest_difficulty', params: [0.5] });
  s.raw.send({ id: 21, method: 'mining.suggest_difficulty', params: [2] });
  await s.raw.next((l) => l.method === 'mining.set_difficulty' && (l.params as number[])[0] === 2);
  assert.ok(!s.raw.lines.some((l) => l.method === 'mining.set_difficulty' && (l.params as number[])[0] === 0.5));
});

test('vardiff: a connection that finds nothing has its difficulty quartered; one that floods has it raised', async () => {
  const pool = await v1Pool({
    profile: 'miningcore',
    startDifficulty: 1,
    sharesPerMinute: 60,
    vardiff: { firstRetargetMs: 300, retargetMs: 300 },
  });
  const c = await hashaxeClient(pool);
  const targets: number[] = [];
  c.client.on('target', (t) => targets.push(t.difficulty));
  await eventually(() => targets.length >= 1, 5000, 'a retarget');
  assert.ok(Math.abs(targets[0] - 0.25) < 1e-9, `quartered: ${targets}`);
  // Every set_difficulty is followed by fresh work carrying it.
  await eventually(() => c.tips.some((j) => Math.abs(j.difficulty - 0.25) < 1e-9), 3000, 'a job at the new difficulty');
  // The rule alone: ×4 at most per interval, nothing within half to twice the wanted rate, none: quartered.
  const v = new Vardiff({ ...DEFAULT_VARDIFF, sharesPerMinute: 60, firstRetargetMs: 10_000, retargetMs: 10_000 }, 1, 0);
  for (let i = 0; i < 40; i++) v.accepted();
  assert.equal(v.check(9999), null);
  assert.equal(v.check(10_000), 4, '4 a second against 1: ×4');
  for (let i = 0; i < 10; i++) v.accepted();
  assert.equal(v.check(20_000), null, '1 share a second is the wanted rate');
  assert.equal(v.check(30_000), 1, 'none at all: quartered');
  // A flood (a real board on an emulator's difficulty) retargets after a second, up to ×16 at a time.
  for (let i = 0; i < 500; i++) v.accepted();
  assert.equal(v.check(30_999), null);
  assert.equal(v.check(31_000), 16);
});

test('TLS: a self-signed pool is refused without its certificate (and says how to opt in), trusted with it; a name mismatch is refused', async () => {
  const { repoVectorText } = await import('../../../support/sv1-vectors.js');
  const cert = repoVectorText('tls/pool-127.0.0.1.pem');
  const pool = await v1Pool({ tls: { cert, key: repoVectorText('tls/pool-127.0.0.1.key') } });
  assert.match(pool.url, /^stratum\+ssl:\/\/127\.0\.0\.1:\d+$/);
  const options = { url: pool.url, user: 'w.1', userAgent: 'hashaxe/test' };
  const untrusting = new Sv1MiningClient(options);
  cleanups.push(() => untrusting.close());
  await assert.rejects(untrusting.connect(), (e: unknown) => {
    const err = e as { code?: string; message: string };
    return err.code === 'tls' && /self-signed|not trusted/.test(err.message) && /tlsCa/.test(err.message);
  });
  const trusting = new Sv1MiningClient({ ...options, tlsCa: cert });
  cleanups.push(() => trusting.close());
  const session = await trusting.connect();
  assert.equal(session.tls, true);
  assert.equal(trusting.authenticated, true);

  const otherCert = repoVectorText('tls/pool-other-name.pem');
  const other = await v1Pool({ tls: { cert: otherCert, key: repoVectorText('tls/pool-other-name.key') } });
  const mismatch = new Sv1MiningClient({ ...options, url: other.url, tlsCa: otherCert });
  cleanups.push(() => mismatch.close());
  await assert.rejects(mismatch.connect(), (e: unknown) => {
    const err = e as { code?: string; message: string };
    return err.code === 'tls' && /ERR_TLS_CERT_ALTNAME_INVALID|altnames|does not match/i.test(err.message);
  });
});

/**
 * Share answers and liveness of the V1 client against a scripted pool: accepted and rejected in every shape real
 * pools use (counted by reason), answers out of order, timeouts and late answers, shares lost with the connection,
 * and the two stall rules the SV2 client has (a silent pool; a pool that sends work but answers no shares).
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  type Sv1ClientOptions,
  Sv1MiningClient,
  type Sv1ShareResult,
} from '../../../../src/sv1/client/mining-client.js';
import type { Sv1Job } from '../../../../src/sv1/client/subscription.js';
import { eventually } from '../../../support/miner.js';
import { lines, notifyParams, ScriptedV1Pool } from '../../../support/sv1-scripted-pool.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function mining(options: Partial<Sv1ClientOptions> = {}): Promise<{
  pool: ScriptedV1Pool;
  client: Sv1MiningClient;
  results: Sv1ShareResult[];
  job: () => Sv1Job;
  submit: () => number;
}> {
  const pool = new ScriptedV1Pool();
  await pool.start();
  const client = new Sv1MiningClient({ url: pool.url, user: 'w.1', userAgent: 'hashaxe/test', ...options });
  cleanups.push(() => pool.close());
  cleanups.push(() => client.close());
  const tips: Sv1Job[] = [];
  client.on('newTip', (j) => tips.push(j));
  const results: Sv1ShareResult[] = [];
  client.on('shareResult', (r) => results.push(r));
  const connecting = client.connect();
  await pool.answerHandshake();
  await connecting;
  let nonce = 0;
  const job = (): Sv1Job => tips[tips.length - 1];
  const submit = (): number => {
    const j = job();
    return client.submitShare({
      job: j,
      nonce: nonce++,
      ntime: j.minNtime,
      version: j.version,
      extranonce: new Uint8Array(4),
    });
  };
  return { pool, client, results, job, submit };
}

test('answers in every shape, out of order, each counted once with the pool’s reason', async () => {
  const r = await mining();
  const ids = Array.from({ length: 6 }, () => r.submit());
  await eventually(() => r.pool.received.filter((l) => l.method === 'mining.submit').length === 6, 2000, 'six submits');
  const [a, b, c, d, e, f] = ids;
  r.pool.send(`{"id":${f},"error":null,"result":true}`);
  r.pool.send(`{"id":${a},"result":null,"error":[21,"Job not found",""]}`);
  r.pool.send(`{"reject-reason":"Above target","result":false,"error":null,"id":${b}}`);
  r.pool.send(`{"result":false,"error":"Invalid nonce2 length","id":${c}}`);
  r.pool.send(`{"jsonrpc":"2.0","error":{"code":22,"message":"duplicate share","data":null},"id":${d}}`);
  r.pool.send(`{"id":${e},"result":true}`);
  // A second answer to an id already answered is not a second share.
  r.pool.send(`{"id":${f},"error":null,"result":true}`);
  await eventually(() => r.results.length === 6, 2000, 'six answers');
  const kinds = r.results.map((x) => (x.kind === 'rejected' ? x.reason : x.kind));
  assert.deepEqual(kinds, [
    'accepted',
    'Job not found',
    'Above target',
    'Invalid nonce2 length',
    'duplicate share',
    'accepted',
  ]);
  const stats = r.client.shareStats();
  assert.equal(stats.submitted, 6);
  assert.equal(stats.accepted, 2);
  assert.equal(stats.rejected, 4);
  assert.deepEqual(stats.rejectedByReason, {
    'Job not found': 1,
    'Above target': 1,
    'Invalid nonce2 length': 1,
    'duplicate share': 1,
  });
  assert.equal(stats.pending, 0);
});

test('no answer in time: a timeout; a late answer still counts, marked late; a drop loses what is in flight, with the reason', async () => {
  const r = await mining({ shareTimeoutMs: 150, checkIntervalMs: 25 });
  const late = r.submit();
  await eventually(() => r.results.some((x) => x.kind === 'timeout'), 2000, 'the timeout');
  assert.deepEqual(r.results[0], { kind: 'timeout', count: 1 });
  r.pool.send(lines.result(late, true));
  await eventually(() => r.results.length === 2, 2000, 'the late answer');
  assert.equal(r.results[1].kind, 'accepted');
  assert.equal(r.results[1].kind === 'accepted' && r.results[1].late, true);
  assert.equal(r.client.shareStats().timedOut, 0, 'the late answer left the timed-out count');
  r.submit();
  r.submit();
  r.pool.drop();
  await eventually(() => r.results.length === 3, 2000, 'the loss');
  const lost = r.results[2];
  assert.equal(lost.kind, 'lost');
  assert.equal(lost.kind === 'lost' && lost.count, 2);
  assert.match(lost.kind === 'lost' ? lost.why : '', /connection closed/);
  assert.throws(() => r.submit(), /not connected/);
});

test('a pool that only pings is stalled (no work) after the work timeout and dropped (code stalled)', async () => {
  const r = await mining({ workTimeoutMs: 300, checkIntervalMs: 25 });
  const stalls: string[] = [];
  r.client.on('stalled', (s) => stalls.push(s.reason));
  const downs: string[] = [];
  r.client.on('disconnected', (d) => downs.push(d.code));
  // Pings keep coming (a pool whose job feed froze can still answer them): they do not count as work.
  const ping = setInterval(() => r.pool.send('{"id":1,"method":"mining.ping","params":[]}'), 50);
  cleanups.push(() => clearInterval(ping));
  await eventually(() => downs.length === 1, 3000, 'the stall');
  assert.deepEqual(stalls, ['no-work']);
  assert.deepEqual(downs, ['stalled']);
});

test('work without share answers: stalled once 20 shares stay unanswered past the timeout', async () => {
  const r = await mining({ unansweredSharesTimeoutMs: 200, stallTimeoutMs: 0, checkIntervalMs: 25 });
  const stalls: Array<{ reason: string; unansweredShares: number }> = [];
  r.client.on('stalled', (s) => stalls.push(s));
  // The pool answers one (so its "batch" is 1), then keeps sending jobs but answers nothing.
  r.pool.send(lines.result(r.submit(), true));
  await eventually(() => r.results.length === 1, 2000, 'the first answer');
  for (let i = 0; i < 19; i++) r.submit();
  const jobs = setInterval(
    () => r.pool.send(lines.notification('mining.notify', notifyParams(`j${Date.now()}`, false))),
    50,
  );
  cleanups.push(() => clearInterval(jobs));
  await new Promise((res) => setTimeout(res, 400));
  assert.equal(stalls.length, 0, '19 unanswered shares are within a pool’s rights');
  r.submit();
  await eventually(() => stalls.length === 1, 3000, 'the stall');
  assert.equal(stalls[0].reason, 'unanswered-shares');
  assert.equal(stalls[0].unansweredShares, 20);
  await eventually(() => !r.client.connected, 2000, 'the drop');
});

/**
 * The mining client against the local pool over real TCP on 127.0.0.1 with real Noise: handshake, channel,
 * jobs, and every share outcome the pool can give.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DIFF1_TARGET } from '../../../../src/bitcoin/index.js';
import { activeJobToWork } from '../../../../src/sv2/client/channel.js';
import type { Sv2MiningClient } from '../../../../src/sv2/client/mining-client.js';
import { ManualClock } from '../../../../src/sv2/clock.js';
import type { LocalPool } from '../../../../src/sv2/pool/local-pool.js';
import { eventually } from '../../../support/miner.js';
import { findNonce, nextEvent, startTestPool, testClient } from '../../../support/sv2-net.js';

let pool: LocalPool;

before(async () => {
  pool = await startTestPool({ sharesPerMinute: 60 }, 42);
});

after(async () => {
  await pool.close();
});

async function connected(
  options: Parameters<typeof testClient>[1] = {},
): Promise<{ client: Sv2MiningClient; channelId: number }> {
  const client = testClient(pool, options);
  const prevHash = nextEvent(client, 'prevHash');
  const channel = await client.connect();
  await prevHash;
  return { client, channelId: channel.channelId };
}

test('handshake, SetupConnection, channel opened, then a future job and the prev hash that activates it', async () => {
  const client = testClient(pool);
  const events: string[] = [];
  for (const e of ['connected', 'channelOpened', 'job', 'prevHash'] as const) client.on(e, () => events.push(e));
  const job = nextEvent(client, 'job');
  const prev = nextEvent(client, 'prevHash');
  const channel = await client.connect();
  assert.equal(channel.kind, 'standard');
  assert.equal(channel.extranoncePrefix.length, 8);
  // BIP323's 24 general-purpose bits by default (sv2-spec #200), not BIP320's 16.
  assert.deepEqual(channel.versionRolling, { allowed: true, mask: 0x1fffffe0 });
  // 1000 H/s at 60 shares/min: one share per ~1000 hashes, difficulty far below 1 (never clamped to 1).
  assert.ok(channel.target > DIFF1_TARGET * 1_000_000n);
  const j = await job;
  assert.equal(j.future, true);
  assert.equal(j.active, null);
  const p = await prev;
  assert.equal(p.tip.jobId, j.jobId);
  assert.ok(p.job);
  assert.equal(p.job.jobId, j.jobId);
  assert.equal(p.job.target, channel.target);
  assert.equal(p.job.minNtime, p.tip.minNtime);
  assert.deepEqual(events, ['connected', 'channelOpened', 'job', 'prevHash']);
  const work = activeJobToWork(p.job, p.job.minNtime + 5);
  assert.equal(work.versionMask, 0x1fffffe0);
  assert.equal(work.ntime, p.job.minNtime + 5);
  assert.equal(work.nbits, pool.stats().chain.nbits);
  client.close();
});

test('a share meeting the target is accepted; one that does not is rejected with difficulty-too-low', async () => {
  const { client, channelId } = await connected();
  const job = client.activeJob(channelId)!;
  const good = findNonce(job, true);
  const bad = findNonce(job, false);
  const accepted = nextEvent(client, 'shareResult');
  const seq0 = client.submitShare({
    channelId,
    jobId: job.jobId,
    nonce: good,
    ntime: job.minNtime,
    version: job.version,
  });
  const a = await accepted;
  assert.equal(a.kind, 'accepted');
  assert.ok(a.kind === 'accepted' && a.lastSequenceNumber === seq0 && a.shares.length === 1);
  assert.ok(a.kind === 'accepted' && a.shares[0].outcome === 'accepted' && a.shares[0].nonce === good);
  const rejected = nextEvent(client, 'shareResult');
  const seq1 = client.submitShare({
    channelId,
    jobId: job.jobId,
    nonce: bad,
    ntime: job.minNtime,
    version: job.version,
  });
  const r = await rejected;
  assert.ok(r.kind === 'rejected' && r.sequenceNumber === seq1 && r.errorCode === 'difficulty-too-low');
  assert.equal(seq1, seq0 + 1);
  const stats = client.shareStats();
  assert.equal(stats.accepted, 1);
  assert.deepEqual(stats.rejectedByCode, { 'difficulty-too-low': 1 });
  assert.equal(stats.latencyMs.samples, 2);
  client.close();
});

test('the same share twice is a duplicate-share; a share of the previous block in flight across the change is judged, after the first new-block share it is stale-share', async () => {
  const { client, channelId } = await connected();
  const job = client.activeJob(channelId)!;
  const nonce = findNonce(job, true);
  const share = { channelId, jobId: job.jobId, nonce, ntime: job.minNtime, version: job.version };
  const first = nextEvent(client, 'shareResult');
  client.submitShare(share);
  assert.equal((await first).kind, 'accepted');
  const dup = nextEvent(client, 'shareResult');
  client.submitShare(share);
  const d = await dup;
  assert.ok(d.kind === 'rejected' && d.errorCode === 'duplicate-share', JSON.stringify(d.kind));
  // Valid shares of the same job, sent as if they had crossed the next block change on the wire.
  const late = findNonce(job, true, nonce + 1);
  const later = findNonce(job, true, late + 1);
  const prev = nextEvent(client, 'prevHash');
  const inFlightBefore = pool.stats().shares.acceptedInFlight;
  pool.newBlock();
  const p = await prev;
  assert.notEqual(p.job!.jobId, job.jobId);
  assert.equal(client.targetForJob(channelId, job.jobId), undefined, 'the old job is no longer valid');
  const judged = nextEvent(pool, 'share');
  const inFlight = nextEvent(client, 'shareResult');
  client.submitShare({ ...share, nonce: late });
  assert.equal((await inFlight).kind, 'accepted', 'in flight: judged, and good');
  assert.deepEqual((({ accepted, inFlight, blockFound }) => ({ accepted, inFlight, blockFound }))(await judged), {
    accepted: true,
    inFlight: true,
    blockFound: false,
  });
  assert.equal(pool.stats().shares.acceptedInFlight, inFlightBefore + 1);
  const again = nextEvent(client, 'shareResult');
  client.submitShare({ ...share, nonce: late });
  const a = await again;
  assert.ok(a.kind === 'rejected' && a.errorCode === 'duplicate-share', 'duplicates are caught in flight too');
  const bad = nextEvent(client, 'shareResult');
  client.submitShare({ ...share, nonce: findNonce(job, false) });
  const b = await bad;
  assert.ok(b.kind === 'rejected' && b.errorCode === 'difficulty-too-low', 'an in-flight share is still checked');
  // A share on the new block proves the device has the new tip: old work from then on is stale.
  const fresh = p.job!;
  const onNew = nextEvent(client, 'shareResult');
  client.submitShare({
    channelId,
    jobId: fresh.jobId,
    nonce: findNonce(fresh, true),
    ntime: fresh.minNtime,
    version: fresh.version,
  });
  assert.equal((await onNew).kind, 'accepted');
  const stale = nextEvent(client, 'shareResult');
  client.submitShare({ ...share, nonce: later });
  const s = await stale;
  assert.ok(s.kind === 'rejected' && s.errorCode === 'stale-share', s.kind);
  client.close();
});

test('a share of the previous block after the in-flight grace, or of the block before it, is stale-share; grace 0 is strict', async () => {
  const clock = new ManualClock(Date.now());
  for (const graceMs of [1000, 0]) {
    const own = await startTestPool({ sharesPerMinute: 60, clock, inFlightGraceMs: graceMs }, 43);
    const client = testClient(own);
    try {
      const first = nextEvent(client, 'prevHash');
      const { channelId } = await client.connect();
      const job = (await first).job!;
      const share = {
        channelId,
        jobId: job.jobId,
        nonce: findNonce(job, true),
        ntime: job.minNtime,
        version: job.version,
      };
      const outcome = async (): Promise<string> => {
        const r = nextEvent(client, 'shareResult');
        client.submitShare(share);
        const x = await r;
        return x.kind === 'rejected' ? x.errorCode : x.kind;
      };
      let prev = nextEvent(client, 'prevHash');
      own.newBlock();
      await prev;
      if (graceMs > 0) {
        clock.advance(graceMs + 1);
        assert.equal(await outcome(), 'stale-share', 'past the grace');
        // Two blocks on, even at once: only the block just replaced can have shares in flight.
        clock.set(Date.now());
        prev = nextEvent(client, 'prevHash');
        own.newBlock();
        await prev;
        prev = nextEvent(client, 'prevHash');
        own.newBlock();
        await prev;
        assert.equal(await outcome(), 'stale-share', 'two blocks back');
      } else {
        assert.equal(await outcome(), 'stale-share', 'grace 0: at once');
      }
      assert.equal(own.stats().shares.acceptedInFlight, 0);
    } finally {
      client.close();
      await own.close();
    }
  }
});

test('unknown job, ntime below min_ntime and a non-rollable version bit get the spec codes', async () => {
  const { client, channelId } = await connected();
  const job = client.activeJob(channelId)!;
  const cases: Array<[Record<string, number>, string]> = [
    [{ jobId: 9999 }, 'invalid-job-id'],
    [{ ntime: job.minNtime - 1 }, 'invalid-share'],
    [{ version: job.version | 1 }, 'invalid-non-rollable-version-bit'],
  ];
  for (const [change, code] of cases) {
    const result = nextEvent(client, 'shareResult');
    client.submitShare({ channelId, jobId: job.jobId, nonce: 7, ntime: job.minNtime, version: job.version, ...change });
    const r = await result;
    assert.ok(
      r.kind === 'rejected' && r.errorCode === code,
      `${code}: got ${r.kind === 'rejected' ? r.errorCode : r.kind}`,
    );
  }
  // Rolled BIP320 bits are fine.
  const rolled = job.version | 0x1fffe000;
  const ok = nextEvent(client, 'shareResult');
  client.submitShare({
    channelId,
    jobId: job.jobId,
    nonce: findNonce(job, true, 0, rolled),
    ntime: job.minNtime,
    version: rolled,
  });
  assert.equal((await ok).kind, 'accepted');
  client.close();
});

test('new active jobs on the same block: past jobs keep being accepted until the next block', async () => {
  const { client, channelId } = await connected();
  const first = client.activeJob(channelId)!;
  const jobEvent = nextEvent(client, 'job', (j) => !j.future);
  pool.newJobs();
  const j = await jobEvent;
  assert.ok(j.active);
  assert.notDeepEqual(
    j.merkleRoot,
    (first.header as { merkleRoot: Uint8Array }).merkleRoot,
    'a fresh coinbase/merkle root',
  );
  assert.equal(j.active.prevHash.length, 32);
  assert.deepEqual(j.active.prevHash, first.prevHash);
  const result = nextEvent(client, 'shareResult');
  client.submitShare({
    channelId,
    jobId: first.jobId,
    nonce: findNonce(first, true),
    ntime: first.minNtime,
    version: first.version,
  });
  assert.equal((await result).kind, 'accepted');
  client.close();
});

test('SetTarget applies to later jobs; shares of earlier jobs are judged by their own target', async () => {
  const { client, channelId } = await connected();
  const before = client.activeJob(channelId)!;
  // Harder by 2^20: a share found under the old target almost surely misses the new one.
  const harder = before.target >> 20n;
  const targetEvent = nextEvent(client, 'target');
  assert.ok(pool.setChannelTarget(channelId, harder));
  const t = await targetEvent;
  assert.equal(t.target, harder);
  assert.equal(client.targetForJob(channelId, before.jobId), before.target, 'the running job keeps its target');
  const nonce = findNonce(before, true);
  const result = nextEvent(client, 'shareResult');
  client.submitShare({ channelId, jobId: before.jobId, nonce, ntime: before.minNtime, version: before.version });
  assert.equal((await result).kind, 'accepted', 'a share queued under the old target is not rejected');
  const jobEvent = nextEvent(client, 'job', (j) => !j.future);
  pool.newJobs();
  const after = (await jobEvent).active!;
  assert.equal(after.target, harder);
  client.close();
});

test('UpdateChannel with a new hash rate makes the pool send SetTarget', async () => {
  const { client, channelId } = await connected();
  const old = client.channelInfos()[0].target;
  const targetEvent = nextEvent(client, 'target');
  client.updateNominalHashRate(channelId, 1e9);
  const t = await targetEvent;
  assert.ok(t.target < old / 100_000n, 'a million times the hash rate: a much harder target');
  client.close();
});

test('batched acknowledgements: one SubmitShares.Success covers several sequence numbers', async () => {
  const batched = await startTestPool({ sharesPerMinute: 60, shareBatchSize: 3 }, 7);
  try {
    const client = testClient(batched);
    const prev = nextEvent(client, 'prevHash');
    const { channelId } = await client.connect();
    const job = (await prev).job!;
    const results: number[] = [];
    client.on('shareResult', (r) => {
      if (r.kind === 'accepted') results.push(...r.shares.map((s) => s.sequenceNumber));
    });
    const done = nextEvent(client, 'shareResult', (r) => r.kind === 'accepted');
    let nonce = 0;
    const seqs: number[] = [];
    for (let i = 0; i < 3; i++) {
      nonce = findNonce(job, true, nonce) + 1;
      seqs.push(
        client.submitShare({
          channelId,
          jobId: job.jobId,
          nonce: nonce - 1,
          ntime: job.minNtime,
          version: job.version,
        }),
      );
    }
    const r = await done;
    assert.ok(r.kind === 'accepted' && r.newSubmitsAcceptedCount === 3 && r.lastSequenceNumber === seqs[2]);
    assert.deepEqual(results, seqs);
    assert.equal(client.shareStats().pending, 0);
    client.close();
  } finally {
    await batched.close();
  }
});

test('a batch the pool closes after the share timeout: the timed-out shares come back as accepted (late)', async () => {
  const batched = await startTestPool({ sharesPerMinute: 60, shareBatchSize: 3 }, 8);
  try {
    const clock = new ManualClock(Date.now());
    const client = testClient(batched, { clock, shareTimeoutMs: 30_000, stallTimeoutMs: 0, checkIntervalMs: 20 });
    const prev = nextEvent(client, 'prevHash');
    const { channelId } = await client.connect();
    const job = (await prev).job!;
    let nonce = -1;
    const submit = (): number => {
      nonce = findNonce(job, true, nonce + 1);
      return client.submitShare({ channelId, jobId: job.jobId, nonce, ntime: job.minNtime, version: job.version });
    };
    const first = [submit(), submit()];
    const timedOut = nextEvent(client, 'shareResult', (r) => r.kind === 'timeout');
    clock.advance(31_000);
    const t = await timedOut;
    assert.ok(t.kind === 'timeout');
    assert.deepEqual(
      t.shares.map((x) => x.sequenceNumber),
      first,
    );
    assert.equal(client.shareStats().timedOut, 2);
    const closed = nextEvent(client, 'shareResult', (r) => r.kind === 'accepted');
    const third = submit();
    const a = await closed;
    assert.ok(a.kind === 'accepted' && a.newSubmitsAcceptedCount === 3);
    assert.deepEqual(
      a.shares.map((x) => [x.sequenceNumber, x.late]).sort((x, y) => Number(x[0]) - Number(y[0])),
      [
        [first[0], true],
        [first[1], true],
        [third, false],
      ],
    );
    const s = client.shareStats();
    assert.deepEqual([s.accepted, s.timedOut, s.pending], [3, 0, 0], 'the figures the pool has');
    client.close();
  } finally {
    await batched.close();
  }
});

test('pool statistics count accepted and rejected shares by reason, per channel', async () => {
  const fresh = await startTestPool({ sharesPerMinute: 60 }, 9);
  try {
    const client = testClient(fresh, { userIdentity: 'stats.worker' });
    const prev = nextEvent(client, 'prevHash');
    const { channelId } = await client.connect();
    const job = (await prev).job!;
    const answers = nextEvent(client, 'shareResult', (r) => r.kind === 'rejected');
    client.submitShare({
      channelId,
      jobId: job.jobId,
      nonce: findNonce(job, true),
      ntime: job.minNtime,
      version: job.version,
    });
    client.submitShare({
      channelId,
      jobId: job.jobId,
      nonce: findNonce(job, false),
      ntime: job.minNtime,
      version: job.version,
    });
    await answers;
    const s = fresh.stats();
    assert.equal(s.shares.accepted, 1);
    assert.deepEqual(s.shares.rejectedByCode, { 'difficulty-too-low': 1 });
    assert.equal(s.channels.length, 1);
    assert.equal(s.channels[0].userIdentity, 'stats.worker');
    assert.equal(s.channels[0].accepted, 1);
    assert.equal(s.connections.open, 1);
    client.close();
  } finally {
    await fresh.close();
  }
});

test('a pool that goes silent is detected: stalled, then disconnected with that reason', async () => {
  const quiet = await startTestPool({}, 11);
  try {
    const clock = new ManualClock(Date.now());
    const client = testClient(quiet, { clock, stallTimeoutMs: 60_000, checkIntervalMs: 20 });
    await client.connect();
    quiet.setSilent(true);
    const stalled = nextEvent(client, 'stalled');
    const gone = nextEvent(client, 'disconnected');
    clock.advance(61_000);
    const s = await stalled;
    assert.ok(s.silentForMs >= 60_000);
    const d = await gone;
    assert.equal(d.code, 'stalled');
    assert.equal(d.willReconnect, false);
  } finally {
    await quiet.close();
  }
});

test('a pool that keeps sending work but stops answering shares: stalled (unanswered-shares) after 20 shares and the timeout', async () => {
  const broken = await startTestPool({ sharesPerMinute: 60 }, 13);
  try {
    const clock = new ManualClock(Date.now());
    const client = testClient(broken, {
      clock,
      stallTimeoutMs: 0,
      shareTimeoutMs: 30_000,
      unansweredSharesTimeoutMs: 300_000,
      checkIntervalMs: 20,
    });
    const prev = nextEvent(client, 'prevHash');
    const { channelId } = await client.connect();
    const job = (await prev).job!;
    const answered = nextEvent(client, 'shareResult');
    client.submitShare({
      channelId,
      jobId: job.jobId,
      nonce: findNonce(job, true),
      ntime: job.minNtime,
      version: job.version,
    });
    assert.equal((await answered).kind, 'accepted', 'the pool answers at first (a batch of 1)');
    broken.setAnswerShares(false);
    const stalls: string[] = [];
    client.on('stalled', (e) => stalls.push(`${e.reason}:${e.unansweredShares}`));
    for (let i = 0; i < 19; i++) {
      client.submitShare({ channelId, jobId: job.jobId, nonce: 2 + i, ntime: job.minNtime, version: job.version });
    }
    const judged = (): number => broken.stats().shares.accepted + broken.stats().shares.rejected;
    await eventually(() => judged() === 20, 5000, 'the pool judged them all');
    clock.advance(301_000);
    broken.newJobs();
    await nextEvent(client, 'job');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(stalls, [], '19 unanswered shares are not enough, and work still comes');
    const gone = nextEvent(client, 'disconnected');
    client.submitShare({ channelId, jobId: job.jobId, nonce: 99, ntime: job.minNtime, version: job.version });
    clock.advance(1);
    const d = await gone;
    assert.equal(d.code, 'stalled');
    assert.match(d.reason, /answered none of the last 20 shares, though it still sends work/);
    assert.deepEqual(stalls, ['unanswered-shares:20']);
  } finally {
    await broken.close();
  }
});

test('unanswered shares time out as timeout (not rejected); in-flight shares on a drop are lost', async () => {
  const quiet = await startTestPool({}, 12);
  try {
    const clock = new ManualClock(Date.now());
    const client = testClient(quiet, { clock, shareTimeoutMs: 30_000, stallTimeoutMs: 0, checkIntervalMs: 20 });
    const prev = nextEvent(client, 'prevHash');
    const { channelId } = await client.connect();
    const job = (await prev).job!;
    quiet.setSilent(true);
    client.submitShare({ channelId, jobId: job.jobId, nonce: 1, ntime: job.minNtime, version: job.version });
    const timeout = nextEvent(client, 'shareResult', (r) => r.kind === 'timeout');
    clock.advance(31_000);
    const t = await timeout;
    assert.ok(t.kind === 'timeout' && t.shares.length === 1 && t.shares[0].outcome === 'timeout');
    client.submitShare({ channelId, jobId: job.jobId, nonce: 2, ntime: job.minNtime, version: job.version });
    const lost = nextEvent(client, 'shareResult', (r) => r.kind === 'lost');
    quiet.dropConnections();
    const l = await lost;
    assert.ok(l.kind === 'lost' && l.shares.length === 1);
    const stats = client.shareStats();
    assert.equal(stats.timedOut, 1);
    assert.equal(stats.lost, 1);
    assert.equal(stats.rejected, 0);
  } finally {
    await quiet.close();
  }
});

test('Reconnect from the pool: the client reconnects on its own and reopens its channel', async () => {
  const client = testClient(pool);
  await client.connect();
  const dropped = nextEvent(client, 'disconnected');
  const reopened = nextEvent(client, 'channelOpened');
  const prev = nextEvent(client, 'prevHash', (p) => p.job !== null);
  pool.requestReconnect();
  const d = await dropped;
  assert.equal(d.code, 'reconnect');
  assert.equal(d.willReconnect, true);
  const ch = await reopened;
  await prev;
  assert.ok(client.connected);
  assert.equal(client.activeJob(ch.channelId)?.channelId, ch.channelId);
  client.close();
});

test('submitShare when not connected or on an unknown channel throws a typed error', async () => {
  const { client, channelId } = await connected();
  assert.throws(
    () => client.submitShare({ channelId: channelId + 1000, jobId: 1, nonce: 0, ntime: 0, version: 0 }),
    (e: unknown) => (e as { code?: string }).code === 'unknown-channel',
  );
  client.close();
  assert.throws(
    () => client.submitShare({ channelId, jobId: 1, nonce: 0, ntime: 0, version: 0 }),
    (e: unknown) => (e as { code?: string }).code === 'not-connected',
  );
});

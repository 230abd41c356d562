/**
 * Extended and group channels between hashaxe's SV2 client and its local pool, over TCP + Noise on 127.0.0.1:
 * opening (and the `auto` choice's fallback both ways), coinbase jobs and extended shares, group jobs reaching every
 * member, and SetExtranoncePrefix in the middle of mining.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Bm13xxChain } from '../../../../drivers/asic/bm13xx-chain.js';
import { EmulatedChain } from '../../../../drivers/emulator/bm13xx-emulator.js';
import { MemoryTransport } from '../../../../drivers/transport/memory-transport.js';
import { MiningEngine } from '../../../../src/mining/engine.js';
import type { Sv2MiningClient } from '../../../../src/sv2/client/mining-client.js';
import { Sv2JobSource } from '../../../../src/sv2/client/sv2-job-source.js';
import { NewExtendedMiningJob, SetGroupChannel, SetNewPrevHash } from '../../../../src/sv2/messages/mining.js';
import type { LocalPool, PoolShareEvent } from '../../../../src/sv2/pool/local-pool.js';
import { PoolChannel } from '../../../../src/sv2/pool/pool-channel.js';
import type { SyntheticChain } from '../../../../src/sv2/pool/synthetic-chain.js';
import { bytesToHex } from '../../../../src/util/hex.js';
import { waitUntil } from '../../../support/bm13xx.js';
import { findNonce, nextEvent, startTestPool, testClient, zeroExtranonce } from '../../../support/sv2-net.js';

const closers: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function pool(options: Parameters<typeof startTestPool>[0] = {}): Promise<LocalPool> {
  const p = await startTestPool({ sharesPerMinute: 60, ...options });
  closers.push(() => p.close());
  return p;
}

function client(p: LocalPool, options: Parameters<typeof testClient>[1] = {}): Sv2MiningClient {
  const c = testClient(p, options);
  closers.push(() => c.close());
  return c;
}

test('auto opens an extended channel: coinbase jobs, shares carry the extranonce, the pool rebuilds the coinbase', async () => {
  const p = await pool({ extendedExtranonceSize: 4 });
  const c = client(p, { channel: 'auto', minExtranonceSize: 6 });
  const prev = nextEvent(c, 'prevHash');
  const job = nextEvent(c, 'job');
  const channel = await c.connect();
  assert.equal(channel.kind, 'extended');
  assert.equal(channel.extranoncePrefix.length, 8, "the pool's prefix");
  assert.equal(channel.extranonceSize, 6, 'the size asked for (the pool raises a smaller one to its default)');
  assert.equal(p.stats().channels[0].kind, 'extended');
  assert.equal((await job).merkleRoot, null, 'an extended job has no merkle root: the device builds it');
  const active = (await prev).job!;
  assert.equal(active.kind, 'extended');
  assert.equal(active.header.kind, 'coinbase');
  assert.ok(active.header.kind === 'coinbase' && active.header.merklePath.length >= 1);
  // The coinbase job's prefix ends with the channel's extranonce prefix.
  assert.ok(
    active.header.kind === 'coinbase' &&
      bytesToHex(active.header.prefix.subarray(-8)) === bytesToHex(channel.extranoncePrefix),
  );
  const extranonce = Uint8Array.of(1, 2, 3, 4, 5, 6);
  const share = {
    channelId: channel.channelId,
    jobId: active.jobId,
    ntime: active.minNtime,
    version: active.version,
    extranonce,
  };
  const outcomes: string[] = [];
  for (const [nonce, en] of [
    [findNonce(active, true, 0, active.version, active.minNtime, extranonce), extranonce],
    [findNonce(active, false, 0, active.version, active.minNtime, extranonce), extranonce],
    // A nonce good with one extranonce is not good with another: the pool really rebuilds the coinbase.
    [findNonce(active, true, 0, active.version, active.minNtime, extranonce), Uint8Array.of(9, 9, 9, 9, 9, 9)],
  ] as const) {
    const r = nextEvent(c, 'shareResult');
    c.submitShare({ ...share, nonce, extranonce: en });
    const answer = await r;
    outcomes.push(answer.kind === 'rejected' ? answer.errorCode : answer.kind);
  }
  assert.equal(outcomes[0], 'accepted');
  assert.equal(outcomes[1], 'difficulty-too-low');
  assert.equal(outcomes[2], 'difficulty-too-low');
  // The client refuses to send an extranonce of the wrong size; the pool names it when one arrives.
  assert.throws(() => c.submitShare({ ...share, nonce: 1, extranonce: new Uint8Array(4) }), /needs 6 extranonce bytes/);
  const target = 1n << 255n;
  const pc = new PoolChannel('extended', 9, 1, 'x', new Uint8Array(8), target, 1, target, true, 0, undefined, 6);
  pc.registerJob(
    {
      jobId: 1,
      epoch: 0,
      version: 0x20000000,
      versionRollingAllowed: true,
      header: { kind: 'coinbase', prefix: new Uint8Array(50), suffix: new Uint8Array(40), merklePath: [] },
      prevHash: new Uint8Array(32),
      nbits: 0x1d00ffff,
      minNtime: 0,
      target,
    },
    true,
    0,
  );
  const bad = pc.validate(
    {
      channelId: 9,
      sequenceNumber: 0,
      jobId: 1,
      nonce: 0,
      ntime: 0,
      version: 0x20000000,
      extranonce: new Uint8Array(5),
    },
    { epoch: 0 } as SyntheticChain,
    0,
  );
  assert.deepEqual(bad, { ok: false, code: 'bad-extranonce-size' });
});

test('auto falls back to standard where extended is refused, and to extended where standard is; explicit choices do not', async () => {
  // Both pools under one authority, so a Reconnect from one to the other keeps the client's trust.
  const authoritySecretKey = new Uint8Array(32).fill(7);
  const noExtended = await pool({ extendedChannels: false, authoritySecretKey });
  const a = client(noExtended, { channel: 'auto' });
  const warnings: string[] = [];
  a.on('warning', (w) => warnings.push(w.message));
  const disconnects: string[] = [];
  a.on('disconnected', (d) => disconnects.push(d.code));
  const opened = await a.connect();
  assert.equal(opened.kind, 'standard');
  assert.ok(warnings.some((w) => /extended-channels-not-supported/.test(w) && /trying a standard channel/.test(w)));
  assert.deepEqual(disconnects, [], 'the switch is quiet: nothing was mining on the first connection');
  const e = client(noExtended, { channel: 'extended' });
  await assert.rejects(e.connect(), /refused the extended channel: extended-channels-not-supported/);

  const noStandard = await pool({ standardChannels: false, authoritySecretKey });
  const s = client(noStandard, { channel: 'standard' });
  await assert.rejects(s.connect(), /REQUIRES_EXTENDED_CHANNELS/);
  // The other way round: `a` now tries standard first (it worked last); moved to a pool that refuses standard
  // channels, it opens an extended one there.
  const reopened = nextEvent(a, 'channelOpened');
  noExtended.requestReconnect('127.0.0.1', noStandard.port);
  const again = await reopened;
  assert.equal(again.kind, 'extended');
  assert.deepEqual(disconnects, ['reconnect']);
  assert.equal(noStandard.stats().channels.filter((ch) => ch.kind === 'extended').length, 1);
});

test('one connection, two extended channels in a group: one group job and one SetNewPrevHash reach both', async () => {
  const p = await pool();
  const c = client(p, { channel: 'extended' });
  const frames: number[] = [];
  c.on('frame', (f) => frames.push(f.msgType));
  const first = await c.connect();
  const group = nextEvent(c, 'group');
  const second = await c.openExtendedChannel('test.worker2', 1000);
  assert.notEqual(first.groupChannelId, 0);
  assert.equal(second.groupChannelId, first.groupChannelId, 'same full extranonce size: same group');
  const g = await group;
  assert.equal(g.groupChannelId, first.groupChannelId);
  assert.deepEqual([...g.channelIds].sort(), [first.channelId, second.channelId].sort());
  assert.ok(frames.includes(SetGroupChannel.msgType));

  // A new block: both channels get the job and the prev hash, from one message each addressed to the group.
  frames.length = 0;
  const jobs: Array<{ channelId: number; addressedTo: number; jobId: number }> = [];
  c.on('job', (j) => jobs.push(j));
  const prevs = new Map<number, Awaited<ReturnType<typeof nextEvent<Sv2MiningClient, 'prevHash'>>>>();
  c.on('prevHash', (e) => prevs.set(e.channelId, e));
  p.newBlock();
  await waitUntil(() => prevs.size === 2, 5000, 'the prev hash on both channels');
  assert.equal(frames.filter((t) => t === NewExtendedMiningJob.msgType).length, 1, 'one job message');
  assert.equal(frames.filter((t) => t === SetNewPrevHash.msgType).length, 1, 'one prev hash message');
  assert.deepEqual(
    jobs.map((j) => [j.channelId, j.addressedTo]).sort(),
    [
      [first.channelId, first.groupChannelId],
      [second.channelId, first.groupChannelId],
    ].sort(),
  );
  assert.equal(jobs[0].jobId, jobs[1].jobId, 'one job id, unique across the channel and its group');
  // Each member mines the group job with its own prefix; a share on each is accepted.
  for (const ch of [first, second]) {
    const job = prevs.get(ch.channelId)!.job!;
    assert.equal(job.jobId, jobs[0].jobId);
    const r = nextEvent(
      c,
      'shareResult',
      (x) => x.kind !== 'timeout' && 'channelId' in x && x.channelId === ch.channelId,
    );
    c.submitShare({
      channelId: ch.channelId,
      jobId: job.jobId,
      nonce: findNonce(job, true),
      ntime: job.minNtime,
      version: job.version,
      extranonce: zeroExtranonce(job),
    });
    assert.equal((await r).kind, 'accepted');
  }
  // New work on the same block: again one message for both.
  frames.length = 0;
  jobs.length = 0;
  p.newJobs();
  await waitUntil(() => jobs.length === 2, 5000, 'the group job on both channels');
  assert.equal(frames.filter((t) => t === NewExtendedMiningJob.msgType).length, 1);
  assert.ok(jobs.every((j) => j.addressedTo === first.groupChannelId));
});

test('SetExtranoncePrefix while mining: the next job replaces the work at once and no share with the old prefix is accepted after it', async () => {
  const p = await pool({ sharesPerMinute: 600, inFlightGraceMs: 0 });
  const host = new MemoryTransport('memory:host');
  const device = new MemoryTransport('memory:device');
  host.peer = device;
  device.peer = host;
  const scale = 2 ** -21;
  const emulator = new EmulatedChain({
    model: 'bm1366',
    chips: 1,
    workers: 1,
    hashrateHs: 2e6,
    difficultyScale: scale,
  });
  emulator.attach(device);
  closers.push(() => emulator.close());
  const chain = new Bm13xxChain(host, { model: 'bm1366', expectedChips: 1, delayScale: 0, enumerateSilenceMs: 250 });
  closers.push(() => chain.close());
  await chain.init();
  await chain.switchBaud();
  const source = new Sv2JobSource({
    url: p.url,
    userIdentity: 'prefix.rig',
    nominalHashRateHs: 2e6,
    device: { vendor: 'hashaxe-test', hardwareVersion: 'BM1366', firmware: '0.0.0' },
  });
  closers.push(() => source.close('test over'));
  const engine = new MiningEngine({
    chain,
    submitter: source,
    hashrateHs: 2e6,
    target: (1n << 256n) - 1n,
    difficultyScale: scale,
    refreshIntervalMs: 200,
  });
  closers.push(() => engine.stop());
  const switches: string[] = [];
  source.on('newTip', (job) => {
    switches.push('newTip');
    engine.newTip(job);
  });
  source.on('job', (job) => {
    switches.push('job');
    engine.activeJob(job);
  });
  source.on('target', (t) => engine.setTarget(t.target));
  source.on('shareAnswer', (a) => engine.onShareResult(a));
  const events: Array<PoolShareEvent & { afterChange: boolean }> = [];
  let changed = false;
  p.on('share', (s) => events.push({ ...s, afterChange: changed }));
  const session = await source.connect();
  engine.setTarget(session.target);
  engine.start();
  await waitUntil(() => events.filter((e) => e.accepted).length >= 5, 15_000, '5 shares before the change');

  const channelId = p.stats().channels[0].channelId;
  const oldPrefix = bytesToHex(p.stats().channels.length > 0 ? events[0].extranonce!.subarray(0, 8) : new Uint8Array());
  switches.length = 0;
  const fresh = p.changeExtranoncePrefix(channelId);
  changed = true;
  assert.ok(fresh !== null);
  const newPrefix = bytesToHex(fresh);
  assert.notEqual(newPrefix, oldPrefix);
  await waitUntil(
    () => events.filter((e) => e.afterChange && e.accepted).length >= 5,
    15_000,
    '5 shares after the change',
  );
  // The job that followed SetExtranoncePrefix went to the chips as a clean switch (old work dropped at once).
  assert.equal(switches[0], 'newTip');
  const after = events.filter((e) => e.afterChange);
  for (const e of after) {
    const prefix = bytesToHex(e.extranonce!.subarray(0, 8));
    if (e.accepted) assert.equal(prefix, newPrefix, 'an accepted share after the change has the new prefix');
    else assert.equal(e.errorCode, 'stale-share', 'a share of the old work is refused as stale');
  }
  assert.ok(events.filter((e) => !e.afterChange).every((e) => bytesToHex(e.extranonce!.subarray(0, 8)) === oldPrefix));
});

test('REQUIRES_VERSION_ROLLING: asked for, refused by a fixed-version pool, asked again without it; jobs then forbid rolling', async () => {
  const fixed = await pool({ versionRolling: false });
  const c = client(fixed, { channel: 'extended', requireVersionRolling: true });
  const warnings: string[] = [];
  c.on('warning', (w) => warnings.push(w.message));
  const prev = nextEvent(c, 'prevHash');
  const channel = await c.connect();
  assert.ok(
    warnings.some((w) => /refused REQUIRES_VERSION_ROLLING/.test(w)),
    warnings.join('\n'),
  );
  assert.deepEqual(channel.versionRolling, { allowed: false, mask: 0 }, 'REQUIRES_FIXED_VERSION honoured');
  const job = (await prev).job!;
  assert.deepEqual(job.versionRolling, { allowed: false, mask: 0 });
  assert.equal(fixed.stats().connections.closedByCode['setup-rejected'], 1, 'the first SetupConnection was refused');
  // A pool that allows rolling takes the flag at once, and its extended jobs allow BIP323's bits.
  const rolling = await pool();
  const r = client(rolling, { channel: 'extended', requireVersionRolling: true });
  const prev2 = nextEvent(r, 'prevHash');
  assert.deepEqual((await r.connect()).versionRolling, { allowed: true, mask: 0x1fffffe0 });
  assert.deepEqual((await prev2).job!.versionRolling, { allowed: true, mask: 0x1fffffe0 });
  assert.equal(rolling.stats().connections.closedByCode['setup-rejected'], undefined);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TARGET } from '../../../../src/bitcoin/target.js';
import { ChannelState } from '../../../../src/sv2/client/channel-state.js';
import type { NewExtendedMiningJob } from '../../../../src/sv2/messages/mining.js';
import { bytesToHex } from '../../../../src/util/hex.js';

function extended(prefix: number[]): ChannelState {
  return new ChannelState({
    kind: 'extended',
    channelId: 1,
    requestId: 1,
    userIdentity: 'u',
    extranoncePrefix: Uint8Array.from(prefix),
    extranonceSize: 4,
    groupChannelId: 9,
    target: MAX_TARGET,
    versionRolling: { allowed: true, mask: 0x1fffffe0 },
    nominalHashRateHs: 1,
  });
}

function job(jobId: number, minNtime: number | null, versionRollingAllowed = true): NewExtendedMiningJob {
  return {
    channelId: 9,
    jobId,
    minNtime,
    version: 0x20000000,
    versionRollingAllowed,
    merklePath: [],
    coinbaseTxPrefix: Uint8Array.of(2, 0, 0, 0, 1, 0xaa),
    coinbaseTxSuffix: Uint8Array.of(0xbb),
  };
}

const tip = { channelId: 9, jobId: 1, prevHash: new Uint8Array(32), minNtime: 100, nbits: 0x1d00ffff };

test('an extended job keeps the extranonce prefix in force when it arrived; SetExtranoncePrefix applies to later jobs', () => {
  const c = extended([1, 1]);
  assert.equal(c.onNewExtendedMiningJob(job(1, null), 0).kind, 'future');
  const active = c.onSetNewPrevHash(tip, 0).job!;
  assert.ok(active.header.kind === 'coinbase');
  assert.equal(bytesToHex(active.header.prefix), '02000000' + '01aa' + '0101');
  assert.ok(c.setExtranoncePrefix(Uint8Array.of(2, 2), 32));
  assert.equal(bytesToHex((c.jobForShare(1)!.header as { prefix: Uint8Array }).prefix).slice(-4), '0101');
  const next = c.onNewExtendedMiningJob(job(2, 150), 0);
  assert.ok(next.kind === 'active' && next.job.header.kind === 'coinbase');
  assert.equal(bytesToHex(next.job.header.prefix).slice(-4), '0202', 'the new job carries the new prefix');
  assert.equal(next.job.minNtime, 150);
  // A prefix that leaves no room for our 4 bytes within the spec's 32 is refused.
  assert.equal(c.setExtranoncePrefix(new Uint8Array(29), 32), false);
});

test('version rolling: the job’s own permission narrows the channel’s; standard jobs on an extended channel are ignored', () => {
  const c = extended([1]);
  c.onNewExtendedMiningJob(job(1, null, false), 0);
  assert.deepEqual(c.onSetNewPrevHash(tip, 0).job!.versionRolling, { allowed: false, mask: 0 });
  c.onNewExtendedMiningJob(job(2, 120, true), 0);
  assert.deepEqual(c.active!.versionRolling, { allowed: true, mask: 0x1fffffe0 });
  const std = c.onNewMiningJob(
    { channelId: 1, jobId: 3, minNtime: 130, version: 0x20000000, merkleRoot: new Uint8Array(32) },
    0,
  );
  assert.equal(std.kind, 'ignored');
});

test('segwit coinbase pieces are stripped once for the txid; pieces marked segwit that do not parse are ignored', () => {
  const c = extended([]);
  // version 2, marker+flag, 1 input (null prevout), scriptSig of 4 (the extranonce), sequence, 1 output, witness, lock.
  const prefix = Uint8Array.of(2, 0, 0, 0, 0, 1, 1, ...new Uint8Array(32), 0xff, 0xff, 0xff, 0xff, 4);
  const suffix = Uint8Array.of(
    0xff,
    0xff,
    0xff,
    0xff,
    1,
    ...new Uint8Array(8),
    1,
    0x51,
    1,
    32,
    ...new Uint8Array(32),
    0,
    0,
    0,
    0,
  );
  const ok = c.onNewExtendedMiningJob({ ...job(1, null), coinbaseTxPrefix: prefix, coinbaseTxSuffix: suffix }, 0);
  assert.equal(ok.kind, 'future');
  const active = c.onSetNewPrevHash(tip, 0).job!;
  assert.ok(active.header.kind === 'coinbase');
  assert.equal(active.header.prefix.length, prefix.length - 2, 'marker and flag gone');
  assert.equal(active.header.suffix.length, suffix.length - 34, 'the witness stack gone');
  const bad = c.onNewExtendedMiningJob(
    { ...job(2, null), coinbaseTxPrefix: Uint8Array.of(2, 0, 0, 0, 0, 1, 7), coinbaseTxSuffix: Uint8Array.of(1) },
    0,
  );
  assert.equal(bad.kind, 'ignored');
  assert.match((bad as { reason: string }).reason, /not one transaction/);
});

/**
 * What the mining client puts on the wire, read back by a scripted pool (real TCP, real Noise): SetupConnection
 * with the device's identity and flags, OpenStandardMiningChannel with its hash rate, shares numbered in
 * order, UpdateChannel, and CloseChannel in both directions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sv2MiningClient } from '../../../../src/sv2/client/mining-client.js';
import type { Sv2Frame } from '../../../../src/sv2/codec/frame.js';
import { PROTOCOL_MINING, SetupConnection, SetupConnectionSuccess } from '../../../../src/sv2/messages/common.js';
import { REQUIRES_STANDARD_JOBS, REQUIRES_VERSION_ROLLING } from '../../../../src/sv2/messages/flags.js';
import {
  CloseChannel,
  NewMiningJob,
  OpenStandardMiningChannel,
  OpenStandardMiningChannelSuccess,
  SetNewPrevHash,
  SubmitSharesStandard,
  UpdateChannel,
} from '../../../../src/sv2/messages/mining.js';
import { nextEvent } from '../../../support/sv2-net.js';
import { ScriptedPool } from '../../../support/sv2-scripted-pool.js';

function decodeAs<V>(def: { msgType: number; channelMsg: boolean; decode(p: Uint8Array): V }, f: Sv2Frame): V {
  assert.equal(f.header.msgType, def.msgType);
  assert.equal(f.header.channelMsg, def.channelMsg, 'the channel bit the spec fixes for this message');
  return def.decode(f.payload);
}

test('the client sends its identity, flags, hash rate and numbered shares; CloseChannel works both ways', async () => {
  const fake = new ScriptedPool();
  await fake.start();
  try {
    const client = new Sv2MiningClient({
      url: fake.url,
      userIdentity: 'acct.rig7',
      nominalHashRateHs: 1.2e12,
      maxTarget: (1n << 240n) - 1n,
      requireVersionRolling: true,
      channel: 'standard',
      device: { vendor: 'hashaxe', hardwareVersion: 'BM1370', firmware: '0.1.0', deviceId: 'pi-42' },
      // No liveness probes: the frames are checked by position.
      liveness: { frozenWithinMs: 0 },
    });
    const connecting = client.connect();
    const [setupFrame] = await fake.frames(1);
    const setup = decodeAs(SetupConnection, setupFrame);
    assert.deepEqual(
      { ...setup },
      {
        protocol: PROTOCOL_MINING,
        minVersion: 2,
        maxVersion: 2,
        flags: REQUIRES_STANDARD_JOBS | REQUIRES_VERSION_ROLLING,
        endpointHost: '127.0.0.1',
        endpointPort: fake.port,
        vendor: 'hashaxe',
        hardwareVersion: 'BM1370',
        firmware: '0.1.0',
        deviceId: 'pi-42',
      },
    );
    fake.send(SetupConnectionSuccess, { usedVersion: 2, flags: 0 });
    const open = decodeAs(OpenStandardMiningChannel, (await fake.frames(2))[1]);
    assert.equal(open.userIdentity, 'acct.rig7');
    assert.equal(open.nominalHashRate, Math.fround(1.2e12));
    assert.equal(Buffer.from(open.maxTarget).toString('hex'), `${'ff'.repeat(30)}0000`, 'max_target, little-endian');
    fake.send(OpenStandardMiningChannelSuccess, {
      requestId: open.requestId,
      channelId: 5,
      target: new Uint8Array(32).fill(0xff),
      extranoncePrefix: new Uint8Array(0),
      groupChannelId: 0,
    });
    await connecting;
    const ready = nextEvent(client, 'prevHash', (p) => p.job !== null);
    fake.send(NewMiningJob, {
      channelId: 5,
      jobId: 1,
      minNtime: null,
      version: 0x20000000,
      merkleRoot: new Uint8Array(32),
    });
    fake.send(SetNewPrevHash, {
      channelId: 5,
      jobId: 1,
      prevHash: new Uint8Array(32),
      minNtime: 1000,
      nbits: 0x1d00ffff,
    });
    await ready;

    const seqs = [0, 1, 2].map((i) =>
      client.submitShare({ channelId: 5, jobId: 1, nonce: i, ntime: 1000 + i, version: 0x20000000 | (i << 13) }),
    );
    const shares = (await fake.frames(5)).slice(2).map((f) => decodeAs(SubmitSharesStandard, f));
    assert.deepEqual(seqs, [0, 1, 2]);
    assert.deepEqual(
      shares.map((s) => [s.channelId, s.sequenceNumber, s.jobId, s.nonce, s.ntime, s.version]),
      [
        [5, 0, 1, 0, 1000, 0x20000000],
        [5, 1, 1, 1, 1001, 0x20002000],
        [5, 2, 1, 2, 1002, 0x20004000],
      ],
    );

    client.updateNominalHashRate(5, 2.5e12);
    const update = decodeAs(UpdateChannel, (await fake.frames(6))[5]);
    assert.equal(update.channelId, 5);
    assert.equal(update.nominalHashRate, Math.fround(2.5e12));

    // The pool closes the channel: the engine hears about it and submitting on it is refused.
    const closedByPool = nextEvent(client, 'channelClosed');
    fake.send(CloseChannel, { channelId: 5, reasonCode: 'maintenance' });
    assert.deepEqual(await closedByPool, { channelId: 5, reason: 'maintenance' });
    assert.throws(
      () => client.submitShare({ channelId: 5, jobId: 1, nonce: 9, ntime: 1000, version: 0x20000000 }),
      (e: unknown) => (e as { code?: string }).code === 'unknown-channel',
    );

    // A second channel, closed by the device.
    const second = client.openStandardChannel('acct.rig7b', 1e9);
    const open2 = decodeAs(OpenStandardMiningChannel, (await fake.frames(7))[6]);
    assert.equal(open2.userIdentity, 'acct.rig7b');
    assert.notEqual(open2.requestId, open.requestId, 'request ids are unique per connection');
    fake.send(OpenStandardMiningChannelSuccess, {
      requestId: open2.requestId,
      channelId: 6,
      target: new Uint8Array(32).fill(0xff),
      extranoncePrefix: new Uint8Array(0),
      groupChannelId: 0,
    });
    await second;
    const closedByDevice = nextEvent(client, 'channelClosed');
    client.closeChannel(6, 'device shutting down');
    const close = decodeAs(CloseChannel, (await fake.frames(8))[7]);
    assert.deepEqual({ ...close }, { channelId: 6, reasonCode: 'device shutting down' });
    assert.equal((await closedByDevice).channelId, 6);
    assert.deepEqual(client.channelInfos(), []);
    client.close();
  } finally {
    await fake.close();
  }
});

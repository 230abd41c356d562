/**
 * Bounded, seeded fuzzing of the client on an extended channel in a group, over real TCP + Noise from a scripted
 * pool: thousands of random and garbled server messages — extended jobs (some in segwit form, some whose coinbase
 * is not a transaction), prev hashes and targets to the channel, its group and strangers, SetGroupChannel,
 * SetExtranoncePrefix of every length, share answers, standard jobs, closes of other channels. The client may only
 * warn and carry on; afterwards it still mines the next good group job with the prefix in force. A frame that does
 * not decode then ends the connection with a typed reason (protocol-error), never an exception.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sv2MiningClient } from '../../../../src/sv2/client/mining-client.js';
import type { MessageDef } from '../../../../src/sv2/codec/message.js';
import { ChannelEndpointChanged, SetupConnectionSuccess } from '../../../../src/sv2/messages/common.js';
import {
  CloseChannel,
  NewExtendedMiningJob,
  NewMiningJob,
  OpenExtendedMiningChannelSuccess,
  SetExtranoncePrefix,
  SetGroupChannel,
  SetNewPrevHash,
  SetTarget,
  SubmitSharesError,
  SubmitSharesSuccess,
  UpdateChannelError,
} from '../../../../src/sv2/messages/mining.js';
import { decodeFrameBytes } from '../../../../src/sv2/messages/registry.js';
import { Prng } from '../../../support/prng.js';
import { FrameFuzzer } from '../../../support/sv2-fuzz.js';
import { findNonce, nextEvent, zeroExtranonce } from '../../../support/sv2-net.js';
import { ScriptedPool } from '../../../support/sv2-scripted-pool.js';

const CHANNEL = 7;
const GROUP = 9;
const MESSAGES = 4000;

type AnyDef = MessageDef<Record<string, unknown>>;
const SERVER_MESSAGES = [
  NewExtendedMiningJob,
  SetNewPrevHash,
  SetTarget,
  SetExtranoncePrefix,
  SetGroupChannel,
  SubmitSharesSuccess,
  SubmitSharesError,
  NewMiningJob,
  UpdateChannelError,
  CloseChannel,
  ChannelEndpointChanged,
] as unknown as AnyDef[];

test(`client fuzz on an extended channel in a group: ${MESSAGES} random and garbled server messages, warnings only, still mining`, async () => {
  const fake = new ScriptedPool();
  await fake.start();
  const fz = new FrameFuzzer(new Prng(0xe7e));
  const client = new Sv2MiningClient({
    url: fake.url,
    userIdentity: 'fuzz.rig',
    nominalHashRateHs: 1e6,
    channel: 'extended',
    device: { vendor: 'hashaxe-test', hardwareVersion: 'none', firmware: '0.0.0' },
    // No liveness probes: the test waits for the client's frames one by one.
    liveness: { frozenWithinMs: 0 },
  });
  try {
    const connecting = client.connect();
    await fake.frames(1);
    fake.send(SetupConnectionSuccess, { usedVersion: 2, flags: 0 });
    await fake.frames(2);
    fake.send(OpenExtendedMiningChannelSuccess, {
      requestId: 1,
      channelId: CHANNEL,
      target: new Uint8Array(32).fill(0xff),
      extranonceSize: 4,
      extranoncePrefix: Uint8Array.of(1, 2, 3, 4),
      groupChannelId: GROUP,
    });
    const channel = await connecting;
    assert.equal(channel.kind, 'extended');
    const counts = { job: 0, prevHash: 0, warning: 0, target: 0, prefix: 0, closed: 0 };
    client.on('job', () => counts.job++);
    client.on('prevHash', () => counts.prevHash++);
    client.on('warning', () => counts.warning++);
    client.on('target', () => counts.target++);
    client.on('extranoncePrefix', () => counts.prefix++);
    client.on('channelClosed', () => counts.closed++);
    let disconnected: string | null = null;
    client.on('disconnected', (d) => {
      disconnected = d.code;
    });
    const address = (): number => (fz.chance(0.4) ? CHANNEL : fz.chance(0.6) ? GROUP : fz.uint(32));

    for (let i = 0; i < MESSAGES; i++) {
      const def = fz.pick(SERVER_MESSAGES);
      const v = fz.message(def);
      if ('channelId' in v) v.channelId = address();
      if (def === (CloseChannel as unknown as AnyDef) && (v.channelId === CHANNEL || v.channelId === GROUP)) {
        v.channelId = 1000 + fz.rng.int(1000);
      }
      if (def === (SetGroupChannel as unknown as AnyDef)) {
        // Never take our channel out of its group or make it a group itself, else the last check means nothing.
        v.groupChannelId = fz.chance(0.5) ? GROUP : 2000 + fz.rng.int(1000);
        v.channelIds = (v.channelIds as number[]).filter((id) => id !== CHANNEL);
        if (v.groupChannelId === GROUP && fz.chance(0.5)) (v.channelIds as number[]).push(CHANNEL);
      }
      if (def === (NewExtendedMiningJob as unknown as AnyDef) && fz.chance(0.2)) {
        // The segwit marker: a coinbase that must parse as a transaction, which random bytes rarely do.
        const prefix = fz.rng.bytes(10);
        prefix[4] = 0;
        prefix[5] = 1;
        v.coinbaseTxPrefix = prefix;
      }
      let bytes = fzFrame(def, v);
      if (fz.chance(0.15)) {
        // A garbled copy that still decodes as some server message (fields nonsense, length consistent).
        const garbled = fz.mutatePayload(bytes);
        try {
          const d = decodeFrameBytes(garbled);
          if (SERVER_MESSAGES.some((m) => m.name === d.def.name)) bytes = garbled;
        } catch {
          // not decodable: send the well-formed one
        }
      }
      const d = decodeFrameBytes(bytes);
      fake.send(d.def as AnyDef, d.value as Record<string, unknown>);
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(disconnected, null, 'nothing in there deserves a hang-up');
    assert.ok(client.connected);
    assert.ok(counts.job > 100 && counts.prevHash > 10 && counts.warning > 100, JSON.stringify(counts));
    assert.ok(counts.prefix > 10, `${counts.prefix} prefix changes taken`);
    const info = client.channelInfos().find((c) => c.channelId === CHANNEL);
    assert.ok(info, 'our channel is still open');

    // A good group job now: the client mines it with the prefix in force and the pool's answer arrives.
    const prev = nextEvent(client, 'prevHash', (e) => e.channelId === CHANNEL && e.job !== null);
    fake.send(SetGroupChannel, { groupChannelId: GROUP, channelIds: [CHANNEL] });
    fake.send(NewExtendedMiningJob, {
      channelId: GROUP,
      jobId: 777_777,
      minNtime: null,
      version: 0x20000000,
      versionRollingAllowed: true,
      merklePath: [fz.rng.bytes(32)],
      coinbaseTxPrefix: fz.rng.bytes(42),
      coinbaseTxSuffix: fz.rng.bytes(60),
    });
    fake.send(SetNewPrevHash, {
      channelId: GROUP,
      jobId: 777_777,
      prevHash: fz.rng.bytes(32),
      minNtime: 1_800_000_000,
      nbits: 0x1d00ffff,
    });
    const job = (await prev).job!;
    assert.equal(job.header.kind, 'coinbase');
    const prefixNow = client.channelInfos().find((c) => c.channelId === CHANNEL)!.extranoncePrefix;
    assert.ok(job.header.kind === 'coinbase');
    assert.deepEqual([...job.header.prefix.subarray(-prefixNow.length)], [...prefixNow]);
    const seq = client.submitShare({
      channelId: CHANNEL,
      jobId: job.jobId,
      nonce: findNonce(job, true),
      ntime: job.minNtime,
      version: job.version,
      extranonce: zeroExtranonce(job),
    });
    const submitted = await fake.frames(fake.received.length + 1);
    assert.equal(submitted.at(-1)!.header.msgType, 0x1b, 'SubmitSharesExtended');
    assert.ok(seq >= 0);

    // A frame that does not decode: a typed close.
    const gone = nextEvent(client, 'disconnected');
    // NewExtendedMiningJob whose 3 payload bytes end inside its channel_id.
    fake.connection!.sendPlaintextFrame(Uint8Array.of(0x00, 0x80, 0x1f, 3, 0, 0, 1, 2, 3));
    const d = await gone;
    assert.equal(d.code, 'protocol-error');
    assert.match(d.reason, /malformed/);
  } finally {
    client.close();
    await fake.close();
  }
});

function fzFrame(def: AnyDef, value: Record<string, unknown>): Uint8Array {
  const payload = def.encode(value as never);
  const out = new Uint8Array(6 + payload.length);
  const ext = def.channelMsg ? 0x8000 : 0;
  out[0] = ext & 0xff;
  out[1] = ext >>> 8;
  out[2] = def.msgType;
  out[3] = payload.length;
  out[4] = payload.length >>> 8;
  out[5] = payload.length >>> 16;
  out.set(payload, 6);
  return out;
}

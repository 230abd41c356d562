import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JsonValue } from '../../../src/sv2/codec/field-types.js';
import { encodeFrame } from '../../../src/sv2/codec/frame.js';
import * as m from '../../../src/sv2/messages/mining.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { isOneLineReason, runCliCaptured, spawnCli } from '../../support/cli.js';
import { type FrameVector, normaliseF32, type Sv2FramesFile } from '../../support/sv2-vectors.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface Described {
  headerHex: string;
  extensionTypeRaw: number;
  extensionId: number;
  channelMsg: boolean;
  msgType: number;
  msgLength: number;
  message: string;
  subprotocol: string;
  channelBitMismatch: boolean;
  fields: Array<{ name: string; type: string; value: JsonValue }>;
}

async function inspectJson(hex: string): Promise<Described> {
  const run = await runCliCaptured(['inspect', 'sv2', hex, '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object per line');
  return JSON.parse(lines[0]) as Described;
}

test('inspect sv2 --json names every field of all 65 frames in sv2-frames.json, as the vectors list them', {
  skip: vectorsMissing,
}, async () => {
  const file = readVectorJson<Sv2FramesFile>('sv2/sv2-frames.json');
  const frames: FrameVector[] = [
    ...file.sriFixtures,
    ...file.catalog,
    ...[file.standardSession, file.extendedSession].flatMap((s) =>
      s.frames.map((f) => ({ message: f.message, fields: f.fields, frame: f.frame })),
    ),
  ];
  assert.equal(frames.length, 65);
  for (const v of frames) {
    const d = await inspectJson(v.frame);
    assert.equal(d.message.replace(/ \(.*\)$/, ''), v.message.replace(/\(TDP\)$/, ''), v.frame.slice(0, 12));
    assert.equal(d.headerHex.replace(/ /g, ''), v.frame.slice(0, 12), v.message);
    assert.equal(d.msgLength, v.frame.length / 2 - 6, `${v.message}: msg_length`);
    if (v.msgType !== undefined) assert.equal(d.msgType, v.msgType, v.message);
    if (v.extensionType !== undefined) assert.equal(d.extensionId, v.extensionType, v.message);
    if (v.channelMsg !== undefined) {
      assert.equal(d.channelMsg, v.channelMsg, v.message);
      assert.equal(d.extensionTypeRaw & 0x8000, v.channelMsg ? 0x8000 : 0, `${v.message}: the raw U16 carries the bit`);
    }
    assert.equal(d.channelBitMismatch, false);
    const named = Object.fromEntries(d.fields.map((f) => [f.name, f.value]));
    const f32 = d.fields.filter((f) => f.type === 'F32').map((f) => f.name);
    assert.deepEqual(named, normaliseF32(v.fields, f32), `${v.message}: fields`);
    assert.deepEqual(
      d.fields.map((f) => f.name),
      Object.keys(v.fields),
      `${v.message}: every field, in wire order`,
    );
  }
});

const NEW_MINING_JOB_FIXTURE =
  '008015310000010203040506070801090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30';

test('inspect sv2 in text form shows the header split into its parts and one line per field', async () => {
  const run = await runCliCaptured(['inspect', 'sv2', NEW_MINING_JOB_FIXTURE]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^header\s+00 80 15 31 00 00$/m);
  assert.match(run.stdout, /^extension\s+0x8000: extension 0 \(core\), channel_msg 1$/m);
  assert.match(run.stdout, /^msg_type\s+0x15 NewMiningJob \(mining\)$/m);
  assert.match(run.stdout, /^msg_length\s+49$/m);
  assert.match(run.stdout, /^ {2}channel_id\s+U32\s+67305985 \(0x04030201\)$/m);
  assert.match(run.stdout, /^ {2}job_id\s+U32\s+134678021 \(0x08070605\)$/m);
  assert.match(run.stdout, /^ {2}min_ntime\s+OPTION\[U32\]\s+202050057 \(0x0c0b0a09\)$/m);
  assert.match(run.stdout, /^ {2}version\s+U32\s+269422093 \(0x100f0e0d\)$/m);
  assert.match(run.stdout, /^ {2}merkle_root\s+U256\s+1112131415161718191a1b1c1d1e1f20[0-9a-f]{32}$/m);
  // Pasted with spaces and split over several arguments: the same frame.
  const spaced = NEW_MINING_JOB_FIXTURE.match(/../g)!;
  const again = await runCliCaptured(['inspect', 'sv2', spaced.slice(0, 10).join(' '), ...spaced.slice(10)]);
  assert.equal(again.stdout, run.stdout);
});

test('inspect sv2 reports a channel bit that differs from the spec, and still decodes the frame', async () => {
  // SubmitSharesStandard (a channel message) sent with the bit cleared.
  const frame = '00001a180000010000000200000003000000040000000500000006000000';
  const d = await inspectJson(frame);
  assert.equal(d.message, 'SubmitSharesStandard');
  assert.equal(d.channelMsg, false);
  assert.equal(d.channelBitMismatch, true);
  assert.deepEqual(
    d.fields.map((f) => f.value),
    [1, 2, 3, 4, 5, 6],
  );
  const text = await runCliCaptured(['inspect', 'sv2', frame]);
  assert.match(text.stdout, /channel_msg 0 \(SubmitSharesStandard is sent with channel_msg 1; SRI ignores the bit\)/);
});

const garbage: Array<[string, string[], RegExp]> = [
  ['no frame', ['inspect', 'sv2'], /expected a frame/],
  ['not hex', ['inspect', 'sv2', '0080zz'], /not hex/],
  ['odd length', ['inspect', 'sv2', '008015310'], /odd number/],
  ['a partial header', ['inspect', 'sv2', '008015'], /\(truncated\).*header needs 6 bytes/],
  ['a payload shorter than msg_length', ['inspect', 'sv2', NEW_MINING_JOB_FIXTURE.slice(0, -2)], /\(truncated\).*49/],
  ['bytes after the payload', ['inspect', 'sv2', `${NEW_MINING_JOB_FIXTURE}00`], /\(trailing-bytes\)/],
  ['an unknown message type', ['inspect', 'sv2', '000099000000'], /\(unknown-message\).*0x99/],
  ['an unknown extension', ['inspect', 'sv2', '0300000000'.padEnd(12, '0')], /\(unknown-message\).*extension 3/],
  // NewMiningJob whose OPTION tag is 7: the field is named.
  ['a malformed payload', ['inspect', 'sv2', '008015090000010000000100000007'], /\(bad-option-tag\).*min_ntime/],
  // OpenStandardMiningChannel whose user_identity claims 200 bytes of a 4-byte rest.
  ['a forged string length', ['inspect', 'sv2', '0000100900000a000000c800000000'], /\(truncated\).*user_identity/],
  ['an unknown flag', ['inspect', 'sv2', NEW_MINING_JOB_FIXTURE, '--frobnicate'], /frobnicate/],
];

for (const [name, argv, reason] of garbage) {
  test(`inspect sv2 on ${name} exits 2 with a one-line reason`, async () => {
    const run = await runCliCaptured(argv);
    assert.equal(run.code, 2, run.stdout);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, reason);
    assert.ok(isOneLineReason(run.stderr), run.stderr);
  });
}

test('the built binary: inspect sv2 prints JSON and exits 0; an unknown message exits 2 with one line', async () => {
  const ok = await spawnCli(['inspect', 'sv2', NEW_MINING_JOB_FIXTURE, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as Described).message, 'NewMiningJob');
  const bad = await spawnCli(['inspect', 'sv2', '000099000000']);
  assert.equal(bad.code, 2);
  assert.ok(isOneLineReason(bad.stderr), bad.stderr);
});

test('inspect sv2 decodes the extended and group channel messages field by field (frames built here, no vectors)', async () => {
  const prefix = Uint8Array.from({ length: 43 }, (_, i) => i);
  const cases: Array<[string, Uint8Array, Record<string, JsonValue>]> = [
    [
      'OpenExtendedMiningChannel',
      encodeFrame(m.OpenExtendedMiningChannel, {
        requestId: 3,
        userIdentity: 'acct.rig',
        nominalHashRate: 1,
        maxTarget: new Uint8Array(32).fill(0xff),
        minExtranonceSize: 8,
      }),
      { request_id: 3, user_identity: 'acct.rig', min_extranonce_size: 8 },
    ],
    [
      'OpenExtendedMiningChannel.Success',
      encodeFrame(m.OpenExtendedMiningChannelSuccess, {
        requestId: 3,
        channelId: 5,
        target: new Uint8Array(32).fill(0xff),
        extranonceSize: 8,
        extranoncePrefix: Uint8Array.of(0xaa, 0xbb),
        groupChannelId: 6,
      }),
      { channel_id: 5, extranonce_size: 8, extranonce_prefix: 'aabb', group_channel_id: 6 },
    ],
    [
      'NewExtendedMiningJob',
      encodeFrame(m.NewExtendedMiningJob, {
        channelId: 6,
        jobId: 9,
        minNtime: null,
        version: 0x20000000,
        versionRollingAllowed: true,
        merklePath: [new Uint8Array(32).fill(1)],
        coinbaseTxPrefix: prefix,
        coinbaseTxSuffix: Uint8Array.of(0xff, 0xff, 0xff, 0xff),
      }),
      {
        channel_id: 6,
        job_id: 9,
        min_ntime: null,
        version_rolling_allowed: true,
        merkle_path: ['01'.repeat(32)],
        coinbase_tx_prefix: bytesToHex(prefix),
        coinbase_tx_suffix: 'ffffffff',
      },
    ],
    [
      'SetGroupChannel',
      encodeFrame(m.SetGroupChannel, { groupChannelId: 6, channelIds: [5, 7] }),
      { group_channel_id: 6, channel_ids: [5, 7] },
    ],
    [
      'SetExtranoncePrefix',
      encodeFrame(m.SetExtranoncePrefix, { channelId: 5, extranoncePrefix: Uint8Array.of(1, 2, 3) }),
      { channel_id: 5, extranonce_prefix: '010203' },
    ],
    [
      'SubmitSharesExtended',
      encodeFrame(m.SubmitSharesExtended, {
        channelId: 5,
        sequenceNumber: 1,
        jobId: 9,
        nonce: 7,
        ntime: 8,
        version: 0x20000000,
        extranonce: Uint8Array.of(0, 0, 0, 1),
      }),
      { channel_id: 5, sequence_number: 1, job_id: 9, extranonce: '00000001' },
    ],
  ];
  for (const [name, frame, expected] of cases) {
    const d = await inspectJson(bytesToHex(frame));
    assert.equal(d.message, name);
    assert.equal(d.subprotocol, 'mining');
    assert.equal(d.channelBitMismatch, false, `${name}: the channel bit the spec fixes`);
    const named = Object.fromEntries(d.fields.map((f) => [f.name, f.value]));
    for (const [field, value] of Object.entries(expected)) assert.deepEqual(named[field], value, `${name}.${field}`);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sv2EncodeError, Sv2ProtocolError } from '../../../../src/sv2/codec/errors.js';
import {
  B0_32,
  B0_64K,
  F32,
  OPTION,
  SEQ0_64K,
  SEQ0_255,
  STR0_255,
  U24,
  U64,
  U256,
} from '../../../../src/sv2/codec/field-types.js';
import { encodeFrame, splitFrame } from '../../../../src/sv2/codec/frame.js';
import { decodeFrameHeader, encodeFrameHeader } from '../../../../src/sv2/codec/frame-header.js';
import { defineMessage } from '../../../../src/sv2/codec/message.js';
import * as errorCodes from '../../../../src/sv2/messages/error-codes.js';
import { NewMiningJob, SubmitSharesStandard } from '../../../../src/sv2/messages/mining.js';
import { ALL_MESSAGES, decodeFrameBytes, messageDefFor } from '../../../../src/sv2/messages/registry.js';
import { bytesToHex, hexToBytes } from '../../../../src/util/hex.js';
import { readVectorJson, vectorsMissing } from '../../../support/vectors.js';

interface FramingFile {
  frames: Array<{
    name: string;
    bytes?: string;
    headerBytes?: string;
    extensionType?: number;
    msgType?: number;
    msgLength?: number;
    expectedSizeHint?: number;
  }>;
  messageTypes: Array<{ subprotocol: string; message: string; msgType: string; channelBit: boolean }>;
  errorCodes: Array<{ name: string; value: string }>;
}

const framing = vectorsMissing ? null : readVectorJson<FramingFile>('sv2/sri-framing-and-message-types.json');

test('sri-framing: both header examples decode (little-endian fields, channel bit, U24 length)', {
  skip: vectorsMissing,
}, () => {
  const [a, b] = framing!.frames;
  const h = decodeFrameHeader(hexToBytes(a.bytes!));
  assert.deepEqual(h, {
    extensionType: a.extensionType,
    channelMsg: false,
    msgType: a.msgType,
    msgLength: a.msgLength,
  });
  const out = new Uint8Array(6);
  encodeFrameHeader(h, out);
  assert.equal(bytesToHex(out), a.bytes);
  const hint = decodeFrameHeader(hexToBytes(b.headerBytes!));
  assert.equal(hint.channelMsg, true);
  assert.equal(hint.extensionType, 0);
  assert.equal(hint.msgType, 0x1e);
  assert.equal(hint.msgLength, b.expectedSizeHint, 'bytes still needed after the header = msg_length');
});

test('sri-framing: all 44 message type ids and channel bits match our definitions', { skip: vectorsMissing }, () => {
  assert.equal(framing!.messageTypes.length, 44);
  for (const m of framing!.messageTypes) {
    const ext = m.subprotocol.includes('0x0001') ? 1 : 0;
    const def = messageDefFor(ext, Number(m.msgType));
    assert.ok(def, `${m.message} has a definition`);
    assert.equal(def.channelMsg, m.channelBit, `${m.message} channel bit`);
    const constant = def.name
      .replace(/ \(.*\)$/, '')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .replace('.', '_')
      .toUpperCase();
    assert.ok(m.message.endsWith(constant), `${m.message} ↔ ${def.name}`);
  }
  assert.equal(ALL_MESSAGES.length, 44);
});

test('sri-framing: all 44 SRI error-code strings are spelled the same here', { skip: vectorsMissing }, () => {
  const ours = new Set<string>();
  for (const group of Object.values(errorCodes)) for (const v of Object.values(group)) ours.add(v);
  assert.equal(framing!.errorCodes.length, 44);
  for (const e of framing!.errorCodes) assert.ok(ours.has(e.value), `${e.name} = ${e.value}`);
});

const job = {
  channelId: 1,
  jobId: 2,
  minNtime: 1745596931,
  version: 0x20000000,
  merkleRoot: new Uint8Array(32).fill(7),
};

test('decoding stops at the frame: truncation anywhere is a typed error naming the field', () => {
  const frame = encodeFrame(NewMiningJob, job);
  for (let cut = 0; cut < frame.length; cut++) {
    assert.throws(
      () => decodeFrameBytes(frame.subarray(0, cut)),
      (e: unknown) => e instanceof Sv2ProtocolError && e.code === 'truncated',
      `cut at ${cut}`,
    );
  }
  // A header that is honest about a short payload: the field that runs out is named.
  const payload = NewMiningJob.encode(job).subarray(0, 20);
  assert.throws(
    () => NewMiningJob.decode(payload),
    (e: unknown) => e instanceof Sv2ProtocolError && /NewMiningJob\.merkle_root/.test(e.message),
  );
});

test('trailing bytes, bad OPTION tags and over-long byte strings are refused', () => {
  const frame = encodeFrame(NewMiningJob, job);
  assert.throws(
    () => decodeFrameBytes(Uint8Array.of(...frame, 0)),
    (e: unknown) => e instanceof Sv2ProtocolError && e.code === 'trailing-bytes',
  );
  const payload = NewMiningJob.encode(job);
  const withExtra = Uint8Array.of(...payload, 9);
  assert.throws(
    () => NewMiningJob.decode(withExtra),
    (e: unknown) => e instanceof Sv2ProtocolError && e.code === 'trailing-bytes',
  );
  const badTag = payload.slice();
  badTag[8] = 2;
  assert.throws(
    () => NewMiningJob.decode(badTag),
    (e: unknown) => e instanceof Sv2ProtocolError && e.code === 'bad-option-tag',
  );
  const Msg = defineMessage({ name: 'Test', msgType: 0xfe, channelMsg: false, fields: [['x', B0_32]] });
  const long = Uint8Array.of(33, ...new Uint8Array(33));
  assert.throws(
    () => Msg.decode(long),
    (e: unknown) => e instanceof Sv2ProtocolError && e.code === 'length-exceeds-max',
  );
});

test('forged sequence counts are refused before looping or allocating', () => {
  const Msg = defineMessage({ name: 'Seq', msgType: 0xfd, channelMsg: false, fields: [['list', SEQ0_64K(U256)]] });
  // Claims 65535 U256 values (2 MiB) in a 10-byte payload.
  const forged = Uint8Array.of(0xff, 0xff, ...new Uint8Array(8));
  assert.throws(
    () => Msg.decode(forged),
    (e: unknown) => e instanceof Sv2ProtocolError && /65535 elements/.test(e.message),
  );
});

test('unknown message types are a typed error; a wrong channel bit is reported, not fatal', () => {
  const frame = Uint8Array.of(0x00, 0x00, 0x99, 0, 0, 0);
  assert.throws(
    () => decodeFrameBytes(frame),
    (e: unknown) => e instanceof Sv2ProtocolError && e.code === 'unknown-message',
  );
  const share = encodeFrame(SubmitSharesStandard, {
    channelId: 1,
    sequenceNumber: 2,
    jobId: 3,
    nonce: 4,
    ntime: 5,
    version: 6,
  });
  share[1] &= 0x7f; // clear the channel bit
  const decoded = decodeFrameBytes(share);
  assert.equal(decoded.channelBitMismatch, true);
  assert.equal(decoded.def, SubmitSharesStandard);
});

test('every type round-trips at its limits; values that do not fit raise Sv2EncodeError naming the field', () => {
  const Msg = defineMessage({
    name: 'Limits',
    msgType: 0xfc,
    channelMsg: false,
    fields: [
      ['u24', U24],
      ['u64', U64],
      ['f32', F32],
      ['s', STR0_255],
      ['b', B0_64K],
      ['o', OPTION(SEQ0_255(U24))],
    ],
  });
  const value = {
    u24: 0xffffff,
    u64: (1n << 64n) - 1n,
    f32: Math.fround(1.0e12),
    s: 'é'.repeat(127), // 254 UTF-8 bytes
    b: new Uint8Array(65535).fill(3),
    o: [1, 2, 0xffffff],
  };
  const back = Msg.decode(Msg.encode(value));
  assert.deepEqual({ ...back, b: back.b.length }, { ...value, b: 65535 });
  assert.throws(
    () => Msg.encode({ ...value, s: 'é'.repeat(128) }),
    (e: unknown) => e instanceof Sv2EncodeError && /Limits\.s/.test(e.message),
  );
  assert.throws(() => Msg.encode({ ...value, u24: 1 << 24 }), Sv2EncodeError);
  assert.throws(() => Msg.encode({ ...value, u64: -1n }), Sv2EncodeError);
  assert.throws(() => Msg.encode({ ...value, b: new Uint8Array(65536) }), Sv2EncodeError);
  // Byte fields decode as views into the payload (zero copy).
  const payload = Msg.encode(value);
  assert.equal(Msg.decode(payload).b.buffer, payload.buffer);
  assert.equal(splitFrame(encodeFrame(Msg, value)).payload.length, payload.length);
});

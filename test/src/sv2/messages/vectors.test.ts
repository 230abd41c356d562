import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame } from '../../../../src/sv2/codec/frame.js';
import { ALL_MESSAGES, decodeFrameBytes, messageDefFor } from '../../../../src/sv2/messages/registry.js';
import { bytesToHex, hexToBytes } from '../../../../src/util/hex.js';
import { type FrameVector, normaliseF32, type Sv2FramesFile } from '../../../support/sv2-vectors.js';
import { readVectorJson, vectorsMissing } from '../../../support/vectors.js';

const file = vectorsMissing ? null : readVectorJson<Sv2FramesFile>('sv2/sv2-frames.json');

function f32Fields(defName: string): string[] {
  const def = ALL_MESSAGES.find((d) => d.name === defName);
  return def ? def.fields.filter((f) => f.type.name === 'F32').map((f) => f.wireName) : [];
}

/** Decodes the vector's frame, compares every field, re-encodes from the decoded value and from the JSON. */
function checkFrame(v: FrameVector): void {
  const bytes = hexToBytes(v.frame);
  const decoded = decodeFrameBytes(bytes);
  if (v.msgType !== undefined) assert.equal(decoded.def.msgType, v.msgType, v.message);
  if (v.extensionType !== undefined) assert.equal(decoded.def.extensionType, v.extensionType, v.message);
  if (v.channelMsg !== undefined) assert.equal(decoded.frame.header.channelMsg, v.channelMsg, v.message);
  if (v.payloadLength !== undefined) {
    assert.equal(decoded.frame.header.msgLength, v.payloadLength, `${v.message}: msg_length`);
    assert.equal(bytes.length, 6 + v.payloadLength, `${v.message}: frame size`);
  }
  assert.equal(decoded.channelBitMismatch, false, `${v.message}: the vector uses the spec's channel bit`);
  assert.equal(decoded.def.name.replace(/ \(.*\)$/, ''), v.message.replace(/\(TDP\)$/, ''));
  assert.deepEqual(decoded.def.toJson(decoded.value), normaliseF32(v.fields, f32Fields(decoded.def.name)), v.message);
  assert.equal(bytesToHex(encodeFrame(decoded.def, decoded.value)), v.frame, `${v.message}: re-encoded`);
}

test('sv2-frames.json: both SRI fixtures decode field by field and re-encode byte for byte', {
  skip: vectorsMissing,
}, () => {
  assert.equal(file!.sriFixtures.length, 2);
  for (const v of file!.sriFixtures) checkFrame(v);
});

test('sv2-frames.json: all 48 catalog frames decode, name every field, and re-encode', { skip: vectorsMissing }, () => {
  assert.equal(file!.catalog.length, 48);
  for (const v of file!.catalog) checkFrame(v);
});

test('sv2-frames.json: standard and extended session frames round-trip', { skip: vectorsMissing }, () => {
  let n = 0;
  for (const s of [file!.standardSession, file!.extendedSession]) {
    for (const f of s.frames) {
      checkFrame({ message: f.message, fields: f.fields, frame: f.frame });
      n++;
    }
  }
  assert.equal(n, 15);
});

test('every catalog message type has exactly one definition and the catalog covers every definition', {
  skip: vectorsMissing,
}, () => {
  const seen = new Set<string>();
  for (const v of file!.catalog) {
    const def = messageDefFor(v.extensionType ?? 0, v.msgType ?? -1);
    assert.ok(def, v.message);
    seen.add(def.name);
  }
  assert.deepEqual(
    ALL_MESSAGES.map((d) => d.name).filter((n) => !seen.has(n)),
    [],
    'a definition with no vector',
  );
});

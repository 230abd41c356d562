/**
 * Bounded, seeded fuzzing of the plaintext decoder and the encrypted frame reader: random bytes, random
 * well-formed frames of every message, and mutations of them. Decoding untrusted bytes may only ever succeed
 * or throw Sv2ProtocolError; a forged length is refused before anything is allocated for it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sv2ProtocolError, type Sv2ProtocolErrorCode } from '../../../../src/sv2/codec/errors.js';
import { encodeFrame } from '../../../../src/sv2/codec/frame.js';
import { FRAME_HEADER_BYTES } from '../../../../src/sv2/codec/frame-header.js';
import { describeFrame } from '../../../../src/sv2/messages/describe.js';
import { ALL_MESSAGES, decodeFrameBytes } from '../../../../src/sv2/messages/registry.js';
import { CipherState } from '../../../../src/sv2/noise/cipher-state.js';
import { NoiseError } from '../../../../src/sv2/noise/errors.js';
import {
  ENCRYPTED_HEADER_BYTES,
  EncryptedFrameReader,
  EncryptedFrameWriter,
  encryptedFrameLength,
} from '../../../../src/sv2/noise/frame-cipher.js';
import { bytesToHex } from '../../../../src/util/hex.js';
import { Prng } from '../../../support/prng.js';
import { encryptPlaintextFrame, FrameFuzzer } from '../../../support/sv2-fuzz.js';

const DECODER_INPUTS = 120_000;

test(`decoder fuzz: ${DECODER_INPUTS} random, well-formed and mutated frames; only typed errors, round trips exact`, () => {
  const fz = new FrameFuzzer(new Prng(0x5f2a));
  const outcomes = new Map<string, number>();
  const count = (k: string): void => {
    outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  };
  let roundTrips = 0;
  const roundTripped = new Set<string>();
  for (let i = 0; i < DECODER_INPUTS; i++) {
    const def = fz.pick(ALL_MESSAGES);
    let bytes: Uint8Array;
    const kind = fz.rng.int(10);
    if (kind === 0) bytes = fz.rng.bytes(fz.rng.int(96));
    else if (kind === 1) {
      // A consistent header (msg_length = what follows) with any extension, type and channel bit: random payloads
      // for known messages, and unknown messages.
      const payload = fz.rng.bytes(fz.rng.int(64));
      const ext = fz.chance(0.7) ? 0 : fz.rng.int(4);
      const ch = fz.chance(0.5) ? 0x80 : 0;
      bytes = Uint8Array.of(ext, (ext >> 8) | ch, fz.rng.int(256), payload.length, 0, 0, ...payload);
    } else bytes = fz.frame(def);
    const wellFormed = kind >= 8;
    if (!wellFormed && kind >= 2) bytes = fz.mutate(bytes);
    let decodedName: string | null = null;
    try {
      const d = decodeFrameBytes(bytes);
      decodedName = d.def.name;
      count('decoded');
      if (wellFormed) {
        assert.equal(bytesToHex(encodeFrame(d.def, d.value)), bytesToHex(bytes), `${def.name}: round trip`);
        roundTrips++;
        roundTripped.add(d.def.name);
      }
    } catch (err) {
      if (!(err instanceof Sv2ProtocolError)) throw err;
      assert.ok(!wellFormed, `a well-formed ${def.name} was refused: ${err.message}`);
      count(err.code);
    }
    // Inspection decodes with the same tables: it must agree (one in ten, it is slower).
    if (i % 10 === 0) {
      let described: string | null = null;
      try {
        described = describeFrame(bytes).message;
      } catch (err) {
        if (!(err instanceof Sv2ProtocolError)) throw err;
      }
      assert.equal(described, decodedName);
    }
  }
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
  assert.equal(total, DECODER_INPUTS);
  assert.ok(roundTrips > 15_000, `${roundTrips} round trips`);
  // Every message of every sub-protocol went through, the extended and group channel ones among them.
  assert.deepEqual(
    ALL_MESSAGES.map((d) => d.name).filter((n) => !roundTripped.has(n)),
    [],
    'messages never round-tripped',
  );
  for (const name of [
    'OpenExtendedMiningChannel.Success',
    'NewExtendedMiningJob',
    'SetGroupChannel',
    'SetExtranoncePrefix',
    'SubmitSharesExtended',
  ]) {
    assert.ok(roundTripped.has(name), name);
  }
  // Every way of refusing bytes was reached: the mutations exercise each check.
  const expected: Sv2ProtocolErrorCode[] = [
    'truncated',
    'trailing-bytes',
    'length-exceeds-max',
    'bad-option-tag',
    'unknown-message',
  ];
  for (const code of expected) assert.ok((outcomes.get(code) ?? 0) >= 10, `${code}: ${outcomes.get(code) ?? 0}`);
  assert.ok((outcomes.get('decoded') ?? 0) > 30_000);
});

/** Byte offset and width of the length prefix of field `index` in a payload encoding `value`. */
function prefixAt(def: (typeof ALL_MESSAGES)[number], value: Record<string, unknown>, index: number): number {
  let offset = FRAME_HEADER_BYTES;
  for (let k = 0; k < index; k++) {
    const f = def.fields[k];
    offset += f.type.size(value[f.key], f.wireName);
  }
  return offset;
}

test('every length prefix and element count of every message, forged to its maximum, is refused before use', () => {
  const fz = new FrameFuzzer(new Prng(77));
  let forged = 0;
  for (const def of ALL_MESSAGES) {
    def.fields.forEach((field, index) => {
      const name = field.type.name;
      const width = /^(B0_32|B0_255|STR0_255|SEQ0_255)/.test(name)
        ? 1
        : /^(B0_64K|SEQ0_64K)/.test(name)
          ? 2
          : name.startsWith('B0_16M')
            ? 3
            : 0;
      if (width === 0) return;
      const value = fz.message(def) as Record<string, unknown>;
      value[field.key] = name.startsWith('SEQ') ? [] : name === 'STR0_255' ? '' : new Uint8Array(0);
      const frame = encodeFrame(def, value as never);
      const at = prefixAt(def, value, index);
      for (let b = 0; b < width; b++) frame[at + b] = 0xff;
      assert.throws(
        () => decodeFrameBytes(frame),
        (e: unknown) =>
          e instanceof Sv2ProtocolError &&
          (e.code === 'truncated' || e.code === 'length-exceeds-max') &&
          e.message.includes(`${def.name}.${field.wireName}`) &&
          // A sequence is refused on its count alone, before a single element is read or stored.
          (!name.startsWith('SEQ') || /claims \d+ elements/.test(e.message)),
        `${def.name}.${field.wireName} (${name})`,
      );
      forged++;
    });
  }
  assert.ok(forged >= 40, `${forged} length fields forged`);
});

test('a forged frame length: refused from the 22-byte header alone; an allowed one allocates nothing until it arrives', () => {
  const key = new Uint8Array(32).fill(9);
  const header = Uint8Array.of(0x00, 0x80, 0x1f, 0xff, 0xff, 0xff); // NewExtendedMiningJob of 16 MiB - 1
  const reader = new EncryptedFrameReader(new CipherState(key), 1 << 20);
  reader.push(encryptPlaintextFrame(new CipherState(key), header));
  assert.throws(
    () => reader.next(),
    (e: unknown) => e instanceof Sv2ProtocolError && e.code === 'frame-too-large' && /16777215/.test(e.message),
  );
  // A length under the limit: the reader waits, holding only the header it already consumed.
  const allowed = Uint8Array.of(0x00, 0x80, 0x1f, 0x00, 0x00, 0x10); // 1 MiB exactly
  const waiting = new EncryptedFrameReader(new CipherState(key), 1 << 20);
  waiting.push(encryptPlaintextFrame(new CipherState(key), allowed).subarray(0, ENCRYPTED_HEADER_BYTES));
  assert.equal(waiting.next(), null);
  assert.equal(waiting.bufferedBytes, 0);
});

test('encrypted reassembly fuzz: 3000 frames of every message cut at random points come out whole and in order', () => {
  const fz = new FrameFuzzer(new Prng(4242));
  const key = fz.rng.bytes(32);
  const writer = new EncryptedFrameWriter(new CipherState(key));
  const reader = new EncryptedFrameReader(new CipherState(key), 1 << 20);
  const sent: string[] = [];
  const stream: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) {
    const def = fz.pick(ALL_MESSAGES);
    const value = fz.message(def);
    const enc = writer.write(def, value);
    assert.equal(enc.length, encryptedFrameLength(def.size(value)));
    stream.push(enc.slice());
    sent.push(bytesToHex(def.encode(value)));
  }
  const all = Uint8Array.from(stream.flatMap((s) => [...s]));
  const received: string[] = [];
  for (let at = 0; at < all.length; ) {
    const n = 1 + fz.rng.int(fz.chance(0.5) ? 8 : 400);
    reader.push(all.subarray(at, at + n));
    at += n;
    for (let f = reader.next(); f !== null; f = reader.next()) received.push(bytesToHex(f.payload));
  }
  assert.equal(received.length, sent.length);
  assert.deepEqual(received, sent);
  // And a stream with one byte changed anywhere stops at a typed error, never with a wrong frame.
  const head = Uint8Array.from(stream.slice(0, 50).flatMap((s) => [...s]));
  for (let trial = 0; trial < 200; trial++) {
    const bad = head.slice();
    bad[fz.rng.int(bad.length)] ^= 1 + fz.rng.int(255);
    const r = new EncryptedFrameReader(new CipherState(key), 1 << 20);
    r.push(bad);
    let frames = 0;
    try {
      while (r.next() !== null) frames++;
    } catch (err) {
      assert.ok(
        (err instanceof NoiseError && err.code === 'frame-auth-failed') ||
          (err instanceof Sv2ProtocolError && err.code === 'frame-too-large'),
        String(err),
      );
      continue;
    }
    assert.fail(`a corrupted stream yielded ${frames} frames and no error`);
  }
});

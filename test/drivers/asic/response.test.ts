import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chipModel, jobIdFromReply, replyResultHeader, subcoreFromReply } from '../../../drivers/asic/chip-model.js';
import { FrameError } from '../../../drivers/asic/errors.js';
import {
  decodeResponse,
  encodeNonceReply,
  encodeRegisterReply,
  responseValid,
} from '../../../drivers/asic/response.js';
import { difficultyOfHash, sha256d } from '../../../src/bitcoin/index.js';
import { bytesToHex, bytesToHexReversed } from '../../../src/util/hex.js';
import { hex, stratumPrevHashToHeader } from '../../support/bm13xx.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface ResponseVector {
  name: string;
  chip: string;
  hex: string;
  decoded: {
    type: number;
    registerValue?: string;
    chipAddress?: string;
    register?: string;
    nonceLE?: string;
    nonceBE?: string;
    coreId_bits31_25_of_nonceBE?: number;
    excessDifficultyByte?: string;
    resultHeader?: string;
    byte6?: string;
    byte7?: string;
    espJobId?: string;
    subcore?: number;
    midstateIndex?: number;
    versionField?: string;
    rolledVersionBits?: string;
    chipAddress_fromBits24_18?: string;
  };
}

const modelFor = (chip: string) => chipModel(chip === 'bm1362' ? 'bm1366' : (chip as 'bm1397' | 'bm1370'));

test('every captured response decodes to the fields the sources give, and re-encodes identically', {
  skip: vectorsMissing,
}, () => {
  const responses = readVectorJson<{ responses: ResponseVector[] }>('bm13xx/spec-crosscheck.json').responses;
  assert.ok(responses.length >= 9);
  for (const v of responses) {
    const b = hex(v.hex);
    assert.ok(responseValid(b, 0, b.length), v.name);
    const r = decodeResponse(b);
    const d = v.decoded;
    if (r.kind === 'register') {
      assert.equal(d.type, 0, v.name);
      assert.equal(r.value, Number.parseInt(d.registerValue as string, 16), v.name);
      assert.equal(r.chipAddress, Number.parseInt(d.chipAddress as string, 16), v.name);
      assert.equal(r.register, Number.parseInt(d.register as string, 16), v.name);
      const again = encodeRegisterReply(b.length as 9 | 11, r.value, r.chipAddress, r.register);
      assert.equal(bytesToHex(again), v.hex, v.name);
      continue;
    }
    assert.equal(d.type, 4, v.name);
    const model = modelFor(v.chip);
    assert.equal(r.nonce, Number.parseInt(d.nonceLE as string, 16), v.name);
    assert.equal(r.nonceBE, Number.parseInt(d.nonceBE as string, 16), v.name);
    assert.equal(r.nonceBE >>> 25, d.coreId_bits31_25_of_nonceBE, v.name);
    assert.equal(jobIdFromReply(model, r.resultHeader), Number.parseInt(d.espJobId as string, 16), v.name);
    if (d.subcore !== undefined) assert.equal(subcoreFromReply(model, r.resultHeader), d.subcore, v.name);
    if (d.midstateIndex !== undefined) assert.equal(subcoreFromReply(model, r.resultHeader), d.midstateIndex, v.name);
    if (d.versionField !== undefined) {
      assert.equal(r.versionField, Number.parseInt(d.versionField, 16), v.name);
      assert.equal(
        ((r.versionField as number) << 13) >>> 0,
        Number.parseInt(d.rolledVersionBits as string, 16),
        v.name,
      );
    } else {
      assert.equal(r.versionField, null, v.name);
    }
    if (d.chipAddress_fromBits24_18 !== undefined) {
      assert.equal(((r.nonceBE >>> 18) & 0x7f) << 1, Number.parseInt(d.chipAddress_fromBits24_18, 16), v.name);
    }
    // The chip side builds the same bytes (CRC5 with the type bits included).
    const header = replyResultHeader(
      model,
      jobIdFromReply(model, r.resultHeader),
      subcoreFromReply(model, r.resultHeader),
    );
    assert.equal(header, r.resultHeader, v.name);
    const again = encodeNonceReply(b.length as 9 | 11, r.nonceBE, r.byte6, header, r.versionField ?? 0);
    assert.equal(bytesToHex(again), v.hex, v.name);
  }
});

test('the BM1370 round trip: reply → job 0x68, version 0x20B44000 → the accepted share (difficulty 29588)', {
  skip: vectorsMissing,
}, () => {
  const v = readVectorJson<{
    stratum: { prevHashStratum: string; ntime: string; nbits: string; version: string };
    merkleRootHeaderOrder: string;
    nonceResponseFromChip: string;
    expected: { nonce: string; rolledVersion: string; blockHash: string; difficulty: number };
  }>('bm13xx/bm1370-roundtrip-capture.json');
  const r = decodeResponse(hex(v.nonceResponseFromChip));
  assert.equal(r.kind, 'nonce');
  if (r.kind !== 'nonce') return;
  const bm1370 = chipModel('bm1370');
  assert.equal(jobIdFromReply(bm1370, r.resultHeader), 0x68);
  const version = (Number.parseInt(v.stratum.version, 16) | ((r.versionField as number) << 13)) >>> 0;
  assert.equal(version, Number.parseInt(v.expected.rolledVersion, 16));
  assert.equal(r.nonce, Number.parseInt(v.expected.nonce, 16));
  const header = new Uint8Array(80);
  const view = new DataView(header.buffer);
  view.setUint32(0, version, true);
  header.set(stratumPrevHashToHeader(v.stratum.prevHashStratum), 4);
  header.set(hex(v.merkleRootHeaderOrder), 36);
  view.setUint32(68, Number.parseInt(v.stratum.ntime, 16), true);
  view.setUint32(72, Number.parseInt(v.stratum.nbits, 16), true);
  header.set(hex(v.nonceResponseFromChip).subarray(2, 6), 76); // reply bytes 2..5 go into the header unchanged
  const hash = sha256d(header);
  assert.equal(bytesToHexReversed(hash), v.expected.blockHash);
  assert.ok(Math.abs(difficultyOfHash(hash) - v.expected.difficulty) < 0.01);
});

test('block 839900 (BM1366): chip address and core from nonce bits, headers hash to the logged hashes', {
  skip: vectorsMissing,
}, () => {
  const kb = readVectorJson<{
    bm1366KnownBlock: {
      results: Array<{
        nonce: number;
        nonceBytesOnWire: string;
        rolledVersion: string;
        versionField: string;
        chipAddressWhenFound: string;
        coreIdBits31_25: number;
        header80: string;
        blockHashDisplay: string;
      }>;
    };
  }>('bm13xx/spec-crosscheck.json').bm1366KnownBlock;
  const bm1366 = chipModel('bm1366');
  for (const res of kb.results) {
    const nonceBE = Number.parseInt(res.nonceBytesOnWire, 16);
    // What the chip sent (job 0x08 from sub-core = low 3 bits of the version field), through the real decoder.
    const field = Number.parseInt(res.versionField, 16);
    const frame = encodeNonceReply(11, nonceBE, 0, replyResultHeader(bm1366, 0x08, field & 7), field);
    const r = decodeResponse(frame);
    if (r.kind !== 'nonce') throw new Error('not a nonce');
    assert.equal(r.nonce, res.nonce);
    assert.equal(((r.nonceBE >>> 18) & 0x7f) << 1, Number.parseInt(res.chipAddressWhenFound, 16));
    assert.equal(r.nonceBE >>> 25, res.coreIdBits31_25);
    assert.equal((0x20000000 | ((r.versionField as number) << 13)) >>> 0, Number.parseInt(res.rolledVersion, 16));
    const header = hex(res.header80);
    assert.equal(bytesToHex(header.subarray(76)), res.nonceBytesOnWire);
    assert.equal(bytesToHexReversed(sha256d(header)), res.blockHashDisplay);
  }
});

test("mujina's captured replies: valid, decoded, re-encoded identically; its bad-CRC frame is refused", () => {
  const bm1370 = chipModel('bm1370');
  // BM1370 chip id read before version rolling is on: 9 bytes (mujina's CRC5 test).
  const id = decodeResponse(hex('aa5513700000000006'));
  assert.deepEqual(id, { kind: 'register', value: 0x13700000, chipAddress: 0, register: 0 });
  assert.equal(bytesToHex(encodeRegisterReply(9, 0x13700000, 0, 0)), 'aa5513700000000006');
  // Bitaxe Gamma nonce (mujina decodes: nonce 0x40A60018, byte 6 = 2, job nibble 9, sub-core 9, version 22 F9).
  const n = decodeResponse(hex('aa551800a640029922f991'));
  assert.equal(n.kind, 'nonce');
  if (n.kind !== 'nonce') return;
  assert.equal(n.nonce, 0x40a60018);
  assert.equal(n.byte6, 0x02);
  assert.equal(n.resultHeader >>> 4, 9);
  assert.equal(jobIdFromReply(bm1370, n.resultHeader), 9 << 3);
  assert.equal(subcoreFromReply(bm1370, n.resultHeader), 9);
  assert.equal(n.versionField, 0x22f9);
  // Core id: ESP-Miner reads bits 31..25 of the big-endian nonce (12 here); mujina's unit test reads the
  // little-endian value (32). README.md, "Where sources disagree", says which we follow.
  assert.equal(n.nonceBE >>> 25, 12);
  // S21 Pro nonces from mujina's framer tests.
  for (const frame of ['aa557b8d81600255008581', 'aa55322a845a025201b28c', 'aa55500341d6008118019b']) {
    const r = decodeResponse(hex(frame));
    assert.equal(r.kind, 'nonce', frame);
    if (r.kind !== 'nonce') continue;
    const again = encodeNonceReply(11, r.nonceBE, r.byte6, r.resultHeader, r.versionField ?? 0);
    assert.equal(bytesToHex(again), frame);
  }
  assert.equal(responseValid(hex('aa551370000000000000ff'), 0, 11), false);
  assert.throws(() => decodeResponse(hex('aa551370000000000000ff')), FrameError);
});

test('register replies: BM1370 chip id (11 bytes), BM1397 chip id and a fresh BM1370 (9 bytes)', () => {
  assert.equal(bytesToHex(encodeRegisterReply(11, 0x13700000, 0, 0)), 'aa55137000000000000010');
  assert.equal(bytesToHex(encodeRegisterReply(9, 0x13971800, 0, 0)), 'aa5513971800000006');
  assert.equal(bytesToHex(encodeRegisterReply(9, 0x0000c100, 0, 0x18)), 'aa550000c100001802');
});

test('decodeResponse rejects wrong sizes, preambles, types and CRCs', () => {
  assert.throws(() => decodeResponse(hex('aa55137000000000000011')), /CRC5 mismatch/);
  assert.throws(() => decodeResponse(hex('aa55000000')), FrameError);
  assert.throws(() => decodeResponse(hex('55aa137000000000000010')), /starts with AA 55/);
  assert.throws(() => decodeResponse(hex('aa55137000000000000030')), /type 1/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DIFF1_TARGET,
  difficultyFromTarget,
  difficultyOfHash,
  difficultyOfStateWords,
  hashMeetsTarget,
  hashToBigInt,
  headerHash,
  leBytesToTarget,
  nbitsToTarget,
  sha256dFromMidstate,
  sha256Midstate,
  stateWordsMeetTarget,
  stateWordsToBytes,
  targetFromDifficulty,
  targetToLeBytes,
  targetToLimbs,
  targetToNbits,
} from '../../../src/bitcoin/index.js';
import { hexToBytes } from '../../../src/util/hex.js';
import { Prng } from '../../support/prng.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

test('nbits ⇄ target round trips', () => {
  const cases: Array<[number, bigint]> = [
    [0x1d00ffff, 0xffffn << 208n],
    [0x1707a429, 0x07a429n << 160n],
    [0x207fffff, 0x7fffffn << 232n],
  ];
  for (const [bits, target] of cases) {
    assert.equal(nbitsToTarget(bits), target, `nbits 0x${bits.toString(16)}`);
    assert.equal(targetToNbits(target), bits, `target of 0x${bits.toString(16)}`);
  }
});

test('targetToNbits rounds down to 3 significant bytes and normalises the sign bit', () => {
  // 0x80 in the top mantissa byte would read as negative: GetCompact shifts it into the exponent.
  assert.equal(targetToNbits(0x80n), 0x02008000);
  assert.equal(targetToNbits(0x123456789n), 0x05012345);
  assert.equal(nbitsToTarget(0x05012345), 0x123450000n);
  assert.equal(targetToNbits(0n), 0);
});

test('nbitsToTarget rejects negative and overflowing encodings', () => {
  assert.throws(() => nbitsToTarget(0x04923456), /negative/);
  assert.throws(() => nbitsToTarget(0xff123456), /overflows/);
});

test('difficulty 1 is the pool diff-1 target and difficulty ⇄ target agree', () => {
  assert.equal(DIFF1_TARGET, 0x00000000ffff0000000000000000000000000000000000000000000000000000n);
  assert.equal(targetFromDifficulty(1), DIFF1_TARGET);
  assert.equal(difficultyFromTarget(DIFF1_TARGET), 1);
  assert.equal(targetFromDifficulty(256), DIFF1_TARGET / 256n);
  // Fractional difficulty (scaled emulator tickets): 2^-8 → target 256× diff-1.
  assert.equal(targetFromDifficulty(1 / 256), DIFF1_TARGET * 256n);
  assert.ok(Math.abs(difficultyFromTarget(targetFromDifficulty(29588.5)) - 29588.5) < 1e-6);
});

test('target ⇄ little-endian U256 bytes', () => {
  const t = nbitsToTarget(0x1b04864c);
  const le = targetToLeBytes(t);
  assert.equal(le[31], 0);
  assert.equal(leBytesToTarget(le), t);
});

test('word comparison agrees with bigint comparison on random hashes and targets', () => {
  const prng = new Prng(99);
  const limbs = new Uint32Array(8);
  const words = new Uint32Array(8);
  for (let i = 0; i < 5000; i++) {
    const header = prng.bytes(80);
    sha256dFromMidstate(sha256Midstate(header), header, 64, words);
    const hash = stateWordsToBytes(words);
    // Targets near the hash so the comparison often goes deep into the limbs.
    const h = hashToBigInt(hash);
    const target = i % 3 === 0 ? h : i % 3 === 1 ? h - 1n : h + BigInt(prng.u32());
    if (target < 0n || target >= 1n << 256n) continue;
    targetToLimbs(target, limbs);
    assert.equal(stateWordsMeetTarget(words, limbs), hashMeetsTarget(hash, target));
    assert.equal(hashMeetsTarget(hash, target), h <= target);
  }
});

test('difficulty of a hash from words and from bytes equals DIFF1 / hash', () => {
  const prng = new Prng(3);
  const words = new Uint32Array(8);
  for (let i = 0; i < 1000; i++) {
    const header = prng.bytes(80);
    sha256dFromMidstate(sha256Midstate(header), header, 64, words);
    const bytes = stateWordsToBytes(words);
    const exact = Number(DIFF1_TARGET) / Number(hashToBigInt(bytes));
    for (const got of [difficultyOfStateWords(words), difficultyOfHash(bytes)]) {
      assert.ok(Math.abs(got - exact) <= exact * 1e-12, `${got} vs ${exact}`);
    }
  }
});

test('block 100000 meets its own nbits target with the expected difficulty', () => {
  const header = hexToBytes(
    '0100000050120119172a610421a6c3011dd330d9df07b63616c2cc1f1cd00200000000006657a9252aacd5c0b2940996ecff952228c3067cc38d4885efb5a4ac4247e9f337221b4d4c86041b0f2b5710',
    80,
  );
  const hash = headerHash(header);
  const target = nbitsToTarget(0x1b04864c);
  assert.ok(hashMeetsTarget(hash, target));
  assert.ok(!hashMeetsTarget(hash, hashToBigInt(hash) - 1n));
  // Network difficulty of block 100000 was 14484.16; the hash itself is luckier than that.
  assert.ok(Math.abs(difficultyFromTarget(target) - 14484.162361225399) < 1e-6);
  assert.ok(difficultyOfHash(hash) >= difficultyFromTarget(target));
});

test('ESP-Miner nonce difficulty vectors (real Bitaxe shares)', { skip: vectorsMissing }, () => {
  interface NonceCase {
    version: string;
    prevHashStratum: string;
    merkleRoot?: string;
    ntime: string;
    nbits: string;
    nonce: string;
    expectedDifficultyFloor: number;
    expectedBlockHash?: string;
  }
  const { nonceDifficulty } = readVectorJson<{ nonceDifficulty: NonceCase[] }>('bitcoin/esp-miner-mining.json');
  const withRoot = nonceDifficulty.filter((c) => c.merkleRoot);
  assert.ok(withRoot.length > 0);
  for (const c of withRoot) {
    const prevStratum = hexToBytes(c.prevHashStratum, 32);
    const header = new Uint8Array(80);
    const view = new DataView(header.buffer);
    view.setUint32(0, Number.parseInt(c.version, 16), true);
    for (let i = 0; i < 32; i += 4) for (let j = 0; j < 4; j++) header[4 + i + j] = prevStratum[i + 3 - j];
    header.set(hexToBytes(c.merkleRoot as string, 32), 36);
    view.setUint32(68, Number.parseInt(c.ntime, 16), true);
    view.setUint32(72, Number.parseInt(c.nbits, 16), true);
    view.setUint32(76, Number.parseInt(c.nonce, 16), true);
    assert.equal(Math.floor(difficultyOfHash(headerHash(header))), c.expectedDifficultyFloor, c.nonce);
  }
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateSha256dTail } from '../../../scripts/gen-sha256d-tail.js';
import {
  headerHash,
  sha256Compress,
  sha256d,
  sha256dFromMidstate,
  sha256dInto,
  sha256Midstate,
  stateWordsToBytes,
} from '../../../src/bitcoin/index.js';
import { SHA256_IV } from '../../../src/bitcoin/sha256-constants.js';
import { bytesToHex, bytesToHexReversed, hexToBytes } from '../../../src/util/hex.js';
import { Prng } from '../../support/prng.js';
import { readVectorJson, repoRoot, vectorsMissing } from '../../support/vectors.js';

const GENESIS_HEADER =
  '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c';
const GENESIS_HASH = '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f';

const nodeSha256d = (data: Uint8Array): string =>
  createHash('sha256').update(createHash('sha256').update(data).digest()).digest('hex');

test('genesis block header hashes to the genesis block hash', () => {
  const header = hexToBytes(GENESIS_HEADER, 80);
  assert.equal(bytesToHexReversed(headerHash(header)), GENESIS_HASH);
});

test('genesis block through the midstate fast path', () => {
  const header = hexToBytes(GENESIS_HEADER, 80);
  const words = sha256dFromMidstate(sha256Midstate(header), header, 64);
  assert.equal(bytesToHexReversed(stateWordsToBytes(words)), GENESIS_HASH);
});

test('midstate fast path equals the plain double hash on 10,000 random headers', () => {
  const prng = new Prng(0x5eed2);
  const words = new Uint32Array(8);
  const digest = new Uint8Array(32);
  for (let i = 0; i < 10_000; i++) {
    const header = prng.bytes(80);
    sha256dFromMidstate(sha256Midstate(header), header, 64, words);
    const expected = nodeSha256d(header);
    const got = bytesToHex(stateWordsToBytes(words, digest));
    if (got !== expected) assert.fail(`header ${bytesToHex(header)}: fast path ${got} != ${expected}`);
  }
});

test('general compression equals SHA-256 of one padded block', () => {
  const prng = new Prng(7);
  for (let i = 0; i < 200; i++) {
    const len = prng.int(56); // fits in one block with padding
    const msg = prng.bytes(len);
    const block = new Uint8Array(64);
    block.set(msg);
    block[len] = 0x80;
    new DataView(block.buffer).setUint32(60, len * 8);
    const state = Uint32Array.from(SHA256_IV);
    sha256Compress(state, block);
    assert.equal(bytesToHex(stateWordsToBytes(state)), createHash('sha256').update(msg).digest('hex'));
  }
});

test('sha256d matches node:crypto on varied lengths', () => {
  const prng = new Prng(11);
  for (const len of [0, 1, 55, 56, 63, 64, 65, 80, 119, 120, 1000]) {
    const msg = prng.bytes(len);
    assert.equal(bytesToHex(sha256d(msg)), nodeSha256d(msg));
  }
});

test('ESP-Miner midstate vector (real pool job)', { skip: vectorsMissing }, () => {
  interface MidstateCase {
    version: string;
    prevHashStratum: string;
    merkleRoot: string;
    expectedMidstateWordsLE: string;
  }
  const { midstate } = readVectorJson<{ midstate: MidstateCase[] }>('bitcoin/esp-miner-mining.json');
  assert.ok(midstate.length > 0);
  for (const c of midstate) {
    // Stratum V1 prevhash: each 4-byte word byte-swapped relative to header order.
    const prevStratum = hexToBytes(c.prevHashStratum, 32);
    const prev = new Uint8Array(32);
    for (let i = 0; i < 32; i += 4) for (let j = 0; j < 4; j++) prev[i + j] = prevStratum[i + 3 - j];
    const header = new Uint8Array(80);
    new DataView(header.buffer).setUint32(0, Number.parseInt(c.version, 16), true);
    header.set(prev, 4);
    header.set(hexToBytes(c.merkleRoot, 32), 36);
    const state = sha256Midstate(header);
    const le = new Uint8Array(32);
    const view = new DataView(le.buffer);
    for (let i = 0; i < 8; i++) view.setUint32(i * 4, state[i], true);
    assert.equal(bytesToHex(le), c.expectedMidstateWordsLE);
  }
});

test('the committed generated SHA-256d tail equals the generator output', () => {
  const committed = readFileSync(join(repoRoot(), 'src/bitcoin/sha256d-tail.generated.ts'), 'utf8');
  assert.equal(
    committed,
    generateSha256dTail(),
    'run: node dist/scripts/gen-sha256d-tail.js > src/bitcoin/sha256d-tail.generated.ts',
  );
});

test('sha256dInto: double SHA-256 of every length across the padding edges equals node:crypto, in place too', () => {
  const rng = new Prng(91);
  const data = rng.bytes(300);
  const twice = (b: Uint8Array): string =>
    createHash('sha256').update(createHash('sha256').update(b).digest()).digest('hex');
  for (let len = 0; len <= 300; len++) {
    const out = new Uint8Array(32);
    assert.equal(bytesToHex(sha256dInto(data.subarray(0, len), out)), twice(data.subarray(0, len)), `length ${len}`);
  }
  // An offset and length inside a larger buffer, and the output written over the input (a merkle fold).
  assert.equal(bytesToHex(sha256dInto(data, new Uint8Array(32), 7, 130)), twice(data.subarray(7, 137)));
  const node = data.slice(0, 64);
  const expected = twice(node);
  sha256dInto(node, node, 0, 64);
  assert.equal(bytesToHex(node.subarray(0, 32)), expected);
});

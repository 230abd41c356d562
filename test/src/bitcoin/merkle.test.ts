import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeHeader,
  encodeHeader,
  headerHash,
  merklePathOfFirst,
  merkleRootFromPath,
  merkleRootFromTxids,
  sha256d,
} from '../../../src/bitcoin/index.js';
import { bytesToHex, bytesToHexReversed, hexReversedToBytes, hexToBytes } from '../../../src/util/hex.js';
import { Prng } from '../../support/prng.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

// Block 100000: four transactions; txids, merkle root and block hash as every block explorer shows them.
const BLOCK_100000 = {
  txids: [
    '8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87',
    'fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4',
    '6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4',
    'e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d',
  ],
  merkleRoot: 'f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766',
  prevHash: '000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250',
  version: 1,
  time: 1293623863,
  bits: 0x1b04864c,
  nonce: 274148111,
  hash: '000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506',
};

test('block 100000 reconstructed: merkle root from its txids, header hashes to the block hash', () => {
  const txids = BLOCK_100000.txids.map((t) => hexReversedToBytes(t, 32));
  const root = merkleRootFromTxids(txids);
  assert.equal(bytesToHexReversed(root), BLOCK_100000.merkleRoot);
  const header = encodeHeader({
    version: BLOCK_100000.version,
    prevHash: hexReversedToBytes(BLOCK_100000.prevHash, 32),
    merkleRoot: root,
    time: BLOCK_100000.time,
    bits: BLOCK_100000.bits,
    nonce: BLOCK_100000.nonce,
  });
  assert.equal(bytesToHexReversed(headerHash(header)), BLOCK_100000.hash);
});

test('merkle path of the coinbase folds back to the same root', () => {
  const txids = BLOCK_100000.txids.map((t) => hexReversedToBytes(t, 32));
  const path = merklePathOfFirst(txids);
  assert.equal(path.length, 2);
  assert.equal(bytesToHexReversed(merkleRootFromPath(txids[0], path)), BLOCK_100000.merkleRoot);
});

test('path and full-tree roots agree for odd and even transaction counts', () => {
  const prng = new Prng(42);
  for (let n = 1; n <= 17; n++) {
    const txids = Array.from({ length: n }, () => prng.bytes(32));
    assert.deepEqual(merkleRootFromPath(txids[0], merklePathOfFirst(txids)), merkleRootFromTxids(txids), `n=${n}`);
  }
});

test('header encode ⇄ decode round trip', () => {
  const prng = new Prng(5);
  for (let i = 0; i < 100; i++) {
    const bytes = prng.bytes(80);
    assert.deepEqual(encodeHeader(decodeHeader(bytes)), bytes);
  }
  assert.throws(() => decodeHeader(new Uint8Array(79)), /80 bytes/);
});

test('ESP-Miner merkle roots from real pool jobs (coinbase + 12/13 branches)', { skip: vectorsMissing }, () => {
  interface MerkleCase {
    name: string;
    coinbase1: string;
    extranonce1: string;
    extranonce2: string;
    coinbase2: string;
    merkleBranches: string[];
    expectedMerkleRoot: string;
  }
  const { merkleRoots } = readVectorJson<{ merkleRoots: MerkleCase[] }>('bitcoin/esp-miner-mining.json');
  assert.ok(merkleRoots.length >= 2);
  for (const c of merkleRoots) {
    const coinbase = hexToBytes(c.coinbase1 + c.extranonce1 + c.extranonce2 + c.coinbase2);
    const root = merkleRootFromPath(
      sha256d(coinbase),
      c.merkleBranches.map((b) => hexToBytes(b, 32)),
    );
    assert.equal(bytesToHex(root), c.expectedMerkleRoot, c.name);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256d, stateWordsToBytes } from '../../../src/bitcoin/index.js';
import { HeaderTemplate } from '../../../src/mining/header-template.js';
import type { Work } from '../../../src/mining/work.js';
import { bytesToHex, bytesToHexReversed, hexReversedToBytes } from '../../../src/util/hex.js';
import { Prng } from '../../support/prng.js';

test('block 100000 rebuilt from work + nonce hashes to its block hash', () => {
  const work: Work = {
    version: 1,
    versionMask: 0,
    prevHash: hexReversedToBytes('000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250', 32),
    merkleRoot: hexReversedToBytes('f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766', 32),
    ntime: 1293623863,
    nbits: 0x1b04864c,
  };
  const template = new HeaderTemplate(work);
  const words = new Uint32Array(8);
  template.hash(1, 274148111, words);
  assert.equal(
    bytesToHexReversed(stateWordsToBytes(words)),
    '000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506',
  );
});

test('many versions and nonces agree with hashing the rebuilt bytes (midstate cache included)', () => {
  const prng = new Prng(77);
  const work: Work = {
    version: 0x20000000,
    versionMask: 0x1fffe000,
    prevHash: prng.bytes(32),
    merkleRoot: prng.bytes(32),
    ntime: prng.u32(),
    nbits: 0x1705ae3a,
  };
  const template = new HeaderTemplate(work);
  const words = new Uint32Array(8);
  for (let i = 0; i < 2000; i++) {
    // Few distinct versions, in a rotating pattern, so the 4-entry cache both hits and evicts.
    const version = (work.version | ((prng.int(6) << 13) & work.versionMask)) >>> 0;
    const nonce = prng.u32();
    template.hash(version, nonce, words);
    assert.equal(bytesToHex(stateWordsToBytes(words)), bytesToHex(sha256d(template.bytes(version, nonce))));
  }
});

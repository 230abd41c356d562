/**
 * getblocktemplate answers read into templates: Core's real answer, fields newer than this code tolerated, and
 * a malformed answer refused naming the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIP320_MASK } from '../../../src/bitcoin/node-template.js';
import { parseBlockTemplate } from '../../../src/templates/rpc/gbt-template.js';
import { TemplateSourceError } from '../../../src/templates/template-source.js';
import { bytesToHexReversed } from '../../../src/util/hex.js';
import { readRepoVector } from '../../support/repo-vectors.js';

const gbt = readRepoVector<{ template: { response: Record<string, unknown> } }>('templates/bitcoind-regtest-gbt.json');
const answer = (): Record<string, unknown> => structuredClone(gbt.template.response);

test('Core’s answer: height, tip (display order reversed), transactions with fees, weight left for the coinbase', () => {
  const { template: t, longpollId, minTime } = parseBlockTemplate(answer(), { id: 7n });
  assert.equal(t.id, 7n);
  assert.equal(t.height, 108);
  assert.equal(bytesToHexReversed(t.prevHash), gbt.template.response.previousblockhash);
  assert.equal(t.nbits, 0x207fffff);
  assert.equal(t.transactions?.length, 5);
  assert.equal(t.feesSats, 440_000n);
  assert.equal(t.coinbase.sequence, 0xfffffffe, 'Core’s own miner: BIP54-ready sequence');
  assert.equal(t.coinbase.locktime, 107, 'and locktime height − 1');
  assert.equal(t.versionRollingMask, BIP320_MASK);
  assert.ok(t.coinbase.maxWeight !== null && t.coinbase.maxWeight > 3_990_000);
  assert.equal(longpollId, gbt.template.response.longpollid);
  assert.equal(minTime, gbt.template.response.mintime);
});

test('fields newer than this code are ignored; deployment bits are kept out of version rolling', () => {
  const a = answer();
  a.vbavailable = { testdummy: 28, futurething: 14 };
  a.some_new_field = { x: 1 };
  (a.transactions as Array<Record<string, unknown>>)[0].newfield = 'x';
  const t = parseBlockTemplate(a, { id: 1n }).template;
  assert.equal(t.versionRollingMask & (1 << 28), 0);
  assert.equal(t.versionRollingMask & (1 << 14), 0);
  assert.equal(t.versionRollingMask, (BIP320_MASK & ~(1 << 28) & ~(1 << 14)) >>> 0);
});

test('a malformed answer is refused naming the field', () => {
  const cases: Array<[(a: Record<string, unknown>) => void, RegExp]> = [
    [(a) => delete a.height, /getblocktemplate: height must be a number, got nothing/],
    [(a) => (a.bits = 'zz'), /getblocktemplate: bits must be 8 hex digits/],
    [(a) => (a.previousblockhash = 'abc'), /previousblockhash must be 64 hex digits/],
    [
      (a) => ((a.transactions as Array<Record<string, unknown>>)[1].txid = 'nothex'),
      /transactions\[1\]\.txid must be 64 hex digits/,
    ],
    [
      (a) => ((a.transactions as Array<Record<string, unknown>>)[2].data = '0g'),
      /transactions\[2\]\.data must be the transaction as an even number of hex digits/,
    ],
    [(a) => (a.rules = ['csv', '!segwit', '!newrule']), /requires "newrule", a rule hashaxe does not implement/],
    [(a) => (a.rules = ['!signet', '!segwit']), /signet blocks must carry the signet signer's signature/],
    [
      (a) => (a.default_witness_commitment = '6a24aa21a9ed00'),
      /default_witness_commitment must be a 38-byte witness commitment script/,
    ],
    [(a) => (a.transactions = 'none'), /transactions must be a list/],
  ];
  for (const [mutate, reason] of cases) {
    const a = answer();
    mutate(a);
    assert.throws(
      () => parseBlockTemplate(a, { id: 1n }),
      (err: unknown) => err instanceof TemplateSourceError && err.code === 'protocol' && reason.test(err.message),
      String(reason),
    );
  }
  assert.throws(() => parseBlockTemplate(null, { id: 1n }), /must answer with an object, got null/);
});

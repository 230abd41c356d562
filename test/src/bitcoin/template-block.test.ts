/**
 * Template → coinbase → block, byte for byte against a block Bitcoin Core v31.0 accepted (regtest capture), and
 * the full block check against the five blocks that node rejected, reason for reason.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddress } from '../../../src/bitcoin/address.js';
import { assembleBlock } from '../../../src/bitcoin/block-assembly.js';
import { type BlockRules, checkBlockBytes } from '../../../src/bitcoin/block-check.js';
import { merkleRootFromPath } from '../../../src/bitcoin/merkle.js';
import { sha256d } from '../../../src/bitcoin/sha256.js';
import { buildTemplateCoinbase, TemplateCoinbaseError } from '../../../src/bitcoin/template-coinbase.js';
import { parseBlockTemplate } from '../../../src/templates/rpc/gbt-template.js';
import { bytesToHex, bytesToHexReversed, hexToBytes } from '../../../src/util/hex.js';
import { readRepoVector } from '../../support/repo-vectors.js';

interface GbtVector {
  template: { response: Record<string, unknown> & { transactions: Array<{ txid: string; fee: number }> } };
  template_checks: { witness_merkle_root_internal: string };
  block: {
    coinbase_scriptsig_hex: string;
    coinbase_hex_with_witness: string;
    coinbase_hex_without_witness: string;
    coinbase_txid_display: string;
    merkle_root_internal: string;
    ntime: number;
    nonce: number;
    header_hex: string;
    block_hash_display: string;
    block_hex: string;
    payout_address: string;
  };
  rejected_blocks: Array<{ name: string; submitblock_reply: string; block_hex: string }>;
}

const v = readRepoVector<GbtVector>('templates/bitcoind-regtest-gbt.json');
const TAG = new TextEncoder().encode('/hashaxe-vectors/');
const EXTRANONCE = hexToBytes('0000000000000001');

/** The capture's coinbase: version 2, sequence ffffffff, locktime 0 (hashaxe's default follows Core's miner instead). */
function vectorTemplate() {
  return parseBlockTemplate(v.template.response, {
    id: 1n,
    coinbaseSequence: 0xffffffff,
    coinbaseLocktime: 0,
  }).template;
}

function vectorCoinbase() {
  const template = vectorTemplate();
  const payout = parseAddress(v.block.payout_address);
  return {
    template,
    coinbase: buildTemplateCoinbase(template.coinbase, {
      payouts: [{ valueSats: template.coinbase.valueRemainingSats, script: payout.script }],
      tag: TAG,
      extranoncePrefix: new Uint8Array(0),
      extranonceSize: 8,
    }),
  };
}

function rulesFor(): BlockRules {
  const r = v.template.response as unknown as {
    previousblockhash: string;
    height: number;
    mintime: number;
    curtime: number;
  };
  const fees = new Map(v.template.response.transactions.map((t) => [t.txid, BigInt(t.fee)]));
  return {
    prevHash: hexToBytes(r.previousblockhash).reverse(),
    height: r.height,
    nbits: 0x207fffff,
    minTime: r.mintime,
    maxTime: r.curtime + 7200,
    subsidySats: 5_000_000_000n,
    feeOf: (id) => fees.get(id),
    checkProofOfWork: true,
  };
}

test('getblocktemplate → coinbase (both forms), txid, merkle root, header and the 1465-byte block Core accepted', () => {
  const { template, coinbase } = vectorCoinbase();
  assert.equal(template.height, 108);
  assert.equal(template.transactionCount, 5);
  assert.equal(template.coinbase.valueRemainingSats, 5_000_440_000n);
  assert.equal(bytesToHex(coinbase.withoutWitness(EXTRANONCE)), v.block.coinbase_hex_without_witness);
  assert.equal(bytesToHex(coinbase.forBlock(EXTRANONCE)), v.block.coinbase_hex_with_witness);
  assert.equal(bytesToHexReversed(sha256d(coinbase.withoutWitness(EXTRANONCE))), v.block.coinbase_txid_display);
  // The engine's view: prefix ‖ rolled bytes ‖ suffix folded up the template's merkle path.
  const txid = sha256d(new Uint8Array([...coinbase.prefix, ...EXTRANONCE, ...coinbase.suffix]));
  assert.equal(bytesToHex(merkleRootFromPath(txid, template.merklePath)), v.block.merkle_root_internal);
  const found = assembleBlock(template, coinbase, {
    extranonce: EXTRANONCE,
    version: template.version,
    ntime: v.block.ntime,
    nonce: v.block.nonce,
  });
  assert.equal(bytesToHex(found.header), v.block.header_hex);
  assert.equal(bytesToHexReversed(found.hash), v.block.block_hash_display);
  assert.ok(found.block !== null);
  assert.equal(found.block.length, 1465);
  assert.equal(bytesToHex(found.block), v.block.block_hex);
  assert.equal(template.ntime, v.block.ntime, 'the header starts at curtime');
});

test('the block check accepts the accepted block and names the node’s reason for each of the five it rejected', () => {
  const ok = checkBlockBytes(hexToBytes(v.block.block_hex), rulesFor());
  assert.equal(ok.valid, true, ok.valid ? '' : `${ok.reason}: ${ok.detail}`);
  assert.equal(ok.valid && ok.coinbaseValueSats, 5_000_440_000n);
  assert.equal(v.rejected_blocks.length, 5);
  for (const bad of v.rejected_blocks) {
    const verdict = checkBlockBytes(hexToBytes(bad.block_hex), rulesFor());
    assert.equal(verdict.valid, false, bad.name);
    assert.equal(verdict.valid ? '' : verdict.reason, bad.submitblock_reply, bad.name);
  }
});

test('the block check: a coinbase paying more than subsidy + fees, another payee, a wrong tip', () => {
  const { template } = vectorCoinbase();
  const payout = parseAddress(v.block.payout_address);
  const greedy = buildTemplateCoinbase(
    { ...template.coinbase, valueRemainingSats: template.coinbase.valueRemainingSats + 1n },
    {
      payouts: [{ valueSats: template.coinbase.valueRemainingSats + 1n, script: payout.script }],
      tag: TAG,
      extranoncePrefix: new Uint8Array(0),
      extranonceSize: 8,
    },
  );
  const found = assembleBlock(template, greedy, {
    extranonce: EXTRANONCE,
    version: template.version,
    ntime: v.block.ntime,
    nonce: 0,
  });
  const rules = { ...rulesFor(), checkProofOfWork: false };
  const amount = checkBlockBytes(found.block as Uint8Array, rules);
  assert.equal(amount.valid ? '' : amount.reason, 'bad-cb-amount');
  // The same key's P2PKH address: the same owner, but not the script this coinbase pays.
  const other = parseAddress('mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r');
  const wrongPayee = checkBlockBytes(hexToBytes(v.block.block_hex), { ...rulesFor(), payoutScript: other.script });
  assert.equal(wrongPayee.valid ? '' : wrongPayee.reason, 'bad-cb-payout');
  const rightPayee = checkBlockBytes(hexToBytes(v.block.block_hex), { ...rulesFor(), payoutScript: payout.script });
  assert.equal(rightPayee.valid, true);
  const stale = checkBlockBytes(hexToBytes(v.block.block_hex), { ...rulesFor(), prevHash: new Uint8Array(32) });
  assert.equal(stale.valid ? '' : stale.reason, 'prev-blk-not-found');
  const oldTime = checkBlockBytes(hexToBytes(v.block.block_hex), { ...rulesFor(), minTime: v.block.ntime + 1 });
  assert.equal(oldTime.valid ? '' : oldTime.reason, 'time-too-old');
});

test('a payout larger than the template leaves, or a scriptSig past 100 bytes, is refused before mining', () => {
  const { template } = vectorCoinbase();
  const payout = parseAddress(v.block.payout_address);
  assert.throws(
    () =>
      buildTemplateCoinbase(template.coinbase, {
        payouts: [{ valueSats: template.coinbase.valueRemainingSats + 1n, script: payout.script }],
        tag: TAG,
        extranoncePrefix: new Uint8Array(0),
        extranonceSize: 8,
      }),
    (err: unknown) => err instanceof TemplateCoinbaseError && /bad-cb-amount/.test(err.message),
  );
  assert.throws(
    () =>
      buildTemplateCoinbase(template.coinbase, {
        payouts: [{ valueSats: 1n, script: payout.script }],
        tag: new Uint8Array(75),
        extranoncePrefix: new Uint8Array(16),
        extranonceSize: 8,
      }),
    (err: unknown) => err instanceof TemplateCoinbaseError && /scriptSig would be 103 bytes/.test(err.message),
  );
});

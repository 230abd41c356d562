/**
 * Solo through an SV2 Template Provider: the live sv2-tp session decoded and re-encoded byte for byte, its
 * template turned into the coinbase and header the node accepted; then end to end over Noise against the
 * synthetic TP on 127.0.0.1 (key checked, a block submitted and confirmed by the next SetNewPrevHash), and the
 * refusals: a wrong authority key, a coinbase prefix that leaves no room for ours.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddress } from '../../../src/bitcoin/address.js';
import { assembleBlock } from '../../../src/bitcoin/block-assembly.js';
import { merklePathOfFirst, merkleRootFromTxids } from '../../../src/bitcoin/merkle.js';
import { sha256d } from '../../../src/bitcoin/sha256.js';
import { buildTemplateCoinbase } from '../../../src/bitcoin/template-coinbase.js';
import { parseTransaction, txidOf, wtxidOf } from '../../../src/bitcoin/transaction.js';
import type { MiningJob } from '../../../src/mining/job.js';
import type { BlockEvent, TemplateInfo } from '../../../src/mining/job-source.js';
import { encodeFrame } from '../../../src/sv2/codec/frame.js';
import type { AnyMessageDef } from '../../../src/sv2/messages/registry.js';
import { decodeFrameBytes } from '../../../src/sv2/messages/registry.js';
import type { NewTemplate, TdSetNewPrevHash } from '../../../src/sv2/messages/template-distribution.js';
import { encodeAuthorityKey } from '../../../src/sv2/noise/authority-key.js';
import { createNoiseKeypair } from '../../../src/sv2/noise/keys.js';
import { SyntheticTemplateProvider } from '../../../src/sv2/pool/synthetic-template-provider.js';
import { SoloJobSource } from '../../../src/templates/solo-job-source.js';
import {
  coinbaseOutputConstraints,
  heightFromScriptSig,
  templateFromTdp,
} from '../../../src/templates/tdp/tdp-template.js';
import { checkTemplateTransactions, commitmentsOf } from '../../../src/templates/tdp/template-check.js';
import { TemplateProviderSource } from '../../../src/templates/tdp/template-provider-source.js';
import { TemplateSourceError } from '../../../src/templates/template-source.js';
import { bytesToHex, bytesToHexReversed, hexToBytes } from '../../../src/util/hex.js';
import { readRepoVector } from '../../support/repo-vectors.js';
import { mineShare } from '../../support/solo.js';

interface Frame {
  message: string;
  frame_hex: string;
  fields: Record<string, unknown>;
}
const session = readRepoVector<{ frames: Frame[]; solution: Record<string, string | string[]> }>(
  'templates/sv2-tp-session.json',
);
const OWNER = parseAddress('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080');
const DEVICE = { vendor: 'hashaxe', hardwareVersion: 'test', firmware: 'test' };

test('the sv2-tp session: all 10 frames decode and re-encode byte for byte', () => {
  assert.equal(session.frames.length, 10);
  for (const f of session.frames) {
    const d = decodeFrameBytes(hexToBytes(f.frame_hex));
    assert.equal(d.def.name.replace(' (Template Distribution)', ''), f.message);
    const def = d.def as AnyMessageDef;
    assert.equal(bytesToHex(encodeFrame(def, d.value)), f.frame_hex, f.message);
  }
});

test('sv2-tp template → our coinbase (push "hashaxe"), header and block hash the node accepted at height 110', () => {
  const nt = decodeFrameBytes(hexToBytes(session.frames[3].frame_hex)).value as NewTemplate;
  const ph = decodeFrameBytes(hexToBytes(session.frames[4].frame_hex)).value as TdSetNewPrevHash;
  const template = templateFromTdp(nt, ph);
  assert.equal(template.height, 110);
  assert.equal(template.coinbase.sequence, 0xfffffffe);
  assert.equal(template.coinbase.locktime, 109);
  const coinbase = buildTemplateCoinbase(template.coinbase, {
    payouts: [{ valueSats: template.coinbase.valueRemainingSats, script: OWNER.script }],
    tag: new Uint8Array(0),
    extranoncePrefix: new Uint8Array(0),
    extranonceSize: 7,
  });
  const extranonce = new TextEncoder().encode('hashaxe');
  assert.equal(bytesToHex(coinbase.forBlock(extranonce)), session.solution.coinbase_tx_with_witness);
  assert.equal(bytesToHex(coinbase.withoutWitness(extranonce)), session.solution.coinbase_tx_without_witness);
  // SubmitSolution (frame 7) carries exactly this coinbase and the header's version / time / nonce.
  const submit = session.frames[7].fields as {
    coinbase_tx: string;
    header_nonce: number;
    header_timestamp: number;
    version: number;
  };
  assert.equal(submit.coinbase_tx, session.solution.coinbase_tx_with_witness);
  const found = assembleBlock(template, coinbase, {
    extranonce,
    version: submit.version,
    ntime: submit.header_timestamp,
    nonce: submit.header_nonce,
  });
  assert.equal(bytesToHex(found.header), session.solution.header_hex);
  assert.equal(bytesToHexReversed(found.hash), session.solution.block_hash_display);
  assert.equal(found.block, null, 'a TP keeps the transactions: SubmitSolution needs none');
  // What the device declares for one P2WPKH payout (the capture sent 31 bytes).
  assert.equal(coinbaseOutputConstraints([{ valueSats: 1n, script: OWNER.script }]).size, 31);
});

test('RequestTransactionData.Success of the session: its txids give the template’s merkle path, its wtxids the commitment', () => {
  const nt = decodeFrameBytes(hexToBytes(session.frames[3].frame_hex)).value as NewTemplate;
  const data = decodeFrameBytes(hexToBytes(session.frames[6].frame_hex)).value as {
    excessData: Uint8Array;
    transactionList: Uint8Array[];
  };
  const txs = data.transactionList.map(parseTransaction);
  assert.deepEqual(
    txs.map((t) => bytesToHexReversed(txidOf(t))),
    session.solution.template_txids_display,
  );
  const path = merklePathOfFirst([new Uint8Array(32), ...txs.map(txidOf)]);
  assert.deepEqual(path.map(bytesToHex), nt.merklePath.map(bytesToHex));
  const root = merkleRootFromTxids([new Uint8Array(32), ...txs.map(wtxidOf)]);
  const buf = new Uint8Array(64);
  buf.set(root);
  buf.set(data.excessData, 32);
  assert.equal(bytesToHex(sha256d(buf)), session.solution.witness_commitment_hash);
  // The check the TDP source runs on every new block's template: consistent here, and a tampered list is caught.
  const template = templateFromTdp(
    nt,
    decodeFrameBytes(hexToBytes(session.frames[4].frame_hex)).value as TdSetNewPrevHash,
  );
  assert.equal(
    checkTemplateTransactions(commitmentsOf(template), {
      excessData: data.excessData,
      transactions: data.transactionList,
    }),
    null,
  );
  assert.match(
    checkTemplateTransactions(commitmentsOf(template), {
      excessData: data.excessData,
      transactions: data.transactionList.slice(1),
    }) ?? '',
    /merkle path is not the one over its 2 transactions/,
  );
  assert.equal(heightFromScriptSig(hexToBytes('016e')), 110);
  assert.equal(heightFromScriptSig(Uint8Array.of(0x60)), 16);
  assert.equal(heightFromScriptSig(hexToBytes('03a0bb0d')), 900_000);
});

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function tpSource(url: string, extra: Partial<ConstructorParameters<typeof TemplateProviderSource>[0]> = {}) {
  return new TemplateProviderSource({
    url,
    chain: 'regtest',
    payoutOutputs: [{ valueSats: 0n, script: OWNER.script }],
    device: DEVICE,
    ...extra,
  });
}

test('solo through the synthetic TP over Noise: key checked, a block submitted and confirmed by the next SetNewPrevHash', async () => {
  const tp = await SyntheticTemplateProvider.start({
    chain: { nbits: 0x207fffff, txIntervalMs: 0, initialTransactions: 9, payoutScript: OWNER.script },
    templateIntervalMs: 100,
  });
  const source = tpSource(tp.url);
  const jobs = new SoloJobSource({ source, payout: OWNER, payoutField: '--payout' });
  const tips: MiningJob[] = [];
  const updates: MiningJob[] = [];
  const blocks: BlockEvent[] = [];
  const infos: TemplateInfo[] = [];
  jobs.on('templateInfo', (i) => infos.push(i));
  jobs.on('newTip', (j) => j && tips.push(j));
  jobs.on('job', (j) => updates.push(j));
  jobs.on('block', (b) => blocks.push(b));
  try {
    const s = await jobs.connect();
    assert.equal(s.templates?.kind, 'template-provider');
    assert.equal(s.authenticated, true);
    const first = tips[0];
    // The template's transactions on request: they hash to the merkle path the job folds the coinbase up.
    const data = await source.requestTransactions(source.current?.id ?? 0n);
    assert.equal(data.transactions.length, 9);
    assert.deepEqual(
      merklePathOfFirst([new Uint8Array(32), ...data.transactions.map((t) => txidOf(parseTransaction(t)))]).map(
        bytesToHex,
      ),
      (first.header.kind === 'coinbase' ? first.header.merklePath : []).map(bytesToHex),
    );
    // The source fetched and checked the first template's transactions by itself: the status learns their number.
    await until(() => infos.some((i) => i.transactions === 9), 3000, 'the template’s transaction count');
    jobs.submitShare(mineShare(first));
    await until(() => blocks.some((b) => b.answer !== null), 5000, 'confirmation');
    const answered = blocks.find((b) => b.answer !== null);
    assert.equal(answered?.answer, 'accepted', `${answered?.answer}: ${answered?.reason}`);
    assert.deepEqual(
      tp.submittedSolutions().map((x) => [x.hashHex, x.answer]),
      [[answered?.hash, null]],
    );
    assert.equal(tp.chain.stats().blocks[0].via, 'tdp');
    await until(() => tips.length >= 2, 3000, 'the job on our block');
    // A fee update on the same tip is a new job, not a new tip.
    tp.chain.addTransactions(2);
    await until(() => updates.length >= 1, 3000, 'a fee update');
    assert.equal(tips.length, 2);
  } finally {
    jobs.close('test over');
    await tp.close();
  }
});

test('a template provider whose certificate another key signed is refused before any template', async () => {
  const tp = await SyntheticTemplateProvider.start({ chain: { nbits: 0x207fffff, txIntervalMs: 0 } });
  const otherKey = encodeAuthorityKey(createNoiseKeypair().xOnly);
  const source = tpSource(`sv2+tcp://127.0.0.1:${tp.port}/${otherKey}`);
  try {
    await assert.rejects(source.connect(), (err: unknown) => {
      assert.ok(err instanceof TemplateSourceError);
      assert.equal(err.code, 'unauthorized');
      assert.match(err.message, /failed the key check/);
      return true;
    });
    assert.throws(() => tpSource(`sv2+tcp://127.0.0.1:${tp.port}`), /no authority key for the template provider/);
  } finally {
    source.close('test over');
    await tp.close();
  }
});

test('a template whose coinbase prefix leaves no room for our scriptSig is refused before mining', async () => {
  const tp = await SyntheticTemplateProvider.start({
    chain: { nbits: 0x207fffff, txIntervalMs: 0 },
    coinbasePrefixExtra: new Uint8Array(90),
  });
  const jobs = new SoloJobSource({ source: tpSource(tp.url), payout: OWNER, payoutField: '--payout' });
  try {
    await assert.rejects(jobs.connect(), (err: unknown) => {
      assert.ok(err instanceof TemplateSourceError);
      assert.equal(err.code, 'constraints');
      assert.match(err.message, /coinbase scriptSig would be \d+ bytes .*consensus allows 100/);
      return true;
    });
  } finally {
    jobs.close('test over');
    await tp.close();
  }
});

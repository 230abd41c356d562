/**
 * Solo on a node over JSON-RPC, against the synthetic node on 127.0.0.1 (real HTTP, Core's answers): a block
 * from a share, validated and accepted by the node and paying the owner; new blocks noticed by longpoll and by
 * the poll alone; and every way a start is refused, each with the error that says what to fix.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAddress } from '../../../src/bitcoin/address.js';
import type { MiningJob } from '../../../src/mining/job.js';
import type { BlockEvent, JobSourceShareAnswer } from '../../../src/mining/job-source.js';
import { SyntheticNode, type SyntheticNodeOptions } from '../../../src/sv2/pool/synthetic-node.js';
import {
  type BitcoindSourceOptions,
  BitcoindTemplateSource,
} from '../../../src/templates/rpc/bitcoind-template-source.js';
import { SoloJobSource } from '../../../src/templates/solo-job-source.js';
import { TemplateSourceError } from '../../../src/templates/template-source.js';
import { NOBODY_HOST, refusedPort } from '../../support/net.js';
import { mineShare, missShare } from '../../support/solo.js';

const OWNER = parseAddress('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080');
const EASY = 0x207fffff;
const AUTH = { user: 'miner', password: 'correct horse' };

async function startNode(extra: Partial<SyntheticNodeOptions> = {}): Promise<SyntheticNode> {
  return SyntheticNode.start({
    chain: { nbits: EASY, txIntervalMs: 0, initialTransactions: 12, payoutScript: OWNER.script },
    auth: AUTH,
    longpollMempoolMs: 200,
    ...extra,
  });
}

function solo(node: SyntheticNode, extra: Partial<BitcoindSourceOptions> = {}) {
  const url = `http://${AUTH.user}:${encodeURIComponent(AUTH.password)}@127.0.0.1:${node.port}`;
  const source = new BitcoindTemplateSource({ url, pollIntervalMs: 200, refreshIntervalMs: 0, ...extra });
  const jobs = new SoloJobSource({ source, payout: OWNER, payoutField: '--payout' });
  const seen: {
    tips: MiningJob[];
    jobs: MiningJob[];
    blocks: BlockEvent[];
    answers: JobSourceShareAnswer[];
    order: string[];
  } = {
    tips: [],
    jobs: [],
    blocks: [],
    answers: [],
    order: [],
  };
  jobs.on('opened', () => seen.order.push('opened'));
  jobs.on('newTip', (j) => {
    seen.order.push('newTip');
    if (j) seen.tips.push(j);
  });
  jobs.on('job', (j) => seen.jobs.push(j));
  jobs.on('block', (b) => seen.blocks.push(b));
  jobs.on('shareAnswer', (a) => seen.answers.push(a));
  return { jobs, source, seen };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a share meeting the network target becomes a block the node validates, accepts and that pays the owner', async () => {
  const node = await startNode();
  const { jobs, seen } = solo(node);
  try {
    const session = await jobs.connect();
    assert.deepEqual(seen.order, ['opened', 'newTip'], 'opened is emitted before the first job');
    assert.equal(session.protocol, 'solo');
    assert.equal(session.templates?.payoutAddress, OWNER.text);
    assert.equal(session.templates?.chain, 'regtest');
    const job = seen.tips[0];
    const heightBefore = node.chain.tip.height;
    jobs.submitShare(mineShare(job));
    await until(() => seen.blocks.some((b) => b.answer !== null), 5000, 'the node’s answer');
    const answered = seen.blocks.find((b) => b.answer !== null);
    assert.equal(answered?.answer, 'accepted', `${answered?.answer}: ${answered?.reason}`);
    assert.equal(answered?.height, heightBefore + 1);
    assert.equal(seen.answers[0]?.kind, 'accepted');
    const stats = node.chain.stats();
    assert.equal(stats.accepted, 1);
    assert.equal(stats.blocks[0].hashHex, answered?.hash);
    assert.equal(stats.blocks[0].transactions, 13, 'coinbase + the 12 mempool transactions');
    assert.deepEqual([...stats.blocks[0].payouts[0].script], [...OWNER.script]);
    // The accepted block is the node's tip: the source moves on to a template on it.
    await until(() => seen.tips.length >= 2, 3000, 'a job on the new tip');
    assert.equal(node.chain.tip.hashHex, answered?.hash);
  } finally {
    jobs.close('test over');
    await node.close();
  }
});

test('a second block on the same tip waits for the node’s answer on the first, and is not sent once that is accepted', async () => {
  const node = await startNode();
  const { jobs, seen } = solo(node);
  try {
    await jobs.connect();
    const job = seen.tips[0];
    jobs.submitShare(mineShare(job));
    jobs.submitShare(mineShare(job, 200_000, 1));
    await until(() => seen.blocks.filter((b) => b.answer !== null).length >= 2, 5000, 'both outcomes');
    assert.deepEqual(
      seen.blocks.map((b) => b.answer),
      [null, 'accepted', 'superseded'],
      'one block sent and accepted; the other never sent',
    );
    assert.deepEqual(node.chain.stats().answers, { accepted: 1 });
  } finally {
    jobs.close('test over');
    await node.close();
  }
});

test('a block found while the node restarts is sent again until the node takes it', async () => {
  let node = await startNode();
  const port = node.port;
  const chain = node.chain;
  const { jobs, seen } = solo(node, { failuresBeforeDown: 1000, submitRetryMs: 300, longpoll: false });
  try {
    await jobs.connect();
    await node.close();
    jobs.submitShare(mineShare(seen.tips[0]));
    await new Promise((r) => setTimeout(r, 100));
    node = await SyntheticNode.start({ chain, port, auth: AUTH });
    await until(() => seen.blocks.some((b) => b.answer !== null), 5000, 'the answer after the restart');
    assert.equal(seen.blocks.find((b) => b.answer !== null)?.answer, 'accepted');
    assert.equal(chain.stats().accepted, 1);
  } finally {
    jobs.close('test over');
    await node.close();
  }
});

test('a block the node rejects carries the node’s reason (high-hash)', async () => {
  const node = await startNode();
  const { jobs, seen } = solo(node);
  try {
    await jobs.connect();
    jobs.submitShare(missShare(seen.tips[0]));
    await until(() => seen.answers.length > 0, 5000, 'the answer');
    assert.deepEqual(
      seen.blocks.filter((b) => b.answer !== null).map((b) => [b.answer, b.reason]),
      [['rejected', 'high-hash']],
    );
    const a = seen.answers[0];
    assert.equal(a.kind === 'rejected' && a.reason, 'high-hash');
    assert.equal(node.chain.stats().answers['high-hash'], 1);
  } finally {
    jobs.close('test over');
    await node.close();
  }
});

test('a new block on the network reaches the miner through the longpoll, and through the poll when longpoll is off', async () => {
  for (const longpoll of [true, false]) {
    const node = await startNode();
    const { jobs, seen } = solo(node, { longpoll, pollIntervalMs: longpoll ? 60_000 : 200 });
    try {
      await jobs.connect();
      const t0 = Date.now();
      node.chain.mineNetworkBlock();
      await until(() => seen.tips.length >= 2, 3000, `new tip (longpoll ${longpoll})`);
      const tookMs = Date.now() - t0;
      assert.ok(tookMs < (longpoll ? 1000 : 1500), `new tip after ${tookMs} ms (longpoll ${longpoll})`);
      assert.equal(seen.tips[1].prevHash.length, 32);
      const counts = node.callCounts();
      if (!longpoll) assert.ok((counts.getbestblockhash ?? 0) >= 1, JSON.stringify(counts));
    } finally {
      jobs.close('test over');
      await node.close();
    }
  }
});

test('new mempool transactions on the same tip give a new job, not a new tip', async () => {
  const node = await startNode();
  const { jobs, seen } = solo(node, { refreshIntervalMs: 200, pollIntervalMs: 60_000 });
  try {
    await jobs.connect();
    node.chain.addTransactions(3);
    await until(() => seen.jobs.length >= 1, 3000, 'a job on the same tip');
    assert.equal(seen.tips.length, 1);
  } finally {
    jobs.close('test over');
    await node.close();
  }
});

async function refusal(promise: Promise<unknown>): Promise<TemplateSourceError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TemplateSourceError, String(err));
    return err;
  }
  throw new Error('expected a refusal');
}

test('refused at start: wrong password, unreachable node, node in initial block download, wrong network', async () => {
  const node = await startNode();
  try {
    const wrong = new SoloJobSource({
      source: new BitcoindTemplateSource({ url: `http://miner:nope@127.0.0.1:${node.port}` }),
      payout: OWNER,
      payoutField: '--payout',
    });
    const e1 = await refusal(wrong.connect());
    assert.equal(e1.code, 'unauthorized');
    assert.match(e1.message, /refused the password for RPC user "miner"/);

    const port = await refusedPort();
    const gone = new BitcoindTemplateSource({ url: `http://a:b@${NOBODY_HOST}:${port}` });
    const e2 = await refusal(gone.connect());
    assert.equal(e2.code, 'unreachable');
    assert.match(e2.message, /cannot reach the node at 127\.0\.0\.2:\d+: ECONNREFUSED/);

    const mainnet = parseAddress('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4');
    const { jobs } = solo(node);
    const wrongNet = new SoloJobSource({
      source: new BitcoindTemplateSource({
        url: `http://${AUTH.user}:${encodeURIComponent(AUTH.password)}@127.0.0.1:${node.port}`,
      }),
      payout: mainnet,
      payoutField: 'solo.payout',
    });
    const e3 = await refusal(wrongNet.connect());
    assert.equal(e3.code, 'wrong-network');
    assert.match(e3.message, /^solo\.payout: .* is a mainnet address, but the node runs regtest/);
    jobs.close('unused');
  } finally {
    await node.close();
  }
  const syncing = await startNode({ chain: { nbits: EASY, chain: 'main', txIntervalMs: 0 } });
  try {
    syncing.setInitialBlockDownload(true);
    const src = new BitcoindTemplateSource({
      url: `http://${AUTH.user}:${encodeURIComponent(AUTH.password)}@127.0.0.1:${syncing.port}`,
    });
    const e4 = await refusal(src.connect());
    assert.equal(e4.code, 'initial-block-download');
    assert.match(e4.message, /still in initial block download, at block \d+ of \d+ headers \(42\.0 % verified\)/);
  } finally {
    await syncing.close();
  }
});

test('cookie auth: the node’s cookie file works, and a restarted node’s new cookie is read again after a 401', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-cookie-'));
  const cookieFile = join(dir, '.cookie');
  let node = await startNode({ auth: undefined, cookieFile });
  const port = node.port;
  const source = new BitcoindTemplateSource({
    url: `http://127.0.0.1:${port}`,
    cookieFile,
    pollIntervalMs: 100,
    failuresBeforeDown: 100,
  });
  try {
    const info = await source.connect();
    assert.equal(info.chain, 'regtest');
    const chain = node.chain;
    await node.close();
    node = await SyntheticNode.start({ chain, port, cookieFile, auth: undefined });
    // The poll hits a 401 with the old cookie, reads the new one and goes on: no 'down'.
    let down = false;
    source.on('down', () => {
      down = true;
    });
    const before = node.callCounts().getbestblockhash ?? 0;
    await until(() => (node.callCounts().getbestblockhash ?? 0) > before + 2, 3000, 'polls on the restarted node');
    assert.equal(down, false);
  } finally {
    source.close('test over');
    await node.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a template that leaves no weight for the coinbase is refused before mining', async () => {
  // A 900 WU block: the header and the transaction count take 332, one transaction (~500 WU) may fit; what is left
  // is always below the ~640 WU of our coinbase when the node reserves nothing for it.
  const node = await startNode({
    chain: {
      nbits: EASY,
      txIntervalMs: 0,
      initialTransactions: 40,
      maxMempool: 40,
      maxBlockWeight: 900,
      coinbaseReservedWeight: 0,
    },
  });
  try {
    const { jobs } = solo(node);
    const e = await refusal(jobs.connect());
    assert.equal(e.code, 'constraints');
    assert.match(e.message, /the coinbase would weigh \d+ WU but the template leaves \d+ WU/);
  } finally {
    await node.close();
  }
});

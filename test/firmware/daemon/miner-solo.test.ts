/**
 * Solo mining with the whole daemon in-process (emulated chain on a real pty, emulated board): blocks found by
 * the chips, validated and accepted by the embedded synthetic node and Template Provider, shown in the API and
 * /metrics and kept in the state file; a node that refuses the blocks shows its reason; a node that goes away
 * hands the work to the backup pool and takes it back when it returns.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LOCAL_PAYOUT } from '../../../firmware/daemon/solo-upstream.js';
import { parseAddress } from '../../../src/bitcoin/address.js';
import { targetFromDifficulty, targetToNbits } from '../../../src/bitcoin/target.js';
import { DEFAULT_SOLO_CONFIG } from '../../../src/config/miner-config.js';
import { LocalPool } from '../../../src/sv2/pool/local-pool.js';
import { SyntheticNode } from '../../../src/sv2/pool/synthetic-node.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { runCliCaptured } from '../../support/cli.js';
import { eventually, startTestMiner, type TestMiner } from '../../support/miner.js';

const EMULATED_HS = 1_000_000;

/** A difficulty the emulated chips (1 MH/s, CPU-bound and slower under load) meet about every `sec` seconds. */
function nbitsEvery(sec: number): number {
  return targetToNbits(targetFromDifficulty((EMULATED_HS * sec) / 2 ** 32));
}

async function stopAll(t: TestMiner | null, ...closers: Array<{ close(): Promise<void> } | null>): Promise<void> {
  await t?.stop();
  for (const c of closers) await c?.close();
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

test('solo on the embedded node: blocks found, validated and accepted, in the API, /metrics and the state file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-solo-'));
  const stateFile = join(dir, 'state.json');
  const t = await startTestMiner('bitaxe-ultra', {
    solo: { ...DEFAULT_SOLO_CONFIG, node: 'local', localBlockIntervalSec: 1 },
    stateFile,
    api: { enabled: true, port: 0 },
  });
  try {
    const peer = t.miner.localSoloPeer;
    assert.ok(peer !== null);
    await eventually(() => (t.miner.miningStatus().blocks?.accepted ?? 0) >= 2, 25_000, 'two accepted blocks');
    const node = peer.chain.stats();
    assert.ok(node.accepted >= 2, JSON.stringify(node.answers));
    assert.equal(Object.keys(node.answers).filter((a) => a !== 'accepted').length, 0, JSON.stringify(node.answers));
    const owner = bytesToHex(parseAddress(LOCAL_PAYOUT).script);
    for (const b of node.blocks) assert.equal(bytesToHex(b.payouts[0].script), owner);
    assert.ok(t.logs.some((l) => /^BLOCK FOUND at height \d+: [0-9a-f]{64}, paying [\d.]+ BTC to bcrt1q/.test(l)));
    assert.ok(t.logs.some((l) => /^block \d+ [0-9a-f]{64} accepted by http:\/\/127\.0\.0\.1:\d+$/.test(l)));

    const m = t.miner.miningStatus();
    assert.equal(m.templates?.source, 'node');
    assert.equal(m.templates?.payout, LOCAL_PAYOUT);
    assert.equal(m.templates?.chain, 'regtest');
    assert.equal(m.pool?.protocol, 'SOLO');
    const api = t.miner.apiUrl as string;
    const info = JSON.parse((await get(`${api}/api/system/info`)).text);
    assert.ok(info.blockFound >= 2);
    // Solo is not an AxeOS pool slot (those are its backups); AxeOS's connection line says where work comes from.
    assert.match(
      info.poolConnectionInfo,
      new RegExp(`^SOLO: own node http://127\\.0\\.0\\.1:\\d+, blocks pay ${LOCAL_PAYOUT}$`),
    );
    assert.ok(info.blockHeight > 200);
    assert.deepEqual(
      info.coinbaseOutputs.map((o: { address: string }) => o.address),
      [LOCAL_PAYOUT],
    );
    assert.equal(info.hashaxe.templates.source, 'node');
    assert.ok(info.hashaxe.blocks.recent.every((b: { answer: string }) => b.answer === 'accepted'));
    const metrics = (await get(`${api}/metrics`)).text;
    assert.match(metrics, /^hashaxe_blocks_total\{answer="accepted"\} [2-9]\d*$/m);
    assert.match(
      metrics,
      /^hashaxe_template_source_info\{source="node",endpoint="http:\/\/127\.0\.0\.1:\d+",chain="regtest",payout="bcrt1q[0-9a-z]+"\} 1$/m,
    );
    assert.match(
      metrics,
      /^hashaxe_last_block_info\{height="\d+",hash="[0-9a-f]{64}",answer="accepted",reason=""\} 1$/m,
    );
    assert.match(metrics, /^hashaxe_template_height \d+$/m);
    // hashaxe status (the operator CLI) says where templates come from, who is paid and what the node answered.
    const status = await runCliCaptured(['status', '--api', api]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /^templates +own node http:\/\/127\.0\.0\.1:\d+ \(regtest\), height \d+, \d+ transactions$/m,
    );
    assert.match(status.stdout, /^payout +[\d.]+ BTC a block to bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080$/m);
    assert.match(status.stdout, /^blocks +\d+ found, \d+ accepted, 0 not accepted; last: \d+ [0-9a-f]{16}… accepted$/m);
  } finally {
    await stopAll(t);
  }
  const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
  assert.ok(saved.blocks.length >= 2);
  assert.equal(saved.blocks[0].answer, 'accepted');
  assert.equal(saved.blocks[0].payoutAddress, LOCAL_PAYOUT);
  rmSync(dir, { recursive: true, force: true });
});

test('solo through the embedded Template Provider: blocks submitted by SubmitSolution and confirmed', async () => {
  const t = await startTestMiner('bitaxe-ultra', {
    solo: { ...DEFAULT_SOLO_CONFIG, templateProvider: 'local', localBlockIntervalSec: 1 },
  });
  try {
    await eventually(() => (t.miner.miningStatus().blocks?.accepted ?? 0) >= 1, 25_000, 'an accepted block');
    const chain = t.miner.localSoloPeer?.chain;
    assert.ok(chain !== undefined);
    assert.ok(chain.stats().blocks.every((b) => b.via === 'tdp' && b.answer === null));
    assert.equal(t.miner.miningStatus().templates?.source, 'template-provider');
  } finally {
    await stopAll(t);
  }
});

test('a block the node refuses shows the node’s reason in the log, the API and /metrics', async () => {
  // The node insists on another payee (its synthetic payout check): every block is bad-cb-payout.
  const someoneElse = parseAddress('mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r');
  const node = await SyntheticNode.start({
    chain: { nbits: nbitsEvery(0.2), targetBlockIntervalMs: 1000, payoutScript: someoneElse.script, txIntervalMs: 0 },
    auth: { user: 'u', password: 'p' },
  });
  let t: TestMiner | null = null;
  try {
    t = await startTestMiner('bitaxe-ultra', {
      solo: { ...DEFAULT_SOLO_CONFIG, node: `http://u:p@127.0.0.1:${node.port}`, payout: LOCAL_PAYOUT },
      api: { enabled: true, port: 0 },
    });
    const miner = t;
    await eventually(() => (miner.miner.miningStatus().blocks?.rejected ?? 0) >= 1, 25_000, 'a rejected block');
    assert.ok(
      miner.logs.some((l) =>
        /^warning: block \d+ [0-9a-f]{64} REJECTED by http:\/\/127\.0\.0\.1:\d+: bad-cb-payout$/.test(l),
      ),
    );
    assert.equal(miner.miner.miningStatus().blocks?.reasons['bad-cb-payout'] !== undefined, true);
    assert.ok((miner.miner.snapshot()?.rejectReasons['bad-cb-payout'] ?? 0) >= 1);
    const metrics = (await get(`${miner.miner.apiUrl}/metrics`)).text;
    assert.match(metrics, /^hashaxe_blocks_rejected_total\{reason="bad-cb-payout"\} \d+$/m);
    assert.equal(node.chain.stats().accepted, 0);
  } finally {
    await stopAll(t, node);
  }
});

test('the node goes away: mining moves to the backup pool, and back to solo once the node answers again', async () => {
  const node = await SyntheticNode.start({
    chain: { nbits: nbitsEvery(2), txIntervalMs: 0 },
    auth: { user: 'u', password: 'p' },
  });
  const port = node.port;
  const chain = node.chain;
  const backup = await LocalPool.start({ port: 0, sharesPerMinute: 600 });
  let t: TestMiner | null = null;
  let restarted: SyntheticNode | null = null;
  try {
    t = await startTestMiner(
      'bitaxe-ultra',
      {
        solo: { ...DEFAULT_SOLO_CONFIG, node: `http://u:p@127.0.0.1:${port}`, payout: LOCAL_PAYOUT },
        pools: [{ url: backup.url, user: 'rig', authorityKey: null }],
      },
      { retryMinMs: 100, failbackMs: 500 },
    );
    const miner = t;
    assert.equal(miner.miner.miningStatus().templates?.source, 'node');
    await node.close();
    await eventually(() => backup.stats().shares.accepted >= 1, 20_000, 'shares on the backup pool');
    assert.equal(miner.miner.miningStatus().templates?.source, 'pool');
    restarted = await SyntheticNode.start({ chain, port, auth: { user: 'u', password: 'p' } });
    await eventually(() => miner.miner.miningStatus().templates?.source === 'node', 20_000, 'back on the node');
    assert.ok(miner.logs.some((l) => /primary pool http:\/\/127\.0\.0\.1:\d+ answers again/.test(l)));
  } finally {
    await stopAll(t, restarted, backup);
  }
});

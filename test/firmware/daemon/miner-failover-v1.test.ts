/**
 * Failover across protocols with the whole daemon (emulated chain on a pty, emulated board) against local pools on
 * 127.0.0.1: an SV2 primary killed → the Stratum V1 backup mines within 5 s → back on SV2 once the primary returns;
 * the same the other way round; a V1 primary that is unusable from its first answer. No share is lost silently:
 * every share sent is answered, or counted as lost or timed out with a log line saying why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMetricsWithoutBoard } from '../../../firmware/api/metrics.js';
import { buildSystemInfoWithoutBoard } from '../../../firmware/api/system-info.js';
import type { MinerSummary } from '../../../firmware/daemon/miner.js';
import { StatusReporter } from '../../../firmware/daemon/status-line.js';
import { loadBoard } from '../../../src/config/board-loader.js';
import { Sv1Pool } from '../../../src/sv1/pool/v1-pool.js';
import { LocalPool } from '../../../src/sv2/pool/local-pool.js';
import { eventually, startTestMiner, type TestMiner } from '../../support/miner.js';
import { NOBODY_HOST } from '../../support/net.js';
import { parsePrometheusText } from '../../support/prometheus.js';
import { ScriptedV1Pool } from '../../support/sv1-scripted-pool.js';

const AUTHORITY = new Uint8Array(32).fill(9);
const SHARES_PER_MINUTE = 600;
/** What the embedded emulated chip (1 MH/s) needs for SHARES_PER_MINUTE. */
const V1_DIFFICULTY = (1e6 * 60) / (SHARES_PER_MINUTE * 2 ** 32);

async function sv2Pool(host: string, port = 0): Promise<LocalPool> {
  return LocalPool.start({ host, port, authoritySecretKey: AUTHORITY, sharesPerMinute: SHARES_PER_MINUTE });
}

/** A V1 port on its own chain. */
async function v1Pool(host: string, port = 0): Promise<{ chain: LocalPool; v1: Sv1Pool; close(): Promise<void> }> {
  const chain = await LocalPool.start({ port: 0, sharesPerMinute: SHARES_PER_MINUTE });
  const v1 = await Sv1Pool.start({
    feed: chain,
    host,
    port,
    sharesPerMinute: SHARES_PER_MINUTE,
    startDifficulty: V1_DIFFICULTY,
  });
  return {
    chain,
    v1,
    async close() {
      await v1.close();
      await chain.close();
    },
  };
}

function pools(...urls: string[]) {
  return { pools: urls.map((url) => ({ url, user: 'bc1qexample.rig1', authorityKey: null })) };
}

function explain(t: TestMiner): string {
  return `\nminer: ${JSON.stringify(t.miner.summary())}\n${t.logs.filter((l) => !/still unavailable/.test(l)).join('\n')}`;
}

/** Every share sent is accounted for, and every one not answered was logged with its reason. */
function noShareLostSilently(summary: MinerSummary, logs: string[]): void {
  assert.equal(
    summary.sharesSubmitted,
    summary.accepted + summary.rejected + summary.sharesLost + summary.sharesTimedOut,
    `sent ${summary.sharesSubmitted} = accepted + rejected + lost + timed out: ${JSON.stringify(summary)}`,
  );
  const logged = logs
    .map((l) => /(\d+) share\(s\) (lost|unanswered): \S/.exec(l))
    .filter((m) => m !== null)
    .reduce((n, m) => n + Number(m![1]), 0);
  assert.equal(logged, summary.sharesLost + summary.sharesTimedOut, 'each lost share was logged with a reason');
  const notSent = logs.filter((l) => /share not sent, counted as lost: \S/.test(l)).length;
  assert.equal(notSent, Math.min(10, summary.sharesNotSent));
}

test('SV2 primary killed: the V1 backup mines within 5 s; back on SV2 once the primary returns; no share lost silently', async (ctx) => {
  let primary: LocalPool | null = await sv2Pool(NOBODY_HOST);
  const primaryUrl = primary.url;
  const primaryPort = primary.port;
  const backup = await v1Pool('127.0.0.1');
  const t = await startTestMiner('bitaxe-ultra', pools(primaryUrl, backup.v1.url), {
    retryMinMs: 100,
    failbackMs: 500,
  });
  try {
    const first = primary;
    await eventually(() => first.stats().shares.accepted >= 2, 20_000, `shares on the SV2 primary${explain(t)}`);
    assert.equal(t.miner.miningStatus().pool?.protocol, 'SV2');
    assert.equal(t.miner.miningStatus().usingFallback, false);

    // Shares in flight when it dies: the primary stops answering first, so some are pending at the kill.
    first.setAnswerShares(false);
    const sent = t.miner.summary().sharesSubmitted;
    await eventually(() => t.miner.summary().sharesSubmitted >= sent + 2, 10_000, 'shares left unanswered');
    const killedAt = Date.now();
    await primary.close();
    primary = null;
    await eventually(
      () => backup.v1.stats().shares.accepted >= 1,
      5000,
      `a share on the V1 backup within 5 s${explain(t)}`,
    );
    ctx.diagnostic(
      `the V1 backup's first accepted share came ${Date.now() - killedAt} ms after the SV2 primary was killed`,
    );
    const onBackup = t.miner.miningStatus();
    assert.equal(onBackup.pool?.protocol, 'SV1');
    assert.equal(onBackup.usingFallback, true);
    assert.ok((onBackup.poolDifficulty ?? 0) > 0);
    assert.match(StatusReporter.formatLine(t.miner), /diff \S+ SV1 \(backup pool\)/);
    // The API and /metrics say the same: the protocol in use, the pool's difficulty, the fallback.
    const board = loadBoard('bitaxe-ultra');
    const info = buildSystemInfoWithoutBoard(board, null, onBackup, { version: 't', hostname: 'h' });
    // AxeOS's flat stratum* fields copy the primary slot and fallbackStratum* the secondary; the flag says which.
    assert.equal(info.stratumProtocol, 'SV2');
    assert.equal(info.fallbackStratumProtocol, 'SV1');
    assert.equal(info.isUsingFallbackStratum, 1);
    assert.equal(info.poolDifficulty, onBackup.poolDifficulty);
    const metrics = parsePrometheusText(renderMetricsWithoutBoard(board, null, onBackup, 't'));
    assert.equal(metrics.get('hashaxe_pool_info')?.samples[0].labels.protocol, 'SV1');
    assert.equal(metrics.get('hashaxe_pool_fallback')?.samples[0].value, 1);
    assert.equal(metrics.get('hashaxe_pool_difficulty')?.samples[0].value, onBackup.poolDifficulty);

    primary = await sv2Pool(NOBODY_HOST, primaryPort);
    assert.equal(primary.url, primaryUrl);
    const back = primary;
    await eventually(() => back.stats().shares.accepted >= 2, 15_000, `shares on the returned primary${explain(t)}`);
    assert.equal(t.miner.miningStatus().pool?.protocol, 'SV2');
    assert.equal(t.miner.miningStatus().usingFallback, false);
    assert.ok(
      t.logs.some((l) => /primary pool .* answers again/.test(l)),
      explain(t),
    );
    const v1Stats = backup.v1.stats();
    assert.equal(v1Stats.shares.rejected, 0, JSON.stringify(v1Stats.shares));
  } finally {
    await t.stop();
    await primary?.close();
    await backup.close();
  }
  const summary = t.miner.summary();
  assert.equal(summary.rejected, 0, JSON.stringify(summary.rejectReasons));
  assert.ok(summary.sharesLost >= 2, 'the shares in flight at the kill are counted as lost');
  noShareLostSilently(summary, t.logs);
  ctx.diagnostic(
    `shares: ${summary.sharesSubmitted} sent, ${summary.accepted} accepted, ${summary.sharesLost} lost, ` +
      `${summary.sharesTimedOut} timed out, ${summary.sharesNotSent} not sent (each logged)`,
  );
});

test('V1 primary dropped: the SV2 backup mines within 5 s; back on V1 when it returns; no share lost silently', async (ctx) => {
  let primary: Awaited<ReturnType<typeof v1Pool>> | null = await v1Pool(NOBODY_HOST);
  const primaryUrl = primary.v1.url;
  const primaryPort = primary.v1.port;
  const backup = await sv2Pool('127.0.0.1');
  const t = await startTestMiner('bitaxe-ultra', pools(primaryUrl, backup.url), { retryMinMs: 100, failbackMs: 500 });
  try {
    const first = primary;
    await eventually(() => first.v1.stats().shares.accepted >= 2, 20_000, `shares on the V1 primary${explain(t)}`);
    assert.equal(t.miner.miningStatus().pool?.protocol, 'SV1');
    first.v1.setAnswerShares(false);
    const sent = t.miner.summary().sharesSubmitted;
    await eventually(() => t.miner.summary().sharesSubmitted >= sent + 2, 10_000, 'shares left unanswered');
    const killedAt = Date.now();
    await primary.close();
    primary = null;
    await eventually(
      () => backup.stats().shares.accepted >= 1,
      5000,
      `a share on the SV2 backup within 5 s${explain(t)}`,
    );
    ctx.diagnostic(
      `the SV2 backup's first accepted share came ${Date.now() - killedAt} ms after the V1 primary was killed`,
    );
    assert.equal(t.miner.miningStatus().pool?.protocol, 'SV2');
    assert.equal(t.miner.miningStatus().usingFallback, true);

    primary = await v1Pool(NOBODY_HOST, primaryPort);
    const back = primary;
    await eventually(
      () => back.v1.stats().shares.accepted >= 2,
      15_000,
      `shares on the returned V1 primary${explain(t)}`,
    );
    assert.equal(t.miner.miningStatus().pool?.protocol, 'SV1');
    assert.equal(t.miner.miningStatus().usingFallback, false);
  } finally {
    await t.stop();
    await primary?.close();
    await backup.close();
  }
  const summary = t.miner.summary();
  assert.equal(summary.rejected, 0, JSON.stringify(summary.rejectReasons));
  assert.ok(summary.sharesLost >= 2, 'the shares in flight at the kill are counted as lost');
  noShareLostSilently(summary, t.logs);
  ctx.diagnostic(
    `shares: ${summary.sharesSubmitted} sent, ${summary.accepted} accepted, ${summary.sharesLost} lost, ` +
      `${summary.sharesTimedOut} timed out, ${summary.sharesNotSent} not sent (each logged)`,
  );
});

test('a V1 primary that answers with an unusable extranonce2_size: the daemon logs why, mines on the backup and never crashes', async () => {
  const bad = new ScriptedV1Pool();
  await bad.start();
  // Every connection (the first try and each failback probe) gets extranonce2_size 0.
  bad.autoHandshake = { extranonce2Size: 0 };
  const backup = await sv2Pool('127.0.0.1');
  const t = await startTestMiner('bitaxe-ultra', pools(bad.url, backup.url), { retryMinMs: 100, failbackMs: 300 });
  try {
    await eventually(() => backup.stats().shares.accepted >= 2, 20_000, `shares on the backup${explain(t)}`);
    assert.ok(
      t.logs.some((l) => /extranonce2_size: 0 bytes is not a size a device can roll/.test(l)),
      explain(t),
    );
    await eventually(
      () => t.logs.some((l) => /primary pool .* still unavailable .*extranonce2_size/.test(l)),
      10_000,
      'a failed probe',
    );
    assert.equal(t.miner.miningStatus().pool?.protocol, 'SV2');
  } finally {
    await t.stop();
    await backup.close();
    await bad.close();
  }
});

test('bad input from a V1 pool mid-session: what can be ignored is logged and ignored; a 1 MB line drops it and the daemon fails over', async () => {
  const primary = await v1Pool('127.0.0.1');
  const backup = await sv2Pool('127.0.0.1');
  const t = await startTestMiner('bitaxe-ultra', pools(primary.v1.url, backup.url), {
    retryMinMs: 100,
    failbackMs: 60_000,
  });
  try {
    await eventually(() => primary.v1.stats().shares.accepted >= 1, 20_000, `shares on the V1 primary${explain(t)}`);
    primary.v1.sendRaw('this is not json\n');
    primary.v1.sendRaw('{"id":null,"method":"mining.set_difficulty","params":["NaN"]}\n');
    primary.v1.sendRaw('{"id":7,"method":"mining.frobnicate","params":[]}\n');
    primary.v1.sendRaw('{"id":987654,"result":true,"error":null}\n');
    await eventually(
      () => t.logs.filter((l) => /^warning: pool: pool sent|never sent/.test(l)).length >= 4,
      5000,
      `four warnings${explain(t)}`,
    );
    const before = primary.v1.stats().shares.accepted;
    await eventually(() => primary.v1.stats().shares.accepted > before, 10_000, 'mining goes on after them');
    assert.equal(t.miner.miningStatus().pool?.protocol, 'SV1');

    primary.v1.sendRaw(`{"id":null,"method":"mining.notify","params":["${'a'.repeat(1 << 20)}"]}\n`);
    await eventually(() => backup.stats().shares.accepted >= 1, 10_000, `shares on the backup${explain(t)}`);
    assert.ok(
      t.logs.some((l) => /disconnected \(line-too-long: peer sent a line of more than \d+ bytes/.test(l)),
      explain(t),
    );
  } finally {
    await t.stop();
    await primary.close();
    await backup.close();
  }
});

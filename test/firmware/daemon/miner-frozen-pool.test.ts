/**
 * A frozen primary pool, for real: `hashaxe pool` in its own process (SV2 acknowledging in batches of 10, as SRI's
 * pool does; and its Stratum V1 port), stopped with SIGSTOP mid-session — connected, silent, its kernel still
 * accepting and acknowledging our bytes. The whole daemon (emulated chain on a pty) must leave it for the backup
 * within 30 s with the default liveness rule, log why, and account for every share it sent (the unanswered ones
 * as lost, with the reason). The two protocols run side by side, each against its own primary.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MinerSummary } from '../../../firmware/daemon/miner.js';
import { Sv1Pool } from '../../../src/sv1/pool/v1-pool.js';
import { LocalPool } from '../../../src/sv2/pool/local-pool.js';
import { type RunningCli, startCliJson } from '../../support/cli.js';
import { eventually, startTestMiner, type TestMiner } from '../../support/miner.js';

const SHARE_RATE = 120;
const FAILOVER_LIMIT_MS = 30_000;

function primaryPool(v1: boolean): RunningCli {
  return startCliJson([
    'pool',
    '--listen',
    '127.0.0.1:0',
    ...(v1 ? ['--listen-v1', '127.0.0.1:0'] : ['--share-batch', '10']),
    '--share-rate',
    String(SHARE_RATE),
    '--stats-interval',
    '0',
    '--json',
  ]);
}

function explain(t: TestMiner): string {
  return `\nminer: ${JSON.stringify(t.miner.summary())}\n${t.logs.join('\n')}`;
}

function accountedFor(summary: MinerSummary, logs: string[]): void {
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
}

async function frozenPrimary(protocol: 'SV2' | 'SV1', diagnostic: (m: string) => void): Promise<void> {
  const v1 = protocol === 'SV1';
  const primary = primaryPool(v1);
  const chain = await LocalPool.start({ port: 0, sharesPerMinute: SHARE_RATE });
  const backupV1 = v1
    ? await Sv1Pool.start({
        feed: chain,
        port: 0,
        sharesPerMinute: SHARE_RATE,
        startDifficulty: (1e6 * 60) / (SHARE_RATE * 2 ** 32),
      })
    : null;
  let t: TestMiner | null = null;
  let stopped = false;
  try {
    const ready = await primary.waitFor((l) => l.event === 'ready');
    const primaryUrl = String(v1 ? ready.v1Url : ready.url);
    const backupUrl = backupV1 !== null ? backupV1.url : chain.url;
    const backupAccepted = (): number =>
      backupV1 !== null ? backupV1.stats().shares.accepted : chain.stats().shares.accepted;
    t = await startTestMiner(
      'bitaxe-ultra',
      { pools: [primaryUrl, backupUrl].map((url) => ({ url, user: 'bc1qexample.rig1', authorityKey: null })) },
      // The liveness rule at its defaults; only the retry pause and the failback probe are test-sized.
      { retryMinMs: 100, failbackMs: 600_000 },
    );
    const miner = t;
    await eventually(() => miner.miner.summary().accepted >= 5, 30_000, `shares on the primary${explain(miner)}`);
    assert.equal(miner.miner.miningStatus().pool?.protocol, protocol);
    assert.equal(miner.miner.miningStatus().usingFallback, false);

    primary.child.kill('SIGSTOP');
    stopped = true;
    const stoppedAt = Date.now();
    let switchedAfterMs = -1;
    await eventually(
      () => {
        if (switchedAfterMs < 0 && miner.logs.some((l) => /switching to pool 2 of 2/.test(l))) {
          switchedAfterMs = Date.now() - stoppedAt;
        }
        return backupAccepted() >= 1;
      },
      FAILOVER_LIMIT_MS + 15_000,
      `a share on the backup${explain(miner)}`,
    );
    const minedAfterMs = Date.now() - stoppedAt;
    const frozenLine = miner.logs.find((l) =>
      / froze: nothing from it for \d+ s, and no answer to a liveness probe/.test(l),
    );
    assert.ok(frozenLine !== undefined, `the reason is logged${explain(miner)}`);
    assert.ok(
      switchedAfterMs >= 0 && switchedAfterMs <= FAILOVER_LIMIT_MS,
      `switched ${switchedAfterMs} ms after SIGSTOP`,
    );
    assert.ok(
      minedAfterMs <= FAILOVER_LIMIT_MS,
      `first backup share ${minedAfterMs} ms after SIGSTOP${explain(miner)}`,
    );
    assert.equal(miner.miner.miningStatus().usingFallback, true);
    await miner.stop();
    const summary = miner.miner.summary();
    accountedFor(summary, miner.logs);
    const lostLines = miner.logs.filter((l) => /share\(s\) lost: /.test(l));
    assert.ok(
      lostLines.every((l) => /the connection closed \((pool froze|closed by the device|device shutting down)/.test(l)),
      lostLines.join('\n'),
    );
    diagnostic(
      `${protocol}: SIGSTOP → failover logged after ${(switchedAfterMs / 1000).toFixed(1)} s, first backup share ` +
        `after ${(minedAfterMs / 1000).toFixed(1)} s (limit 30 s); ${frozenLine}; shares: ${summary.sharesSubmitted} ` +
        `sent, ${summary.accepted} accepted, ${summary.sharesLost} lost (${lostLines.join(' | ') || 'none'}), ` +
        `${summary.sharesTimedOut} timed out`,
    );
  } finally {
    await t?.stop();
    if (stopped) primary.child.kill('SIGCONT');
    primary.child.kill('SIGKILL');
    await primary.exited;
    await backupV1?.close();
    await chain.close();
  }
}

test('a SIGSTOPped primary pool (hashaxe pool in its own process) is left within 30 s, SV2 and V1 side by side', async (ctx) => {
  await Promise.all([frozenPrimary('SV2', (m) => ctx.diagnostic(m)), frozenPrimary('SV1', (m) => ctx.diagnostic(m))]);
});

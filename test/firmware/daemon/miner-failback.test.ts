/**
 * Failback from a backup pool to the primary, with the whole daemon against local pools on 127.0.0.1: the
 * primary is probed in the background (a full connection: TCP, Noise, SetupConnection, channel), the backup
 * session is left alone while the primary is down, the daemon moves back only after a probe opened a channel,
 * and stop() cancels a probe that hangs in the handshake.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { LocalPool } from '../../../src/sv2/pool/local-pool.js';
import { eventually, startTestMiner, type TestMiner } from '../../support/miner.js';
import { NOBODY_HOST } from '../../support/net.js';

/** A fixed authority secret, so a primary restarted on the same port has the same authority key. */
const PRIMARY_AUTHORITY = new Uint8Array(32).fill(7);

/**
 * A primary that is down: the URL (with a valid authority key) of a pool that stopped listening, on an address
 * no other pool uses, so no pool started meanwhile (here or in a test running beside this one) can take its port.
 */
async function downPrimary(): Promise<{ url: string; port: number }> {
  const pool = await LocalPool.start({ host: NOBODY_HOST, port: 0, authoritySecretKey: PRIMARY_AUTHORITY });
  const found = { url: pool.url, port: pool.port };
  await pool.close();
  return found;
}

function pools(primaryUrl: string, backupUrl: string) {
  return {
    pools: [
      { url: primaryUrl, user: 'rig', authorityKey: null },
      { url: backupUrl, user: 'rig', authorityKey: null },
    ],
  };
}

/** The daemon mines on `pool`: its first share accepted. On failure says what the daemon saw (probe lines left out). */
async function minesOn(t: TestMiner, pool: LocalPool): Promise<void> {
  try {
    await eventually(() => pool.stats().shares.accepted >= 1, 20_000, 'shares on the backup');
  } catch (err) {
    const logs = t.logs.filter((l) => !/still unavailable/.test(l));
    throw new Error(
      `${String(err)}\nminer: ${JSON.stringify(t.miner.summary())}\npool: ${JSON.stringify(pool.stats())}\n${logs.join('\n')}`,
    );
  }
}

const probeFailures = (logs: string[]): string[] => logs.filter((l) => /^primary pool .* still unavailable/.test(l));

test('primary down, backup up: probes of the primary never interrupt the backup session and no share is lost', async () => {
  const primary = await downPrimary();
  const backup = await LocalPool.start({ port: 0, sharesPerMinute: 600 });
  const t = await startTestMiner('bitaxe-ultra', pools(primary.url, backup.url), {
    retryMinMs: 100,
    failbackMs: 300,
  });
  try {
    await minesOn(t, backup);
    await eventually(() => probeFailures(t.logs).length >= 4, 15_000, 'four failed probes of the primary');
    // Shares keep flowing on the same session after the probes.
    const before = backup.stats().shares.accepted;
    await eventually(() => backup.stats().shares.accepted >= before + 3, 10_000, 'more shares on the backup');

    const stats = backup.stats();
    assert.equal(stats.connections.total, 1, 'the backup saw one connection');
    assert.equal(stats.channels.length, 1, 'the backup saw one channel');
    assert.equal(stats.channels[0].open, true);
    assert.equal(t.miner.poolUrl, backup.url);
    // Each failed probe says why, and names the pool that keeps mining.
    const failure = probeFailures(t.logs)[0];
    assert.match(failure, /ECONNREFUSED|cannot connect/, failure);
    assert.match(failure, /staying on .*next check in 300 ms/, failure);
    assert.ok(!t.logs.some((l) => /failing back|switching to pool 1 of 2|disconnected/.test(l)), t.logs.join('\n'));

    const s = t.miner.snapshot();
    assert.ok(s !== null);
    assert.equal(s.sharesLost, 0);
    assert.equal(s.sharesTimedOut, 0);
    assert.equal(s.sharesRejected, 0);
    assert.deepEqual(stats.shares.rejectedByCode, {});
  } finally {
    await t.stop();
    await backup.close();
  }
});

test('the primary comes back: the next probe opens a channel there and the daemon moves to it', async () => {
  const down = await downPrimary();
  const backup = await LocalPool.start({ port: 0, sharesPerMinute: 600 });
  const t = await startTestMiner('bitaxe-ultra', pools(down.url, backup.url), { retryMinMs: 100, failbackMs: 300 });
  let primary: LocalPool | null = null;
  try {
    await minesOn(t, backup);
    await eventually(() => probeFailures(t.logs).length >= 1, 10_000, 'a failed probe of the primary');
    primary = await LocalPool.start({
      host: NOBODY_HOST,
      port: down.port,
      authoritySecretKey: PRIMARY_AUTHORITY,
      sharesPerMinute: 600,
    });
    assert.equal(primary.url, down.url);
    const p = primary;
    await eventually(() => p.stats().shares.accepted >= 3, 15_000, 'shares on the recovered primary');

    assert.equal(t.miner.poolUrl, primary.url);
    assert.ok(
      t.logs.some((l) => /primary pool .* answers again/.test(l)),
      t.logs.join('\n'),
    );
    assert.ok(t.logs.some((l) => /switching to pool 1 of 2/.test(l)));
    // The backup kept its one session until the switch, then its channel was closed.
    const b = backup.stats();
    assert.equal(b.connections.total, 1);
    assert.equal(b.channels.length, 1);
    assert.equal(b.channels[0].open, false);
    // The primary saw the probe (its channel closed again) and then the mining session.
    const ps = primary.stats();
    assert.equal(ps.connections.total, 2);
    assert.equal(ps.channels.length, 2);
    const [probe, session] = [...ps.channels].sort((a, b) => a.channelId - b.channelId);
    assert.equal(probe.open, false, 'the probe closed its channel');
    assert.equal(probe.accepted, 0);
    assert.equal(session.open, true);
    assert.equal(t.miner.summary().rejected, 0);
    assert.deepEqual(ps.shares.rejectedByCode, {});
  } finally {
    await t.stop();
    await backup.close();
    await primary?.close();
  }
});

/**
 * A primary that drops connections at once (down) until told to hold them: then it accepts TCP and never
 * answers the Noise handshake, so a probe hangs until it is cancelled.
 */
class BlackHolePool {
  holding = false;
  readonly held: Socket[] = [];
  closedHeld = 0;
  private constructor(private readonly server: Server) {}

  static async start(authorityKeyText: string): Promise<{ pool: BlackHolePool; url: string }> {
    let pool: BlackHolePool | null = null;
    const server = createServer((s) => pool?.accept(s));
    pool = new BlackHolePool(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    return { pool, url: `sv2+tcp://127.0.0.1:${port}/${authorityKeyText}` };
  }

  private accept(s: Socket): void {
    s.on('error', () => undefined);
    if (!this.holding) {
      s.destroy();
      return;
    }
    this.held.push(s);
    s.on('close', () => this.closedHeld++);
    s.resume();
  }

  close(): Promise<void> {
    for (const s of this.held) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

test('stop() while a probe hangs in the handshake of a primary that never answers: the probe is cancelled at once', async () => {
  const keySource = await LocalPool.start({ port: 0 });
  const authorityKey = keySource.authorityKeyText;
  await keySource.close();
  const { pool: primary, url } = await BlackHolePool.start(authorityKey);
  const backup = await LocalPool.start({ port: 0, sharesPerMinute: 600 });
  const t = await startTestMiner('bitaxe-ultra', pools(url, backup.url), { retryMinMs: 100, failbackMs: 300 });
  try {
    await minesOn(t, backup);
    primary.holding = true;
    await eventually(() => primary.held.length >= 1, 10_000, 'a probe connected to the primary');
    // The probe now waits for a handshake answer that never comes (the client gives up after 10 s by itself);
    // stop() must cancel it rather than wait. The guard is far above a prompt stop and below that timeout.
    let guard: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      t.stop().then(() => 'stopped'),
      new Promise<string>((r) => {
        guard = setTimeout(() => r('still waiting'), 6000);
      }),
    ]);
    clearTimeout(guard);
    assert.equal(outcome, 'stopped');
    // The probe's socket was closed by the daemon, not left open.
    await eventually(() => primary.closedHeld === primary.held.length, 2000, 'the probe socket closed');
    assert.equal(primary.held.length, 1, 'one probe at a time');
    assert.ok(!t.logs.some((l) => /no complete Noise handshake/.test(l)), t.logs.join('\n'));
    // The backup mined untouched until the stop.
    assert.equal(backup.stats().connections.total, 1);
    assert.equal(backup.stats().channels.length, 1);
  } finally {
    await t.stop();
    await backup.close();
    await primary.close();
  }
});

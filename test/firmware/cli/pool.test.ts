/**
 * `hashaxe pool` as a user runs it: the built binary in its own process, the real mining client connecting over
 * TCP + Noise with the key and URL the pool printed, shares judged, and a clean stop on SIGTERM / SIGINT.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Sv2MiningClient } from '../../../src/sv2/client/mining-client.js';
import { parseAuthorityKey } from '../../../src/sv2/noise/authority-key.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { isOneLineReason, runCliCaptured, startCliJson } from '../../support/cli.js';
import { findNonce, nextEvent, zeroExtranonce } from '../../support/sv2-net.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

const CLI = fileURLToPath(new URL('../../../firmware/cli.js', import.meta.url));

function client(url: string): Sv2MiningClient {
  return new Sv2MiningClient({
    url,
    userIdentity: 'cli.worker',
    nominalHashRateHs: 1000,
    device: { vendor: 'hashaxe-test', hardwareVersion: 'none', firmware: '0.0.0' },
  });
}

const QUIET = ['--listen', '127.0.0.1:0', '--json', '--stats-interval', '0', '--job-interval', '0'];

test('hashaxe pool --json: ready line with key and URL; the client mines on it; SIGTERM stops with final stats', async () => {
  const pool = startCliJson(['pool', ...QUIET, '--share-rate', '60/min', '--block-interval', '0']);
  try {
    const ready = await pool.waitFor((l) => l.event === 'ready');
    const url = String(ready.url);
    const m = /^sv2\+tcp:\/\/127\.0\.0\.1:(\d+)\/(\w+)$/.exec(url);
    assert.ok(m, url);
    assert.equal(Number(m[1]), ready.port);
    assert.equal(m[2], ready.authorityKey);
    assert.equal(bytesToHex(parseAuthorityKey(String(ready.authorityKey))), ready.authorityKeyHex);
    assert.equal(ready.sharesPerMinute, 60);

    // The client authenticates the pool with the printed key (a wrong key fails: client-robustness tests).
    const miner = client(url);
    const prev = nextEvent(miner, 'prevHash');
    const channel = await miner.connect();
    const job = (await prev).job!;
    const opened = await pool.waitFor((l) => l.event === 'channelOpened');
    assert.equal(opened.channelId, channel.channelId);
    assert.equal(opened.userIdentity, 'cli.worker');
    // A client's default: an extended channel, whose shares carry the extranonce the pool rebuilds the coinbase with.
    assert.equal(channel.kind, 'extended');
    assert.equal(opened.kind, 'extended');
    const share = {
      channelId: channel.channelId,
      jobId: job.jobId,
      ntime: job.minNtime,
      version: job.version,
      extranonce: zeroExtranonce(job),
    };
    const good = findNonce(job, true);
    const outcomes: string[] = [];
    for (const nonce of [good, findNonce(job, false), good]) {
      const result = nextEvent(miner, 'shareResult');
      miner.submitShare({ ...share, nonce });
      const r = await result;
      outcomes.push(r.kind === 'rejected' ? r.errorCode : r.kind);
    }
    assert.deepEqual(outcomes, ['accepted', 'difficulty-too-low', 'duplicate-share']);
    miner.close();
    await pool.waitFor((l) => l.event === 'connectionClosed');

    pool.child.kill('SIGTERM');
    assert.equal(await pool.exited, 0, pool.stderr());
    assert.equal(pool.stderr(), '');
    const stopped = pool.lines.at(-1)!;
    assert.equal(stopped.event, 'stopped');
    assert.deepEqual(stopped.shares, {
      accepted: 1,
      acceptedInFlight: 0,
      rejected: 2,
      rejectedByCode: { 'difficulty-too-low': 1, 'duplicate-share': 1 },
      blocksFound: 0,
    });
    const channels = stopped.channels as Array<Record<string, unknown>>;
    assert.equal(channels.length, 1);
    assert.equal(channels[0].open, false);
    assert.equal(channels[0].accepted, 1);
    assert.equal((stopped.connections as { total: number }).total, 1);
  } finally {
    pool.child.kill('SIGKILL');
  }
});

test('hashaxe pool --block-interval 0.2 --in-flight-grace 0: new blocks arrive on their own and old work becomes stale-share at once', async () => {
  const pool = startCliJson([
    'pool',
    ...QUIET,
    '--share-rate',
    '60/min',
    '--block-interval',
    '0.2',
    '--in-flight-grace',
    '0',
  ]);
  try {
    const ready = await pool.waitFor((l) => l.event === 'ready');
    assert.equal(ready.blockIntervalSec, 0.2);
    assert.equal(ready.inFlightGraceSec, 0);
    const miner = client(String(ready.url));
    const first = nextEvent(miner, 'prevHash');
    const channel = await miner.connect();
    const old = (await first).job!;
    const next = await nextEvent(miner, 'prevHash', (p) => p.job !== null && p.job.jobId !== old.jobId);
    assert.notDeepEqual(next.tip.prevHash, old.prevHash, 'a new previous hash');
    const result = nextEvent(miner, 'shareResult');
    miner.submitShare({
      channelId: channel.channelId,
      jobId: old.jobId,
      nonce: findNonce(old, true),
      ntime: old.minNtime,
      version: old.version,
      extranonce: zeroExtranonce(old),
    });
    const r = await result;
    assert.ok(r.kind === 'rejected' && r.errorCode === 'stale-share', JSON.stringify(r.kind));
    miner.close();
    pool.child.kill('SIGINT');
    assert.equal(await pool.exited, 0);
    const stopped = pool.lines.at(-1)!;
    assert.equal(stopped.event, 'stopped');
    assert.ok((stopped.chain as { blocks: number }).blocks >= 1);
  } finally {
    pool.child.kill('SIGKILL');
  }
});

test('hashaxe pool in text form prints the authority key and the URL a miner uses; SIGINT stops it (exit 0)', async () => {
  const child = spawn(process.execPath, [CLI, 'pool', '--listen', '127.0.0.1:0', '--stats-interval', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL line: ${stdout}${stderr}`)), 10_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /miners connect to:\s+(sv2\+tcp:\/\/\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const key = /authority public key: (\w+)/.exec(stdout)?.[1];
    assert.ok(key && url.endsWith(`/${key}`), stdout);
    const miner = client(url);
    await miner.connect();
    miner.close();
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /^connection 1 from 127\.0\.0\.1:\d+$/m);
    assert.match(stdout, /^extended channel \d+ \(group \d+\) opened for "cli\.worker"/m);
    assert.match(stdout, /^stopped: 0 connection\(s\) open \(1 total\)/m);
    assert.equal(stderr, '');
  } finally {
    child.kill('SIGKILL');
  }
});

test('hashaxe pool --authority-secret-file: the SRI test authority secret gives its published public key', {
  skip: vectorsMissing,
}, async () => {
  const { authorityKeyPair } = readVectorJson<{ authorityKeyPair: Record<string, string> }>('sv2/noise-constants.json');
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-pool-'));
  try {
    const forms = [authorityKeyPair.privateKeyBase58, authorityKeyPair.privateKey];
    for (const [i, secret] of forms.entries()) {
      const file = join(dir, `secret${i}`);
      writeFileSync(file, `${secret}\n`);
      const pool = startCliJson(['pool', ...QUIET, '--authority-secret-file', file]);
      try {
        const ready = await pool.waitFor((l) => l.event === 'ready');
        assert.equal(ready.authorityKey, authorityKeyPair.publicKeyBase58, `secret as ${i === 0 ? 'base58' : 'hex'}`);
        pool.child.kill('SIGTERM');
        assert.equal(await pool.exited, 0);
      } finally {
        pool.child.kill('SIGKILL');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hashaxe pool --max-per-address 1 --handshake-timeout 0.5: a second connection from an address replaces the first; the handshake deadline closes the other', async () => {
  const pool = startCliJson([
    'pool',
    ...QUIET,
    '--max-per-address',
    '1',
    '--handshake-timeout',
    '0.5',
    '--idle-timeout',
    '30',
  ]);
  const sockets: Socket[] = [];
  try {
    const ready = await pool.waitFor((l) => l.event === 'ready');
    assert.deepEqual(
      [ready.maxConnectionsPerAddress, ready.handshakeTimeoutSec, ready.idleTimeoutSec, ready.maxConnections],
      [1, 0.5, 30, 64],
    );
    const open = (): Socket => {
      const s = connect({ host: '127.0.0.1', port: Number(ready.port), localAddress: '127.0.0.61' });
      s.on('error', () => {});
      sockets.push(s);
      return s;
    };
    open();
    open();
    const evicted = await pool.waitFor((l) => l.event === 'connectionClosed' && l.code === 'evicted');
    assert.match(
      String(evicted.message),
      /replaced by a newer connection from 127\.0\.0\.61 \(at most 1 per address\)/,
    );
    const timedOut = await pool.waitFor((l) => l.event === 'connectionClosed' && l.code === 'handshake-timeout');
    assert.match(String(timedOut.message), /within (0\.5 s|500 ms)/);
  } finally {
    for (const s of sockets) s.destroy();
    pool.child.kill('SIGKILL');
    await pool.exited;
  }
});

test('hashaxe pool on a port already in use exits 1 with a one-line reason', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const port = (taken.address() as { port: number }).port;
    const run = await runCliCaptured(['pool', '--listen', `127.0.0.1:${port}`]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /cannot listen on 127\.0\.0\.1:\d+: address already in use/);
    assert.ok(isOneLineReason(run.stderr), run.stderr);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
});

const dir = mkdtempSync(join(tmpdir(), 'hashaxe-pool-bad-'));
const garbageFile = join(dir, 'garbage');
writeFileSync(garbageFile, 'not a key\n');
const zeroFile = join(dir, 'zero');
writeFileSync(zeroFile, '0'.repeat(64));

const badFlags: Array<[string, string[], RegExp]> = [
  ['a listen address without a port', ['--listen', 'localhost'], /--listen must be HOST:PORT/],
  ['a port out of range', ['--listen', '127.0.0.1:70000'], /--listen port must be between 0 and 65535/],
  ['a share rate that is not a number', ['--share-rate', 'fast'], /--share-rate must be N\/min/],
  ['a zero share rate', ['--share-rate', '0/min'], /--share-rate must be N\/min/],
  ['a negative block interval', ['--block-interval=-1'], /--block-interval must be between 0 and 86400/],
  ['a block interval under 0.1 s', ['--block-interval', '0.01'], /--block-interval must be 0 \(never\) or at least/],
  ['a job interval that is not a number', ['--job-interval', 'soon'], /--job-interval must be a number/],
  ['an in-flight grace over a minute', ['--in-flight-grace', '90'], /--in-flight-grace must be between 0 and 60/],
  ['a certificate lifetime under a minute', ['--cert-validity', '5'], /--cert-validity must be between 60/],
  ['a missing secret file', ['--authority-secret-file', join(dir, 'nope')], /cannot be read \(ENOENT\)/],
  ['a secret file with garbage', ['--authority-secret-file', garbageFile], /not valid base58check/],
  ['a zero secret', ['--authority-secret-file', zeroFile], /out of range/],
  ['a zero per-address limit', ['--max-per-address', '0'], /--max-per-address must be between 1 and 100000/],
  ['a connection limit that is not a number', ['--max-connections', 'many'], /--max-connections/],
  ['an idle timeout that is not a number', ['--idle-timeout', 'later'], /--idle-timeout must be a number/],
  ['a negative handshake timeout', ['--handshake-timeout=-1'], /--handshake-timeout must be between 0 and 86400/],
  ['a stray argument', ['now'], /unexpected argument 'now'/i],
  ['an unknown flag', ['--frobnicate'], /frobnicate/],
];

for (const [name, argv, reason] of badFlags) {
  test(`hashaxe pool with ${name} exits 2 with a one-line reason`, async () => {
    const run = await runCliCaptured(['pool', ...argv]);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, reason);
    assert.ok(isOneLineReason(run.stderr), run.stderr);
  });
}

test('the built binary: hashaxe pool with a bad flag exits 2 with one line and no stack trace', async () => {
  const pool = startCliJson(['pool', '--share-rate', 'lots']);
  assert.equal(await pool.exited, 2);
  assert.ok(isOneLineReason(pool.stderr()), pool.stderr());
  assert.equal(pool.lines.length, 0);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Stratum V1 from the command line, as users run it: `hashaxe mine --pool local-v1` (the embedded default over V1),
 * `hashaxe pool --listen-v1` in its own process with `hashaxe mine --pool stratum+tcp://…` in another, and the
 * V1 flags' bad input.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isOneLineReason, runCliCaptured, spawnCli, startCliJson } from '../../support/cli.js';

function checkSummary(s: Record<string, number | null | string>, minAccepted: number): void {
  assert.ok(Number(s.accepted) >= minAccepted, `accepted ${s.accepted}`);
  assert.equal(s.rejected, 0, JSON.stringify(s.rejectReasons));
  assert.equal(s.hwErrors, 0);
  assert.equal(s.emulatedHashrateGhs, 0.001);
  const rate = Number(s.hashrateGhs);
  assert.ok(Math.abs(rate - 0.001) <= 0.25 * 0.001, `hash rate ${rate} GH/s vs the emulator's 0.001`);
  assert.equal(s.protocol, 'sv1');
  assert.equal(s.sharesLost, 0);
}

// The acceptance run is 30 s with ≥ 20 accepted (README); the suite runs 12 s against the same rate
// (120 shares/min: about 24 expected) to keep `npm test` short.
test('hashaxe mine --pool local-v1 --duration 12 --json: ≥ 8 accepted, none rejected, no hardware errors, hash rate ±25 %', async (ctx) => {
  const run = await spawnCli(['mine', '--pool', 'local-v1', '--duration', '12', '--json', '--api-port', '0'], {
    timeoutMs: 60_000,
  });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, run.stdout);
  const s = JSON.parse(lines[0]);
  ctx.diagnostic(lines[0]);
  checkSummary(s, 8);
  assert.match(String(s.pool), /^stratum\+tcp:\/\/127\.0\.0\.1:\d+$/);
  assert.match(run.stderr, /local Stratum V1 port on stratum\+tcp:\/\/127\.0\.0\.1:\d+/);
  assert.match(run.stderr, /SV1 extranonce1 [0-9a-f]{8}, 4-byte extranonce2 open as hashaxe/);
});

test('hashaxe pool --listen-v1 in its own process, hashaxe mine --pool stratum+tcp://… --user bc1q….w1 in another: shares accepted both sides', async (ctx) => {
  const pool = startCliJson([
    'pool',
    '--listen',
    '127.0.0.1:0',
    '--listen-v1',
    '127.0.0.1:0',
    '--share-rate',
    '120',
    '--stats-interval',
    '0',
    '--json',
  ]);
  try {
    const ready = await pool.waitFor((l) => l.event === 'ready');
    const v1Url = String(ready.v1Url);
    assert.match(v1Url, /^stratum\+tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(ready.v1Profile, 'public-pool');
    const user = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4.w1';
    const run = await spawnCli(['mine', '--pool', v1Url, '--user', user, '--duration', '10', '--json', '--no-api'], {
      timeoutMs: 60_000,
    });
    assert.equal(run.code, 0, run.stderr);
    const s = JSON.parse(run.stdout.trim());
    ctx.diagnostic(run.stdout.trim());
    checkSummary(s, 6);
    const joined = await pool.waitFor((l) => l.event === 'v1Ready');
    assert.equal(joined.user, user);
    pool.child.kill('SIGTERM');
    assert.equal(await pool.exited, 0, pool.stderr());
    const stopped = pool.lines.at(-1)!;
    const v1 = stopped.v1 as { shares: { accepted: number; rejected: number }; sessions: Array<{ user: string }> };
    assert.equal(stopped.event, 'stopped');
    assert.equal(v1.shares.rejected, 0);
    // The pool accepted every share the miner counted (and maybe one whose answer was cut off by the stop).
    assert.ok(v1.shares.accepted >= s.accepted, `pool ${v1.shares.accepted} vs miner ${s.accepted}`);
    assert.equal(v1.sessions[0].user, user);
  } finally {
    pool.child.kill('SIGKILL');
  }
});

test('V1 flags and fields: bad input exits 2 with a one-line reason naming the flag or field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-v1-'));
  try {
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    const config = join(dir, 'pools.json');
    writeFileSync(
      config,
      JSON.stringify({ pools: [{ url: 'stratum+ssl://pool.example:4333', tlsCa: join(dir, 'gone.pem') }] }),
    );
    const cases: Array<[string[], RegExp]> = [
      [
        ['mine', '--pool', 'stratum+tcp://pool.example'],
        /--pool must be .* \(pool URL "stratum\+tcp:\/\/pool\.example" has no port/,
      ],
      [
        ['mine', '--pool', 'stratum+udp://pool:3333'],
        /--pool must be sv2\+tcp:\/\/HOST:PORT.*stratum\+tcp:\/\/HOST:PORT/,
      ],
      [['mine', '--password', 'x'], /--password is for Stratum V1 pools/],
      [['mine', '--suggest-difficulty', '0', '--pool', 'stratum+tcp://p:3333'], /--suggest-difficulty must be above 0/],
      [
        ['mine', '--suggest-difficulty', 'lots', '--pool', 'stratum+tcp://p:3333'],
        /--suggest-difficulty must be a number/,
      ],
      [['mine', '--pool', 'stratum+tcp://p:3333', '--tls-ca', notPem], /--tls-ca is for TLS pools/],
      [
        ['mine', '--pool', 'stratum+ssl://p:4333', '--tls-ca', notPem],
        /--tls-ca ".*not\.pem" holds no PEM certificate/,
      ],
      [
        ['mine', '--pool', 'stratum+ssl://p:4333', '--tls-ca', join(dir, 'x.pem')],
        /--tls-ca ".*x\.pem" cannot be read \(ENOENT\)/,
      ],
      [['mine', '--config', config], /pools\[0\]\.tlsCa ".*gone\.pem" cannot be read \(ENOENT\)/],
      [['pool', '--v1-profile', 'ckpool'], /--v1-profile needs --listen-v1/],
      [
        ['pool', '--listen-v1', '127.0.0.1:0', '--v1-profile', 'p2pool'],
        /--v1-profile must be one of public-pool, ckpool/,
      ],
      [['pool', '--listen-v1', 'nowhere'], /--listen-v1 must be HOST:PORT \(e\.g\. 127\.0\.0\.1:3333\)/],
      [['pool', '--listen-v1', '127.0.0.1:0', '--v1-tls-cert', notPem], /--v1-tls-cert and --v1-tls-key go together/],
    ];
    for (const [argv, reason] of cases) {
      const r = await runCliCaptured(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, reason, argv.join(' '));
      assert.ok(isOneLineReason(r.stderr), `${argv.join(' ')}: ${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

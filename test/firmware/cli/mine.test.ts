/**
 * `hashaxe mine` as users run it: the built binary in its own process on the embedded default (emulated
 * Bitaxe Ultra behind a socat pty, local SV2 pool over TCP + Noise), and the operator CLI talking to it.
 */
import assert from 'node:assert/strict';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isOneLineReason, runCliCaptured, spawnCli } from '../../support/cli.js';

const CLI = fileURLToPath(new URL('../../../firmware/cli.js', import.meta.url));

test('hashaxe mine --duration 10 --json: shares accepted, none rejected, no hardware errors, hash rate within ±25% of the emulator', async () => {
  const run = await spawnCli(['mine', '--duration', '10', '--json', '--api-port', '0'], { timeoutMs: 40_000 });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one JSON line: ${run.stdout}`);
  const s = JSON.parse(lines[0]);
  for (const k of [
    'accepted',
    'rejected',
    'rejectReasons',
    'hwErrors',
    'hashrateGhs',
    'emulatedHashrateGhs',
    'bestDifficulty',
    'jobs',
    'prevHashChanges',
  ]) {
    assert.ok(k in s, `summary has ${k}`);
  }
  // 120 shares/min expected at the embedded default: ~20 in 10 s.
  assert.ok(s.accepted >= 5, `accepted ${s.accepted}`);
  assert.equal(s.rejected, 0, JSON.stringify(s.rejectReasons));
  assert.equal(s.hwErrors, 0);
  assert.equal(s.emulatedHashrateGhs, 0.001);
  assert.ok(
    Math.abs(s.hashrateGhs - s.emulatedHashrateGhs) <= 0.25 * s.emulatedHashrateGhs,
    `hash rate ${s.hashrateGhs} GH/s vs the emulator's ${s.emulatedHashrateGhs}`,
  );
  assert.ok(s.jobs >= 1 && s.prevHashChanges >= 1);
  // The embedded default mines on an extended channel (auto, on a pool that serves one).
  assert.equal(s.channel, 'extended');
  assert.ok(s.bestDifficulty > 0);
  // The newcomer's explanation and the graceful shutdown are on stderr.
  assert.match(run.stderr, /embedded default/);
  assert.match(run.stderr, /ASIC power off/);
});

interface Daemon {
  child: ChildProcessByStdio<null, Readable, Readable>;
  api: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number>;
}

async function startDaemon(args: string[]): Promise<Daemon> {
  const child = spawn(process.execPath, [CLI, 'mine', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const api = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no API line: ${err}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then((code) => reject(new Error(`mine exited ${code}: ${err}`)));
  });
  return { child, api, stdout: () => out, stderr: () => err, exited };
}

test('a running daemon: hashaxe fan 40 and status --json go through its API; SIGTERM shuts it down cleanly', async () => {
  const d = await startDaemon(['--api-port', '0', '--json']);
  try {
    const set = await spawnCli(['fan', '40', '--api', d.api]);
    assert.equal(set.code, 0, set.stderr);
    const status = await spawnCli(['status', '--json', '--api', d.api]);
    assert.equal(status.code, 0, status.stderr);
    const info = JSON.parse(status.stdout.trim());
    assert.equal(info.fanspeed, 40);
    assert.equal(info.ASICModel, 'BM1366');
    assert.equal(typeof info.hashRate, 'number');
    assert.equal(info.stratumURL, '127.0.0.1', 'AxeOS: a bare host');
    assert.equal(info.stratumProtocol, 'SV2');
    const over = await spawnCli(['voltage', '1400', '--api', d.api]);
    assert.equal(over.code, 2, 'above bitaxe-ultra’s 1300 mV');
    assert.match(over.stderr, /1300/);
    d.child.kill('SIGTERM');
    assert.equal(await d.exited, 0, d.stderr());
    const summary = JSON.parse(d.stdout().trim());
    assert.equal(summary.board, 'bitaxe-ultra');
    assert.equal(summary.rejected, 0);
    assert.match(d.stderr(), /stopping \(signal\)/);
    assert.match(d.stderr(), /ASIC power off/);
  } finally {
    if (d.child.exitCode === null) d.child.kill('SIGKILL');
  }
});

test('bad input exits 2 with a one-line reason that names the flag or field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-cfg-'));
  try {
    const badField = join(dir, 'bad-field.json');
    writeFileSync(badField, JSON.stringify({ pools: [{ url: 'stratum+tcp://pool' }] }));
    const overLimit = join(dir, 'over.json');
    writeFileSync(overLimit, JSON.stringify({ board: 'bitaxe-gamma', settings: { voltageMv: 1500 } }));
    const slowFan = join(dir, 'slow-fan.json');
    writeFileSync(slowFan, JSON.stringify({ settings: { fan: { mode: 'manual', percent: 10 } } }));
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ pool: 'x' }));
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ "board": ');
    const badChannel = join(dir, 'channel.json');
    writeFileSync(badChannel, JSON.stringify({ pools: [{ url: 'sv2+tcp://127.0.0.1:34254', channel: 'group' }] }));
    // A file that is not ours, under a .json name: the error must not quote it.
    const secret = join(dir, 'secret.json');
    writeFileSync(secret, 'root:x:0:0:TOPSECRET-line-one\nhashaxe:x:999:999::/var/lib/hashaxe\n');
    const cases: Array<[string[], RegExp]> = [
      [['--port', 'COM3'], /--port must be "emulated", "board" .*, a serial device path/],
      [['--pool', 'http://pool:3333'], /--pool must be sv2\+tcp:\/\/HOST:PORT/],
      [['--board', 'bitaxe-nope'], /bitaxe-nope: is not a known board; known boards: .*bitaxe-ultra/],
      [['--voltage', '1400'], /settings\.voltageMv must be between 1100 and 1300 mV on bitaxe-ultra, got 1400/],
      [['--frequency', '9000'], /--frequency must be between 1 and 2000/],
      [['--duration', '0'], /--duration must be between 1/],
      [['--hashrate', 'fast'], /--hashrate must be between 1k and 1G/],
      [['--state', ''], /--state must be a file path/],
      [['--peripherals', 'hardware'], /needs a real --port/],
      [['--config', join(dir, 'missing.json')], /missing\.json: cannot be read \(ENOENT\)/],
      [
        ['--config', badField],
        /pools\[0\]\.url must be sv2\+tcp:\/\/HOST:PORT.* \(pool URL "stratum\+tcp:\/\/pool" has no port/,
      ],
      [['--config', overLimit], /settings\.voltageMv must be between \d+ and \d+ mV on bitaxe-gamma, got 1500/],
      [['--config', unknown], /pool is not a known field/],
      [['--config', slowFan], /slow-fan\.json: settings\.fan\.percent must be at least 40 % on bitaxe-ultra/],
      [['--config', notJson], /broken\.json: is not valid JSON \(line 1, column 12\)$/m],
      [['--board', '../../etc/passwd'], /is neither a board name nor a path to a \.json board file/],
      [['--board', secret], /secret\.json: is not valid JSON \(line 1, column 1\)$/m],
      [['--config', secret], /secret\.json: is not valid JSON \(line 1, column 1\)$/m],
      [['--authority', 'nonsense'], /--authority: authority key/],
      [['--channel', 'group'], /--channel must be extended, standard or auto, got "group"/],
      [['--config', badChannel], /pools\[0\]\.channel must be one of .*auto.*extended.*standard/],
      [['extra'], /Unexpected argument 'extra'/],
    ];
    for (const [argv, reason] of cases) {
      const r = await runCliCaptured(['mine', ...argv]);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, reason, argv.join(' '));
      assert.ok(isOneLineReason(r.stderr), `${argv.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /TOPSECRET|root:x|hashaxe:x/, 'never echoes a file that is not JSON');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a pool nobody answers: the daemon keeps trying, reports it, and still shuts down on time', async () => {
  // Port 1 on loopback refuses at once; the authority key is well-formed.
  const key = '9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';
  const run = await spawnCli(
    ['mine', '--pool', `sv2+tcp://127.0.0.1:1/${key}`, '--duration', '3', '--json', '--no-api'],
    { timeoutMs: 30_000 },
  );
  assert.equal(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout.trim());
  assert.equal(s.accepted, 0);
  assert.match(run.stderr, /cannot connect to 127\.0\.0\.1:1/);
});

test('against an external hashaxe emulate on a ser2net-style TCP port: the scale and rate it prints make shares', async () => {
  const emu = spawn(
    process.execPath,
    [
      CLI,
      'emulate',
      '--chip',
      'bm1366',
      '--listen',
      'tcp://127.0.0.1:0',
      '--json',
      '--status-interval',
      '0',
      '--workers',
      '1',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  try {
    const ready = await new Promise<{ endpoint: string; difficultyScale: number; hashrateHs: number }>(
      (resolve, reject) => {
        let text = '';
        emu.stdout.on('data', (d: Buffer) => {
          text += d.toString();
          const line = text.split('\n').find((l) => l.includes('"ready"'));
          if (line) resolve(JSON.parse(line));
        });
        emu.once('exit', (code) => reject(new Error(`emulate exited ${code}`)));
      },
    );
    const run = await spawnCli(
      [
        'mine',
        '--port',
        ready.endpoint,
        '--difficulty-scale',
        String(ready.difficultyScale),
        '--hashrate',
        String(ready.hashrateHs),
        '--duration',
        '8',
        '--json',
        '--no-api',
      ],
      { timeoutMs: 40_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    const s = JSON.parse(run.stdout.trim());
    assert.ok(s.accepted >= 2, `accepted ${s.accepted}: ${JSON.stringify(s)} ${run.stderr}`);
    assert.equal(s.rejected, 0);
    assert.equal(s.hwErrors, 0);
    assert.match(run.stderr, /no board peripherals/, 'says plainly that it cannot protect a board it does not see');
  } finally {
    emu.kill('SIGTERM');
  }
});

test('on a machine without socat the embedded default still mines, over an in-memory line, and says so', async () => {
  // No PATH: socat cannot be found (the CLI itself runs from process.execPath).
  const run = await spawnCli(['mine', '--duration', '5', '--json', '--no-api'], {
    timeoutMs: 30_000,
    env: { PATH: '/nonexistent' },
  });
  assert.equal(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout.trim());
  assert.ok(s.accepted >= 1, `accepted ${s.accepted}`);
  assert.equal(s.rejected, 0);
  assert.equal(s.hwErrors, 0);
  assert.match(run.stderr, /socat not found; install it \(apt install socat\): the emulated chain is wired in memory/);
  assert.match(run.stderr, /on an in-memory line/);
});

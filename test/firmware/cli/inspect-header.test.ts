import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOneLineReason, runCliCaptured, spawnCli } from '../../support/cli.js';

const GENESIS =
  '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c';

// Difficulty checked independently: 0xFFFF·2^208 / int(genesis hash) = 2536.42629...
test('inspect header --json prints every field of the genesis header', async () => {
  const run = await runCliCaptured(['inspect', 'header', GENESIS, '--json']);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object per line');
  const report = JSON.parse(lines[0]);
  assert.equal(report.version, 1);
  assert.equal(report.prevHash, '0'.repeat(64));
  assert.equal(report.merkleRoot, '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b');
  assert.equal(report.time, 1231006505);
  assert.equal(report.bits, '0x1d00ffff');
  assert.equal(report.nonce, 2083236893);
  assert.equal(report.hash, '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f');
  assert.ok(Math.abs(report.difficulty - 2536.4263) < 0.001, String(report.difficulty));
  assert.equal(report.meetsTarget, true);
});

test('inspect header in text form names the block hash', async () => {
  const run = await runCliCaptured(['inspect', 'header', GENESIS]);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /block hash\s+000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f/);
});

const garbage: Array<[string, string[], RegExp]> = [
  ['not hex', ['inspect', 'header', 'zz'.repeat(80)], /not hex/],
  ['too short', ['inspect', 'header', 'ab'], /expected 80 bytes/],
  ['too long', ['inspect', 'header', `${GENESIS}00`], /expected 80 bytes/],
  ['odd length', ['inspect', 'header', GENESIS.slice(1)], /odd number/],
  ['missing argument', ['inspect', 'header'], /expected one header/],
  ['unknown flag', ['inspect', 'header', GENESIS, '--frobnicate'], /frobnicate/],
];

for (const [name, argv, reason] of garbage) {
  test(`inspect header on garbage (${name}) exits 2 with a one-line reason`, async () => {
    const run = await runCliCaptured(argv);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, reason);
    assert.ok(isOneLineReason(run.stderr), run.stderr);
  });
}

test('the real binary: garbage header exits 2, no stack trace', async () => {
  const run = await spawnCli(['inspect', 'header', 'not-a-header', '--json']);
  assert.equal(run.code, 2);
  assert.ok(isOneLineReason(run.stderr), run.stderr);
  assert.match(run.stderr, /^hashaxe: header: not hex/);
});

test('the real binary: --version and --help succeed; unknown command exits 2', async () => {
  const version = await spawnCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^hashaxe \d+\.\d+\.\d+\n$/);
  const help = await spawnCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /inspect header/);
  const unknown = await spawnCli(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.ok(isOneLineReason(unknown.stderr));
});

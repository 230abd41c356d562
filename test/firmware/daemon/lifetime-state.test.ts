/**
 * The all-time best difficulty across restarts (`--state FILE`): the file format, a bad or missing file as a
 * fresh start with a warning (never a crash), the daemon keeping it through a stop and a new start, a new best
 * on disk within 2 s (a real `hashaxe mine` killed with SIGKILL keeps it), and stale temporary files of our
 * own pattern removed at start while everything else stays.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  LifetimeStateKeeper,
  readLifetimeState,
  removeStaleTemporaries,
  temporaryStatePath,
  writeLifetimeState,
} from '../../../firmware/daemon/lifetime-state.js';
import { collectingLog } from '../../support/log.js';
import { eventually, sleep, startTestMiner } from '../../support/miner.js';
import { parsePrometheusText } from '../../support/prometheus.js';

const dir = mkdtempSync(join(tmpdir(), 'hashaxe-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('written to a new directory and read back; a missing file is a quiet fresh start', async () => {
  const path = join(dir, 'new', 'deeper', 'state.json');
  assert.deepEqual(await readLifetimeState(path), { state: { bestDifficulty: 0 }, warning: null });
  await writeLifetimeState(path, { bestDifficulty: 123.5 }, Date.UTC(2026, 11, 2));
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), {
    version: 1,
    bestDifficulty: 123.5,
    updatedAt: '2026-12-02T00:00:00.000Z',
  });
  assert.deepEqual(await readLifetimeState(path), { state: { bestDifficulty: 123.5 }, warning: null });
});

test('a file that is not JSON, or holds a bad value, or is a directory: a fresh start and a warning naming it', async () => {
  const cases: Array<[string, string | null, RegExp]> = [
    ['garbage.json', '{not json', /garbage\.json is not JSON; starting afresh/],
    ['negative.json', '{"bestDifficulty":-1}', /bestDifficulty must be a number ≥ 0, got -1/],
    ['string.json', '{"bestDifficulty":"4G"}', /bestDifficulty must be a number ≥ 0, got "4G"/],
    ['null.json', 'null', /bestDifficulty must be a number ≥ 0, got undefined/],
    ['', null, /cannot be read \(EISDIR\)/],
  ];
  for (const [name, body, warning] of cases) {
    const path = join(dir, name);
    if (body !== null) writeFileSync(path, body);
    const r = await readLifetimeState(path);
    assert.deepEqual(r.state, { bestDifficulty: 0 }, name);
    assert.match(r.warning ?? '', warning);
  }
});

test('the daemon keeps its best difficulty through a stop and a new start (bestDiff), while the session starts over', async () => {
  const stateFile = join(dir, 'miner', 'state.json');
  const first = await startTestMiner('bitaxe-ultra', { stateFile, localPool: { sharesPerMinute: 600 } });
  let best = 0;
  try {
    await eventually(() => (first.miner.engine.stats.snapshot().bestDifficulty ?? 0) > 0, 15_000, 'a share');
  } finally {
    await first.stop();
  }
  best = first.miner.engine.stats.snapshot().bestDifficulty;
  assert.ok(best > 0);
  assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).bestDifficulty, best, 'written at stop');

  const second = await startTestMiner('bitaxe-ultra', { stateFile, localPool: { sharesPerMinute: 600 } });
  try {
    const status = second.miner.miningStatus();
    assert.ok((status.bestDifficultyAllTime ?? 0) >= best, `all-time ${status.bestDifficultyAllTime} ≥ ${best}`);
    assert.ok(status.bestDifficulty <= (status.bestDifficultyAllTime ?? 0));
  } finally {
    await second.stop();
  }
  assert.ok(JSON.parse(readFileSync(stateFile, 'utf8')).bestDifficulty >= best, 'never written lower');
});

test('stale temporaries of our own pattern go at start; other files, links, directories and live writers stay', async () => {
  const d = join(dir, 'stale');
  mkdirSync(d);
  const path = join(d, 'state.json');
  writeFileSync(path, '{"bestDifficulty":5}');
  const files: Record<string, boolean> = {
    'state.json.tmp': true, // what hashaxe wrote before it named temporaries by process
    'state.json.4000001.tmp': true, // its process is gone
    [`state.json.${process.pid}.tmp`]: true, // this process's own, from an earlier attempt
    'state.json.4000002.tmp': false, // its process still runs: a writer mid-write
    'state.json.abc.tmp': false,
    'state.json.tmp.bak': false,
    'state.json.1.tmp~': false,
    'other.json.tmp': false,
    'other.json.4000001.tmp': false,
    'xstate.json.tmp': false,
    'notes.txt': false,
  };
  for (const name of Object.keys(files)) writeFileSync(join(d, name), 'x');
  mkdirSync(join(d, 'state.json.4000003.tmp'));
  symlinkSync(join(d, 'notes.txt'), join(d, 'state.json.4000004.tmp'));
  const removed = await removeStaleTemporaries(path, (pid) => pid === 4000002);
  assert.deepEqual(
    removed.sort(),
    Object.keys(files)
      .filter((n) => files[n])
      .sort(),
  );
  const left = readdirSync(d).sort();
  for (const [name, goes] of Object.entries(files)) assert.equal(left.includes(name), !goes, name);
  for (const name of ['state.json', 'state.json.4000003.tmp', 'state.json.4000004.tmp']) assert.ok(left.includes(name));
  assert.equal(readFileSync(join(d, 'notes.txt'), 'utf8'), 'x', 'the link target is untouched');
});

test('the keeper writes a better best within its check interval, several improvements as one write', async () => {
  const path = join(dir, 'keeper', 'state.json');
  mkdirSync(join(dir, 'keeper'));
  writeFileSync(`${path}.tmp`, 'left by an older run');
  let session = 0;
  const { log, logs } = collectingLog();
  const keeper = new LifetimeStateKeeper({ path, sessionBest: () => session, log, checkIntervalMs: 100 });
  await keeper.start();
  try {
    assert.ok(!existsSync(`${path}.tmp`), 'the stale temporary went at start');
    assert.ok(logs.some((l) => /removed .*state\.json\.tmp, a temporary state file an earlier run left/.test(l)));
    session = 10;
    session = 12;
    const t0 = Date.now();
    await eventually(
      () => existsSync(path) && JSON.parse(readFileSync(path, 'utf8')).bestDifficulty === 12,
      2000,
      'write',
    );
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(!existsSync(temporaryStatePath(path)), 'no temporary left after a write');
    assert.equal(keeper.allTimeBest, 12);
  } finally {
    await keeper.stop();
  }
  session = 11;
  await keeper.save();
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).bestDifficulty, 12, 'never written lower');
});

/** The built CLI (`node dist/firmware/cli.js`). */
const CLI = fileURLToPath(new URL('../../../firmware/cli.js', import.meta.url));

async function bestDifficultyFromMetrics(api: string): Promise<number> {
  const res = await fetch(`${api}/metrics`);
  const families = parsePrometheusText(await res.text());
  return families.get('hashaxe_best_difficulty')?.samples[0]?.value ?? 0;
}

test('kill -9 within 3 s of a new best keeps it: a real hashaxe mine process with --state', async () => {
  const d = join(dir, 'kill');
  mkdirSync(d);
  const stateFile = join(d, 'state.json');
  const config = join(d, 'hashaxe.json');
  writeFileSync(config, JSON.stringify({ stateFile, localPool: { sharesPerMinute: 600 }, api: { port: 0 } }));
  const child = spawn(process.execPath, [CLI, 'mine', '--config', config, '--duration', '60', '--json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  try {
    await eventually(() => /HTTP API on http:\/\/127\.0\.0\.1:\d+/.test(stderr), 20_000, 'the API');
    const api = (/HTTP API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr) as RegExpExecArray)[1];
    // A first best, then a better one (a new best while an older one is already saved): note when it was seen.
    let first = 0;
    let best = 0;
    let seenAt = 0;
    const until = Date.now() + 30_000;
    while (best === 0 && Date.now() < until) {
      const b = await bestDifficultyFromMetrics(api);
      if (first === 0) first = b;
      else if (b > first) {
        best = b;
        seenAt = Date.now();
        break;
      }
      await sleep(20);
    }
    assert.ok(best > 0, `a first best (${first}) and a better one within 30 s: ${stderr}`);
    await sleep(Math.max(0, seenAt + 2500 - Date.now()));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')).bestDifficulty;
    assert.ok(saved >= best, `saved ${saved} ≥ the best seen 2.5 s before the kill, ${best}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

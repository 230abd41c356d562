/**
 * Runs every compiled test file with Node's own runner.
 *
 * Why a script: Node 20's `--test` does not expand a quoted glob, so the files are listed here, and a run
 * that finds no tests must fail CI rather than pass silently (`# tests 0`).
 * Usage: node dist/scripts/run-tests.js [substring ...]   (substrings filter the file list, for development)
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.cwd();
// Relative to this compiled file (dist/scripts/run-tests.js → dist/test), so a build into another
// outDir (tsc --outDir dist-x) runs its own tests.
const testDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test');

function collect(dir: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) collect(path, out);
    else if (entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

if (!existsSync(testDir)) {
  process.stderr.write(`run-tests: ${testDir} not found; run \`npm run build\` first\n`);
  process.exit(2);
}
const filters = process.argv.slice(2);
const files = collect(testDir, [])
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  process.stderr.write('run-tests: no test files found\n');
  process.exit(1);
}

// Most integration tests wait on ptys and sockets rather than the CPU, so run two files at a time even on
// a 2-core machine; HASHAXE_TEST_CONCURRENCY overrides.
const concurrency = Number(process.env.HASHAXE_TEST_CONCURRENCY ?? Math.max(2, availableParallelism()));
const args = ['--test', '--test-reporter=tap', `--test-concurrency=${concurrency}`, ...files];
process.stdout.write(`# running ${files.length} test files (concurrency ${concurrency})\n`);
for (const f of files) process.stdout.write(`#   ${relative(root, f)}\n`);

const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let tail = '';
let tests = -1;
let failed = -1;
child.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString('utf8')).slice(-4096);
  for (const m of tail.matchAll(/^# tests (\d+)$/gm)) tests = Number(m[1]);
  for (const m of tail.matchAll(/^# fail (\d+)$/gm)) failed = Number(m[1]);
});
child.on('close', (code) => {
  if (tests <= 0) {
    process.stderr.write(`run-tests: the runner reported ${tests < 0 ? 'no summary' : '0 tests'}; failing\n`);
    process.exit(1);
  }
  if (code !== 0 || failed !== 0) process.exit(code || 1);
  process.exit(0);
});

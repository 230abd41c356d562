import assert from 'node:assert/strict';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Bm13xxChain } from '../../../drivers/asic/bm13xx-chain.js';
import { SerialTransport } from '../../../drivers/transport/serial-transport.js';
import { TcpTransport } from '../../../drivers/transport/tcp-transport.js';
import type { Transport } from '../../../drivers/transport/transport.js';
import { runCli } from '../../../firmware/cli/main.js';
import { resultMeets } from '../../support/bm13xx.js';
import { isOneLineReason, runCliCaptured } from '../../support/cli.js';
import { Prng } from '../../support/prng.js';

const CLI = fileURLToPath(new URL('../../../firmware/cli.js', import.meta.url));

interface Running {
  child: ChildProcessByStdio<null, Readable, Readable>;
  lines: Array<Record<string, unknown>>;
  ready: Record<string, unknown>;
  exited: Promise<number>;
}

async function startEmulator(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'emulate', '--json', '--status-interval', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line: ${stderr}`)), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line.event === 'ready') {
          clearTimeout(timer);
          resolve(line);
        }
        nl = buffer.indexOf('\n');
      }
    });
    exited.then((code) => reject(new Error(`emulate exited ${code}: ${stderr}`)));
  });
  return { child, lines, ready, exited };
}

async function mineBriefly(transport: Transport, model: 'bm1366' | 'bm1370', scale: number): Promise<number> {
  const chain = new Bm13xxChain(transport, { model, expectedChips: 2, delayScale: 0, enumerateSilenceMs: 250 });
  try {
    await chain.init();
    await chain.switchBaud();
    chain.setTicketDifficulty(1);
    const rng = new Prng(9);
    const work = {
      version: 0x20000000,
      versionMask: 0x1fffe000,
      prevHash: rng.bytes(32),
      merkleRoot: rng.bytes(32),
      ntime: 1,
      nbits: 0x1d00ffff,
    };
    chain.sendWork(work);
    let verified = 0;
    // Counts the first ten; nonces that arrive after that are still checked but do not change the answer.
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no nonces from the emulator')), 10_000);
      chain.onResult((r) => {
        if (!resultMeets(work, r, 1 * scale)) reject(new Error(`bad nonce ${JSON.stringify(r)}`));
        if (++verified === 10) {
          clearTimeout(timer);
          resolve(verified);
        }
      });
    });
  } finally {
    await chain.close();
  }
}

test('hashaxe emulate --pty PATH: prints a JSON ready line, serves a chain a driver mines on, stops cleanly on SIGINT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-emu-'));
  const link = join(dir, 'ttyBM1366');
  let emu: Running | undefined;
  try {
    emu = await startEmulator(['--chip', 'bm1366', '--chips', '2', '--pty', link, '--workers', '1']);
    assert.equal(emu.ready.kind, 'pty');
    assert.equal(emu.ready.endpoint, link);
    assert.equal(emu.ready.difficultyScale, 2 ** -21);
    assert.equal(emu.ready.hashrateHs, 1_000_000);
    assert.equal(emu.ready.siliconHashrateGhsPerChip, 433.59);
    const host = await SerialTransport.open(link);
    assert.equal(await mineBriefly(host, 'bm1366', 2 ** -21), 10);
    emu.child.kill('SIGINT');
    assert.equal(await emu.exited, 0);
    const stopped = emu.lines.at(-1);
    assert.equal(stopped?.event, 'stopped');
    assert.ok((stopped?.nonces as number) >= 10);
    assert.equal(existsSync(link), false, 'the pty symlink is gone');
  } finally {
    if (emu && emu.child.exitCode === null) emu.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hashaxe emulate --listen tcp://127.0.0.1:0: serves on the port it prints', async () => {
  const emu = await startEmulator([
    '--chip',
    'bm1370',
    '--chips',
    '2',
    '--listen',
    'tcp://127.0.0.1:0',
    '--hashrate',
    '500k',
    '--difficulty-scale',
    '2^-24',
    '--workers',
    '1',
  ]);
  try {
    assert.equal(emu.ready.kind, 'tcp');
    assert.match(String(emu.ready.endpoint), /^tcp:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(emu.ready.hashrateHs, 500_000);
    const host = await TcpTransport.connect(String(emu.ready.endpoint));
    assert.equal(await mineBriefly(host, 'bm1370', 2 ** -24), 10);
    emu.child.kill('SIGTERM');
    assert.equal(await emu.exited, 0);
  } finally {
    if (emu.child.exitCode === null) emu.child.kill('SIGKILL');
  }
});

test('hashaxe emulate says loudly, in text and in JSON, that the chips are emulated and the difficulty scaled', async () => {
  for (const json of [false, true]) {
    const stop = new AbortController();
    let out = '';
    const code = runCli(
      ['emulate', '--chip', 'bm1397', '--listen', 'tcp://127.0.0.1:0', '--workers', '0', ...(json ? ['--json'] : [])],
      {
        stdout: (t) => {
          out += t;
          if (/Ctrl-C stops|"event":"ready"/.test(out)) stop.abort();
        },
        stderr: () => {},
        isTty: false,
        signal: stop.signal,
      },
    );
    assert.equal(await code, 0);
    if (json) {
      const ready = JSON.parse(out.split('\n')[0]) as Record<string, unknown>;
      assert.equal(ready.emulated, true);
      assert.match(String(ready.notice), /^EMULATED BM1397 chips: 1\.00 MH\/s of real hashing, .* × 2\^-21; check/);
    } else {
      assert.match(
        out,
        /\*\*\* EMULATED CHIPS: 1\.00 MH\/s of REAL hashing for the whole chain \(main thread\) \*\*\*/,
      );
      assert.match(out, /nonces are reported at ticket difficulty × 2\^-21 \(ticket 256 → difficulty 0\.0001221\)/);
      assert.match(out, /a real BM1397 at 425 MHz would hash 285\.6 GH\/s per chip/);
    }
  }
});

const bad: Array<[string[], RegExp]> = [
  [['emulate'], /--chip is required/],
  [['emulate', '--chip', 'bm9999'], /--chip must be bm1397, bm1366, bm1368 or bm1370/],
  [['emulate', '--chip', 'bm1366', '--pty', '/tmp/x', '--listen', 'tcp://127.0.0.1:0'], /alternatives/],
  [['emulate', '--chip', 'bm1366', '--chips', '0'], /--chips must be between 1 and 256/],
  [['emulate', '--chip', 'bm1366', '--difficulty-scale', '2'], /--difficulty-scale must be in \(0, 1\]/],
  [['emulate', '--chip', 'bm1366', '--hashrate', 'fast'], /--hashrate must be between 1k and 1G/],
  [['emulate', '--chip', 'bm1366', '--listen', '127.0.0.1:3333'], /--listen must be tcp:\/\/HOST:PORT/],
];

for (const [argv, reason] of bad) {
  test(`hashaxe ${argv.join(' ')} exits 2 with a one-line reason`, async () => {
    const run = await runCliCaptured(argv);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, reason);
    assert.ok(isOneLineReason(run.stderr));
  });
}

/**
 * The API under attack (issue 15's probe, as tests): clients that connect and never close cannot hold the daemon's
 * descriptors, and a page on another origin (loopback included, numeric address forms too) cannot write.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBoardDaemon } from '../../support/board-daemon.js';
import { sleep } from '../../support/miner.js';

/** One GET on a connection of its own (no pooled keep-alive socket the daemon may have closed as idle). */
function getFresh(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

test('100 clients that never close are dropped: the daemon serves new clients throughout and its descriptors return to where they were within 30 s', async (t) => {
  const cli = fileURLToPath(new URL('../../../firmware/cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, 'mine', '--api-port', '0', '--json'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const held: Socket[] = [];
  try {
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no API line:\n${stderr}`)), 20_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /API on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`the daemon exited (${code}):\n${stderr}`)));
    });
    const port = Number(new URL(url).port);
    assert.equal(await getFresh(`${url}/api/system/info`), 200);
    await sleep(300);
    const baseline = openDescriptors(child.pid!);

    // Half never send a byte; half start a request and never finish its headers.
    for (let i = 0; i < 100; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      if (i % 2 === 1) s.on('connect', () => s.write('GET /api/system/info HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
      held.push(s);
    }
    await Promise.all(held.map((s) => new Promise((r) => (s.connecting ? s.once('connect', r) : r(undefined)))));
    const began = Date.now();
    let served = 0;
    let peak = 0;
    let back = false;
    while (Date.now() - began < 30_000) {
      assert.equal(await getFresh(`${url}/api/system/info`), 200, 'a new client is served while the 100 are held');
      served++;
      const now = openDescriptors(child.pid!);
      peak = Math.max(peak, now);
      if (now <= baseline + 10 && Date.now() - began > 1000) {
        back = true;
        break;
      }
      await sleep(500);
    }
    const tookS = (Date.now() - began) / 1000;
    assert.ok(
      back,
      `descriptors still ${openDescriptors(child.pid!)} (baseline ${baseline}, peak ${peak}) after ${tookS} s`,
    );
    assert.ok(
      peak < baseline + 100,
      `never all 100 held at once: peak ${peak} over a baseline of ${baseline} (the cap)`,
    );
    assert.ok(served >= 2);
    t.diagnostic(
      `descriptors: baseline ${baseline}, peak ${peak}, back within 10 after ${tookS} s; ${served} new clients served meanwhile`,
    );
    // None of the held sockets is open on the daemon's side any more: every one of them was closed by it.
    await sleep(200);
    assert.ok(held.filter((s) => !s.destroyed && s.readyState === 'open').length === 0, 'the daemon closed them all');
  } finally {
    for (const s of held) s.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

test('writes from another origin are refused without the token (loopback on another port, numeric address forms); the page’s own origin may write', async () => {
  const d = await startBoardDaemon('bitaxe-ultra');
  try {
    const port = d.api.port;
    const write = (origin: string | null) =>
      fetch(`${d.url}/api/system`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json', ...(origin === null ? {} : { Origin: origin }) },
        body: JSON.stringify({ manualFanSpeed: 50 }),
      });
    for (const origin of [
      `http://127.0.0.1:${port + 1}`,
      'http://2130706433',
      'http://0x7f000001',
      'http://127.1',
      `http://localhost:${port + 1}`,
      `http://[::1]:${port + 1}`,
      'http://127.0.0.1',
      'null',
      `https://127.0.0.1:${port}`,
    ]) {
      const r = await write(origin);
      assert.equal(r.status, 403, origin);
      const body = (await r.json()) as { message: string };
      assert.match(body.message, /writes from a page on another site/, origin);
    }
    // The numeric form is named as the address it is, so the refusal says which site it was.
    const numeric = (await (await write('http://2130706433')).json()) as { message: string };
    assert.match(numeric.message, /\(http:\/\/127\.0\.0\.1\)/);
    assert.equal((await write(d.url)).status, 200, 'the dashboard’s own origin');
    assert.equal(
      (await write(`http://localhost:${port}`)).status,
      403,
      'a name the request was not sent to is not this page',
    );
    assert.equal((await write(null)).status, 200, 'no page at all: the CLI, curl, pyasic');
  } finally {
    await d.close();
  }
});

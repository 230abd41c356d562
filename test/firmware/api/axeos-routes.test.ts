/**
 * Each AxeOS route's behaviour against the whole daemon on the embedded default (emulated chain and board, local
 * SV2 pools on 127.0.0.1): pause/resume change the mining state, a pool PATCH changes the pool (or is refused with
 * the reason), identify pulses the fan, restart answers first, theme is stored, the websockets stream.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { EMC2101_REG } from '../../../drivers/i2c/emc2101.js';
import { StatusReporter } from '../../../firmware/daemon/status-line.js';
import { LocalPool } from '../../../src/sv2/pool/local-pool.js';
import { eventually, sleep, startTestMiner, type TestMiner } from '../../support/miner.js';

let t: TestMiner;
let base: string;

before(async () => {
  t = await startTestMiner('bitaxe-ultra', { api: { enabled: true, port: 0 }, localPool: { sharesPerMinute: 600 } });
  base = t.miner.apiUrl!;
});
after(async () => {
  await t?.stop();
});

type Json = Record<string, unknown>;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; ms: number }> {
  const began = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Json), ms: performance.now() - began };
}

const info = async (): Promise<Json> => (await call('GET', '/api/system/info')).json;

test('pause stops hashing (the chips power down, no shares); resume brings them back and shares flow again', async () => {
  await eventually(() => t.miner.summary().accepted >= 2, 20_000, 'shares before the pause');
  const paused = await call('POST', '/api/system/pause', {});
  assert.equal(paused.status, 200);
  assert.equal(paused.json.message, 'Mining paused');
  assert.ok(paused.ms < 800, `answered in ${paused.ms} ms`);
  assert.equal((await info()).miningPaused, true);
  await eventually(() => t.miner.boardControl?.telemetry().asicRunning === false, 5000, 'the chips powered down');
  assert.match(StatusReporter.formatLine(t.miner), /PAUSED/);
  const during = t.miner.summary().sharesSubmitted;
  await sleep(1500);
  assert.equal(t.miner.summary().sharesSubmitted, during, 'no share while paused');
  const resumed = await call('POST', '/api/system/resume', {});
  assert.equal(resumed.status, 200);
  assert.equal(resumed.json.message, 'Mining resumed');
  await eventually(() => t.miner.summary().sharesSubmitted > during + 1, 20_000, 'shares after the resume');
  assert.equal((await info()).miningPaused, false);
  assert.ok(t.logs.some((l) => l === 'mining paused through the API'));
});

test('a pool PATCH changes the pool the daemon mines on; a pool it cannot use is refused with the reason and changes nothing', async () => {
  const other = await LocalPool.start({ host: '127.0.0.1', port: 0, sharesPerMinute: 600 });
  try {
    const before = await info();
    const badKey = await call('PATCH', '/api/system', {
      pools: [{ id: 1, stratumProtocol: 'SV2', stratumURL: '127.0.0.1', stratumPort: other.port, stratumUser: 'w' }],
    });
    assert.equal(badKey.status, 400);
    assert.match(String(badKey.json.message), /needs its authority public key/);
    const badPort = await call('PATCH', '/api/system', {
      pools: [{ id: 1, stratumProtocol: 'SV2', stratumURL: 'pool.example', stratumPort: 0, stratumUser: 'w' }],
    });
    assert.equal(badPort.status, 400);
    assert.match(String(badPort.json.message), /stratumPort must be a whole number from 1 to 65535/);
    assert.deepEqual((await info()).pools, before.pools, 'a refused PATCH changed nothing');

    // What the AxeOS pool page sends: every card, the password masked, the indexes.
    const page = {
      primaryPoolIndex: 1,
      secondaryPoolIndex: 0,
      pools: [
        { ...(before.pools as Json[])[0] },
        {
          id: 1,
          stratumProtocol: 'SV2',
          stratumURL: '127.0.0.1',
          stratumPort: other.port,
          stratumUser: 'rig.two',
          stratumPassword: '*****',
          stratumV2AuthorityPubkey: other.authorityKeyText,
          stratumTLS: 0,
        },
      ],
    };
    const r = await call('PATCH', '/api/system', page);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    await eventually(() => other.stats().shares.accepted >= 2, 20_000, 'shares on the new primary');
    const now = await info();
    assert.equal(now.stratumURL, '127.0.0.1');
    assert.equal(now.stratumPort, other.port);
    assert.equal(now.stratumUser, 'rig.two');
    assert.equal(now.primaryPoolIndex, 1);
    assert.equal(now.fallbackStratumPort, before.stratumPort);
    assert.equal(now.isUsingFallbackStratum, 0);
    assert.equal(t.miner.poolUrl, other.url);

    // DELETE: the primary is refused, a spare slot goes.
    assert.equal((await call('DELETE', '/api/system/pools/1')).status, 400);
    const put = await call('PUT', '/api/system/pools/3', { ...page.pools[1], id: 3 });
    assert.equal(put.status, 200);
    assert.equal(((await info()).pools as Json[]).length, 3);
    const del = await call('DELETE', '/api/system/pools/3');
    assert.equal(del.status, 200);
    assert.equal(del.json.message, 'Pool cleared successfully');
    assert.deepEqual(
      ((await info()).pools as Json[]).map((p) => p.id),
      [0, 1],
    );

    // Whatever a V1 pool does in this build, it is never "success" and then ignored.
    const v1 = await call('PATCH', '/api/system', {
      pools: [{ id: 2, stratumProtocol: 'SV1', stratumURL: '127.0.0.2', stratumPort: 3333, stratumUser: 'w' }],
    });
    const slots = (await info()).pools as Json[];
    if (v1.status === 200) assert.equal(slots.find((p) => p.id === 2)?.stratumProtocol, 'SV1');
    else {
      assert.equal(v1.status, 400);
      assert.match(String(v1.json.message), /stratum\+tcp/);
      assert.equal(slots.length, 2, 'nothing stored');
    }
    // Back to the embedded pool as primary for the other tests.
    assert.equal((await call('PATCH', '/api/system', { primaryPoolIndex: 0, secondaryPoolIndex: 1 })).status, 200);
    await eventually(() => t.miner.poolUrl !== other.url, 10_000, 'back on slot 0');
  } finally {
    await other.close();
  }
});

test('identify: the fan pulses to 100 % and back, and the status line and the log say so', async () => {
  const board = t.miner.emulatedBoard!;
  assert.equal((await call('PATCH', '/api/system', { autofanspeed: 0, manualFanSpeed: 40 })).status, 200);
  const r = await call('POST', '/api/system/identify', {});
  assert.equal(r.status, 200);
  assert.match(String(r.json.message), /Identify/);
  assert.ok(t.logs.some((l) => /^identify: the fan pulses for 30 s/.test(l)));
  assert.match(StatusReporter.formatLine(t.miner), /IDENTIFY/);
  assert.equal(((await info()).hashaxe as Json).identifying, true);
  const seen = new Set<number>();
  for (let i = 0; i < 30; i++) {
    seen.add(board.emc2101!.regs[EMC2101_REG.FAN_SETTING]);
    await sleep(100);
  }
  assert.ok(seen.has(63), 'pulses at 100 %');
  assert.ok(seen.has(Math.floor(63 * 0.4)), 'and back to the manual 40 %');
  assert.equal((await call('PATCH', '/api/system', { autofanspeed: 1 })).status, 200);
});

test('restart answers within 800 ms and power-cycles after', async () => {
  const ons = t.logs.filter((l) => l.includes('reset released')).length;
  const r = await call('POST', '/api/system/restart', {});
  assert.equal(r.status, 200);
  assert.equal(r.json.message, 'System will restart shortly.');
  assert.ok(r.ms < 800, `answered in ${r.ms} ms`);
  await eventually(() => t.logs.filter((l) => l.includes('reset released')).length > ons, 10_000, 'the power cycle');
});

test('theme is stored; errors carry message (and error); logs download as text', async () => {
  const d = await call('GET', '/api/theme');
  assert.deepEqual(d.json, { colorScheme: 'dark', primaryColor: '#F80421' });
  assert.deepEqual((await call('POST', '/api/theme', { colorScheme: 'light', primaryColor: '#00ff00', x: 1 })).json, {
    status: 'ok',
  });
  assert.deepEqual((await call('GET', '/api/theme')).json, { colorScheme: 'light', primaryColor: '#00ff00' });
  const bad = await call('PATCH', '/api/system', { temptarget: 99 });
  assert.equal(bad.status, 400);
  assert.equal(typeof bad.json.message, 'string');
  assert.equal(bad.json.error, bad.json.message);
  const logs = await fetch(`${base}/api/system/logs`);
  assert.match(logs.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(logs.headers.get('content-disposition') ?? '', /bitaxe-logs\.txt/);
  assert.match(await logs.text(), /mining paused through the API/);
  assert.deepEqual((await call('GET', '/api/system/wifi/scan')).json, { networks: [] });
});

test('responseTime is the last share round trip; the network difficulty comes from the job', async () => {
  await eventually(() => t.miner.summary().accepted >= 1, 20_000, 'an answered share');
  const i = await info();
  assert.ok((i.responseTime as number) > 0 && (i.responseTime as number) < 2000, `responseTime ${i.responseTime} ms`);
  assert.ok((i.responseShareBatch as number) >= 1);
  assert.ok((i.networkDifficulty as number) > 0);
  assert.equal(typeof i.cpuUsage, 'number');
  assert.match(String(i.ipv4), /^(\d{1,3}\.){3}\d{1,3}$|^$/);
});

function open(path: string): Promise<{ ws: WebSocket; frames: string[] }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`);
  const frames: string[] = [];
  ws.on('message', (d) => frames.push(String(d)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

test('/api/ws/live: the whole info object first, then changed keys at least every 2 s; /api/ws streams log lines; an 11th socket gets 429', async () => {
  const live = await open('/api/ws/live');
  await eventually(() => live.frames.length >= 1, 1000, 'the first frame within 1 s');
  const first = JSON.parse(live.frames[0]) as { event: string; data: Json };
  assert.equal(first.event, 'update');
  assert.equal(typeof first.data.version, 'string');
  assert.ok((first.data.uptimeSeconds as number) >= 0);
  assert.equal('fullHostname' in first.data, false, 'GET-only fields stay out of frames');
  await eventually(() => live.frames.length >= 2, 2100, 'a second frame within 2 s');
  const second = JSON.parse(live.frames[1]) as { event: string; data: Json };
  assert.ok(Object.keys(second.data).length < Object.keys(first.data).length, 'only what changed');
  if ('hashrateMonitor' in second.data)
    assert.ok(Array.isArray((second.data.hashrateMonitor as Json).asics), 'nested objects whole');

  const log = await open('/api/ws');
  t.miner.logRing.add('warn', 'a line for the log socket');
  await eventually(() => log.frames.some((f) => f.includes('a line for the log socket')), 1000, 'the log line');
  const frame = log.frames.find((f) => f.includes('a line for the log socket'))!;
  const esc = String.fromCharCode(27);
  assert.ok(frame.startsWith(`${esc}[0;33mW (`), 'ESP-IDF warning colour and letter');
  assert.ok(frame.endsWith(`) hashaxe: a line for the log socket${esc}[0m\n`), frame);

  const more: WebSocket[] = [];
  for (let i = 0; i < 8; i++) more.push((await open('/api/ws')).ws);
  await assert.rejects(open('/api/ws/live'), /HTTP 429/);
  for (const ws of [live.ws, log.ws, ...more]) ws.close();
});

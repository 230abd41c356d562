/**
 * The AxeOS contract: every `/api/system/info` and `/api/system/asic` field and every route of ESP-Miner's API
 * description (a checked-in digest of its openapi.yaml: names, types, units; see test/vectors/PROVENANCE.md),
 * against the whole daemon on the embedded default.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { eventually, startTestMiner, type TestMiner } from '../../support/miner.js';

interface FieldDigest {
  type: string;
  required: boolean;
  unit?: string;
  enum?: string[];
}
const digest = JSON.parse(readFileSync(join(process.cwd(), 'test/vectors/axeos/openapi-digest.json'), 'utf8')) as {
  source: string;
  paths: Record<string, string[]>;
  schemas: Record<string, Record<string, FieldDigest>>;
};

/**
 * Required by the description but, as on ESP-Miner itself (system_api_json.c), only sent when known: the block
 * fields need a coinbase (the embedded default's standard channel gives a merkle root), the fault fields only
 * while a fault is active.
 */
const CONDITIONAL = new Set([
  'blockHeight',
  'scriptsig',
  'networkDifficulty',
  'blockSignals',
  'coinbaseOutputs',
  'coinbaseValueTotalSatoshis',
  'coinbaseValueUserSatoshis',
  'power_fault',
  'hardware_fault',
]);
/** Fields the description types differently from what the firmware sends; the firmware is what clients read. */
const FIRMWARE_TYPES: Record<string, string> = {
  stratumTLS: 'number', // cJSON_AddNumberToObject in system_api_json.c (0 plain, 1 TLS, 2 custom CA)
  fallbackStratumTLS: 'number',
};
/**
 * Units the description leaves unstated, from ESP-Miner's system_api_json.c and the AxeOS UI's arithmetic
 * (shared/spec/axeos-api.md §2): the UI divides voltage and coreVoltage by 1000, so both are mV.
 */
const FIRMWARE_UNITS: Record<string, string> = {
  coreVoltage: 'mV',
  coreVoltageActual: 'mV',
  voltage: 'mV',
  temp: '°C',
  vrTemp: '°C',
  temptarget: '°C',
  hashRate_1m: 'GH/s',
  hashRate_10m: 'GH/s',
  hashRate_1h: 'GH/s',
  nominalVoltage: 'V',
};

let t: TestMiner;
let base: string;

before(async () => {
  t = await startTestMiner('bitaxe-ultra', { api: { enabled: true, port: 0 }, localPool: { sharesPerMinute: 600 } });
  base = t.miner.apiUrl!;
  await eventually(() => t.miner.summary().accepted >= 3, 20_000, 'three accepted shares');
});
after(async () => {
  await t?.stop();
});

async function get(path: string): Promise<{ status: number; json: unknown; res: Response }> {
  const res = await fetch(`${base}${path}`);
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, res };
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

function checkFields(schema: string, obj: Record<string, unknown>): void {
  const fields = digest.schemas[schema];
  assert.ok(Object.keys(fields).length >= 2, `${schema} in the digest`);
  for (const [name, f] of Object.entries(fields)) {
    if (!(name in obj)) {
      if (f.required) assert.ok(CONDITIONAL.has(name), `${schema}.${name} is required and missing`);
      continue;
    }
    const v = obj[name];
    const want = FIRMWARE_TYPES[name] ?? (f.type === 'integer' ? 'number' : f.type);
    assert.equal(jsonType(v), want, `${schema}.${name}: ${want} expected, got ${JSON.stringify(v)}`);
    if (f.type === 'integer') assert.ok(Number.isInteger(v), `${schema}.${name} is an integer`);
    if (f.enum !== undefined && typeof v === 'string')
      assert.ok(f.enum.includes(v), `${schema}.${name} ${v} in ${f.enum}`);
  }
}

test(`every /api/system/info and /api/system/asic field has the type of the AxeOS description (${digest.source.slice(0, 40)}…)`, async () => {
  const info = (await get('/api/system/info')).json as Record<string, unknown>;
  checkFields('SystemInfo', info);
  const asic = (await get('/api/system/asic')).json as Record<string, unknown>;
  checkFields('SystemASIC', asic);
  for (const p of info.pools as Array<Record<string, unknown>>) checkFields('Pool', p);
  for (const a of (info.hashrateMonitor as { asics: Array<Record<string, unknown>> }).asics)
    checkFields('HashrateMonitorAsic', a);
  // AxeOS's own rules on top of the types (the UI crashes on a null number).
  for (const [k, v] of Object.entries(info)) assert.notEqual(v, null, `${k} is never null`);
  assert.equal(info.apEnabled, 0);
  assert.equal(info.display, 'NONE');
  assert.ok([0, 90, 180, 270].includes(info.rotation as number));
  assert.equal(typeof info.miningPaused, 'boolean');
  assert.match(String(info.macAddr), /^(([0-9A-F]{2}:){5}[0-9A-F]{2})?$/);
  assert.equal(info.fullHostname, `${info.hostname}.local`);
  assert.ok(
    Number.isInteger(info.networkDifficulty) || typeof info.networkDifficulty === 'number',
    'the network difficulty from the job',
  );
  // The embedded default mines on an extended channel: the height is read from the pool's coinbase (BIP34).
  const pool = t.miner.localPoolInstance;
  assert.ok(pool);
  const height = info.blockHeight as number;
  assert.ok(Number.isInteger(height) && Math.abs(height - pool.stats().chain.height) <= 1, `blockHeight ${height}`);
  for (const p of info.pools as Array<Record<string, unknown>>) {
    assert.doesNotMatch(String(p.stratumURL), /:\/\/|:\d+$/, 'a bare host');
    assert.equal(p.stratumPassword, '*****');
  }
  assert.equal(asic.ASICModel, info.ASICModel);
  assert.ok((asic.frequencyOptions as number[]).includes(asic.defaultFrequency as number));
  assert.ok((asic.voltageOptions as number[]).includes(asic.defaultVoltage as number));
});

test('units: every field with a stated unit carries a value in that unit', async () => {
  const info = (await get('/api/system/info')).json as Record<string, number>;
  const units = new Map<string, string>();
  for (const [k, f] of Object.entries(digest.schemas.SystemInfo)) if (f.unit !== undefined) units.set(k, f.unit);
  for (const [k, u] of Object.entries(FIRMWARE_UNITS)) units.set(k, u);
  const emulatedGhs = 0.001; // the embedded default's emulator: 1 MH/s
  for (const [k, unit] of units) {
    if (!(k in info)) continue;
    const v = info[k];
    const where = `${k} = ${v} (${unit})`;
    switch (unit) {
      case 'mV':
        if (k === 'voltage') assert.ok(v > 4000 && v < 6000, `${where}: a 5 V input in mV`);
        else assert.ok(v >= 1000 && v <= 1400, `${where}: a core voltage in mV`);
        break;
      case 'mA':
        assert.ok(
          Math.abs(v - (info.power / (info.voltage / 1000)) * 1000) < 0.3 * v,
          `${where}: power / voltage in mA`,
        );
        break;
      case 'W':
        assert.ok(v > 0 && v < 100, where);
        break;
      case 'MHz':
        assert.ok(v >= 400 && v <= 575, `${where}: within the board's MHz`);
        break;
      case 'GH/s':
        if (k === 'expectedHashrate') assert.ok(v > 100 && v < 2000, `${where}: silicon's GH/s`);
        // A wrong unit is off by 1000; a loaded CI machine slows the CPU emulator by less than 30.
        else assert.ok(v > emulatedGhs / 30 && v < emulatedGhs * 30, `${where}: the emulator's 1 MH/s as GH/s`);
        break;
      case 'ms':
        assert.ok(v > 0 && v < 5000, `${where}: the last share's round trip in ms`);
        break;
      case '%':
        assert.ok(v >= 0 && v <= 100, where);
        break;
      case '°C':
        assert.ok(v >= 0 && v < 120, where);
        break;
      case 'rpm':
        assert.ok(v >= 0 && v < 20_000, where);
        break;
      case 'bytes':
        assert.ok(v >= 0 && Number.isInteger(v), where);
        break;
      case 's':
        assert.ok(v >= 0 && Number.isInteger(v), where);
        break;
      case 'V':
        assert.equal(v, 5, where);
        break;
      default:
        assert.fail(`no check for unit ${unit} (${k})`);
    }
  }
  assert.ok(units.size >= 25, `${units.size} fields with a unit`);
});

test('every route of the description answers with its method; hashaxe adds theme, pools and both websockets', async () => {
  const bodies: Record<string, unknown> = { '/api/system': {}, '/api/system/boot': { partition: 'ota_1' } };
  // Writes that would stop mining run last, and pause is undone.
  const order = Object.entries(digest.paths).sort(
    ([a], [b]) => Number(a.endsWith('restart')) - Number(b.endsWith('restart')),
  );
  for (const [path, methods] of order) {
    for (const method of methods) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: method === 'GET' ? {} : { 'Content-Type': 'application/json' },
        body: method === 'GET' ? undefined : JSON.stringify(bodies[path] ?? {}),
      });
      const text = await res.text();
      assert.notEqual(res.status, 404, `${method} ${path}`);
      assert.notEqual(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', `${method} ${path}: CORS`);
      if (['/api/system/boot', '/api/system/OTA', '/api/system/OTAWWW'].includes(path)) {
        assert.equal(res.status, 400, `${path}: refused on a Pi, with the reason`);
        assert.equal(typeof JSON.parse(text).message, 'string');
      } else {
        assert.equal(res.status, 200, `${method} ${path}: ${text.slice(0, 200)}`);
      }
      if (path === '/api/system/pause') await fetch(`${base}/api/system/resume`, { method: 'POST' });
    }
  }
  assert.equal((await get('/api/theme')).status, 200);
  const unknown = await get('/api/nothing/here');
  assert.equal(unknown.status, 404);
  assert.equal((unknown.json as { message: string }).message, 'unknown route');
  for (const path of ['/api/ws', '/api/ws/live']) {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.close();
  }
});

test('statistics: the fixed column order, column selection as ESP-Miner parses it, one monotonic clock', async () => {
  type Stats = { currentTimestamp: number; labels: string[]; statistics: number[][] };
  let all = (await get('/api/system/statistics')).json as Stats;
  for (let i = 0; i < 30 && all.statistics.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    all = (await get('/api/system/statistics')).json as Stats;
  }
  assert.deepEqual(all.labels, [
    'hashrate',
    'hashrate_1m',
    'hashrate_10m',
    'hashrate_1h',
    'errorPercentage',
    'asicTemp',
    'asicTemp2',
    'vrTemp',
    'asicVoltage',
    'voltage',
    'power',
    'current',
    'fanSpeed',
    'fanRpm',
    'fan2Rpm',
    'wifiRssi',
    'freeHeap',
    'responseTime',
    'timestamp',
  ]);
  assert.ok(all.statistics.length >= 1, `a row was taken: ${JSON.stringify(all).slice(0, 300)}`);
  for (const row of all.statistics) {
    assert.equal(row.length, all.labels.length);
    assert.ok(row[row.length - 1] <= all.currentTimestamp);
  }
  const two = (await get('/api/system/statistics?columns=power%2Chashrate,nonsense')).json as {
    labels: string[];
    statistics: number[][];
  };
  assert.deepEqual(two.labels, ['hashrate', 'power', 'timestamp']);
  assert.ok(two.statistics.every((r) => r.length === 3));
  const schema = digest.schemas.SystemStatistics;
  for (const k of Object.keys(schema)) assert.ok(k in all, k);
});

test('scoreboard: the best shares of this run, best first, with 8-hex nonce and version', async () => {
  const list = (await get('/api/system/scoreboard')).json as Array<Record<string, unknown>>;
  assert.ok(list.length >= 3 && list.length <= 20, `${list.length} entries`);
  for (const e of list) {
    checkFields('SystemScoreboardEntry', e);
    assert.match(String(e.nonce), /^[0-9A-F]{8}$/);
    assert.match(String(e.version_bits), /^[0-9A-F]{8}$/);
  }
  for (let i = 1; i < list.length; i++) assert.ok((list[i - 1].difficulty as number) >= (list[i].difficulty as number));
  const info = (await get('/api/system/info')).json as Record<string, number>;
  assert.equal(list[0].difficulty, info.bestSessionDiff);
});

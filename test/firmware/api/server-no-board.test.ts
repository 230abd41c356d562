/**
 * The API on a daemon without board control (`--peripherals none`): the mining half as usual, no board readings
 * (absent, never 0), and every change that needs the board refused with 409 before anything is applied.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ChainStatus } from '../../../firmware/api/chain-status.js';
import { ApiConfigError, ApiServer } from '../../../firmware/api/server.js';
import { loadBoard } from '../../../src/config/board-loader.js';
import { fixedMiningStatus } from '../../support/board-daemon.js';
import { parsePrometheusText } from '../../support/prometheus.js';

type ParsedJson = ReturnType<typeof JSON.parse>;

const TOKEN = 'f3a9c1d2e4b5a6978877665544332211';
const board = loadBoard('bitaxe-ultra');
const mining = fixedMiningStatus();
const chain: ChainStatus = {
  running: true,
  frequencySetMhz: 485,
  frequencyActualMhz: 484.38,
  expectedHashrateGhs: 433.0332,
};
let api: ApiServer;

/** The fields only board control can fill: never sent without it. */
const BOARD_FIELDS = [
  'power',
  'voltage',
  'current',
  'temp',
  'temp2',
  'vrTemp',
  'coreVoltage',
  'coreVoltageActual',
  'fanspeed',
  'fanrpm',
  'fan2rpm',
  'autofanspeed',
  'manualFanSpeed',
  'minFanSpeed',
  'temptarget',
  'overheat_mode',
  'power_fault',
  'hardware_fault',
];

before(async () => {
  api = await ApiServer.start({
    board: null,
    boardDefinition: board,
    chain: { chainStatus: () => chain },
    mining: { miningStatus: () => mining },
    port: 0,
    token: TOKEN,
    version: '0.1.0-test',
    hostname: 'hashaxe-test',
    macAddr: 'AA:BB:CC:DD:EE:FF',
    log: { info() {}, warn() {}, error() {} },
  });
});
after(async () => {
  await api.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  base = api.url,
): Promise<{ status: number; json: ParsedJson; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: ParsedJson = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

const auth = { Authorization: `Bearer ${TOKEN}` };

test('no board control: /api/system/info has every mining field, the chain frequency, and no board reading', async () => {
  const r = await call('GET', '/api/system/info');
  assert.equal(r.status, 200);
  const i = r.json;
  assert.equal(i.hashRate, 433.2);
  assert.equal(i.hashRate_1m, 433.2);
  assert.equal(i.hashRate_10m, 431.9);
  assert.equal(i.hashRate_1h, 428.1);
  assert.equal(i.sharesAccepted, 10);
  assert.equal(i.sharesRejected, 1);
  assert.deepEqual(i.sharesRejectedReasons, [{ message: 'stale-share', count: 1 }]);
  assert.equal(i.bestDiff, 123456);
  assert.equal(i.bestSessionDiff, 123456);
  assert.equal(i.poolDifficulty, 2048);
  assert.equal(i.uptimeSeconds, 3600);
  assert.ok(Math.abs(i.errorPercentage - (2 / 102) * 100) < 0.001);
  assert.equal(i.stratumURL, 'pool.example', 'a bare host, as AxeOS sends');
  assert.equal(i.stratumPort, 34254);
  assert.equal(i.stratumUser, 'bc1qexample.worker1');
  assert.equal(i.version, '0.1.0-test');
  assert.equal(i.hostname, 'hashaxe-test');
  assert.equal(i.macAddr, 'AA:BB:CC:DD:EE:FF');
  assert.equal(i.ASICModel, 'BM1366');
  assert.equal(i.asicCount, 1);
  assert.equal(i.smallCoreCount, 894);
  assert.equal(i.deviceModel, 'Ultra');
  assert.deepEqual(i.hashrateMonitor.asics, [{ total: 430.1, errorCount: 2, domains: [] }]);
  // The daemon sets the PLL itself, so the frequency is known without the board.
  assert.equal(i.frequency, 485);
  assert.equal(i.actualFrequency, 484.38);
  assert.equal(i.expectedHashrate, 433.03);
  assert.equal(i.miningPaused, false, 'no miningPaused from the provider: the chain runs');
  for (const k of BOARD_FIELDS) assert.equal(k in i, false, `${k} is absent, not faked: ${JSON.stringify(i[k])}`);
  const own = i.hashaxe;
  assert.deepEqual(
    { board: own.board, boardControl: own.boardControl, asicRunning: own.asicRunning, limits: own.limits },
    { board: 'bitaxe-ultra', boardControl: false, asicRunning: true, limits: board.limits },
  );
});

test('no board control: /metrics has the mining series and the frequency, and no board series at all', async () => {
  const r = await call('GET', '/metrics');
  assert.equal(r.status, 200);
  const m = parsePrometheusText(r.text);
  const one = (name: string, labels: Record<string, string> = {}): number => {
    const s = m.get(name)?.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    assert.ok(s, `${name}${JSON.stringify(labels)} missing`);
    return s.value;
  };
  assert.equal(one('hashaxe_info', { board: 'bitaxe-ultra', asic: 'BM1366', version: '0.1.0-test' }), 1);
  assert.equal(one('hashaxe_hashrate_ghs', { window: '1m' }), 433.2);
  assert.equal(one('hashaxe_hashrate_ghs', { window: 'avg' }), 420.5);
  assert.equal(one('hashaxe_expected_hashrate_ghs'), 433.0332);
  assert.equal(one('hashaxe_shares_total', { result: 'accepted' }), 10);
  assert.equal(one('hashaxe_shares_rejected_total', { reason: 'stale-share' }), 1);
  assert.equal(one('hashaxe_best_difficulty'), 123456);
  assert.equal(one('hashaxe_chip_nonces_total', { chip: '0' }), 100);
  assert.equal(one('hashaxe_hardware_errors_total', { chip: '0' }), 2);
  assert.equal(one('hashaxe_frequency_mhz', { kind: 'set' }), 485);
  assert.equal(one('hashaxe_frequency_mhz', { kind: 'actual' }), 484.38);
  assert.equal(one('hashaxe_uptime_seconds'), 3600);
  for (const name of [
    'hashaxe_asic_temperature_celsius',
    'hashaxe_vr_temperature_celsius',
    'hashaxe_fan_speed_percent',
    'hashaxe_fan_rpm',
    'hashaxe_power_watts',
    'hashaxe_input_voltage_volts',
    'hashaxe_input_current_amps',
    'hashaxe_core_voltage_volts',
    'hashaxe_asic_power_on',
    'hashaxe_overheat',
    'hashaxe_sensor_fault',
    'hashaxe_hardware_fault',
    'hashaxe_power_fault',
  ]) {
    assert.equal(m.has(name), false, `${name} is left out without board control`);
  }
});

test('no board control: a PATCH naming any board setting is 409 naming why, whatever its value; nothing is applied', async () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ autofanspeed: 0, manualFanSpeed: 40 }, 'autofanspeed, manualFanSpeed'],
    [{ fanspeed: 60 }, 'fanspeed'],
    [{ temptarget: 58, minFanSpeed: 30 }, 'temptarget, minFanSpeed'],
    [{ coreVoltage: 1250 }, 'coreVoltage'],
    [{ COREVOLTAGE: 1450 }, 'coreVoltage'],
    [{ frequency: 700, hostname: 'bitaxe' }, 'frequency'],
    [{ overheat_mode: 0 }, 'overheat_mode'],
  ];
  for (const [body, named] of cases) {
    const r = await call('PATCH', '/api/system', body, auth);
    assert.equal(r.status, 409, JSON.stringify(body));
    assert.equal(
      r.json.error,
      `this device has no board control (hashaxe runs with --peripherals none): ${named} cannot be changed here; nothing was changed`,
    );
    assert.equal('applied' in r.json, false);
  }
  const restart = await call('POST', '/api/system/restart', undefined, auth);
  assert.equal(restart.status, 409);
  assert.match(
    restart.json.error,
    /^this device has no board control .*: it cannot power-cycle the chips; nothing was done$/,
  );
  const info = (await call('GET', '/api/system/info')).json;
  assert.equal(info.frequency, 485);
  assert.equal('fanspeed' in info, false);
});

test('no board control: what needs no board still works (AxeOS-only settings, /health, /api/system/asic); bad input is still 400', async () => {
  const prefs = await call('PATCH', '/api/system', { display: 'NONE', rotation: 180, statsFrequency: 10 }, auth);
  assert.equal(prefs.status, 200, JSON.stringify(prefs.json));
  assert.deepEqual(prefs.json, {
    status: 'success',
    applied: { display: 'NONE', rotation: 180, statsFrequency: 10 },
    ignored: [],
  });
  const back = (await call('GET', '/api/system/info')).json;
  assert.equal(back.rotation, 180);
  assert.equal(back.statsFrequency, 10);
  const typo = await call('PATCH', '/api/system', { coreVoltag: 1200 }, auth);
  assert.equal(typo.status, 400);
  assert.match(typo.json.error, /unknown setting "coreVoltag"/);
  const notObject = await call('PATCH', '/api/system', [1, 2], auth);
  assert.equal(notObject.status, 400);
  const health = await call('GET', '/health');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { status: 'ok', asicRunning: true, problems: [], boardControl: false });
  const asic = await call('GET', '/api/system/asic');
  assert.equal(asic.status, 200);
  assert.equal(asic.json.ASICModel, 'BM1366');
  assert.deepEqual(asic.json.frequencyOptions, board.options.frequencyMhz);
});

test('no board control: the token and the browser-origin check still come first', async () => {
  const none = await call('PATCH', '/api/system', { manualFanSpeed: 40 });
  assert.equal(none.status, 401, 'no token: 401 before the 409');
  const wrong = await call('PATCH', '/api/system', { hostname: 'x' }, { Authorization: 'Bearer nope' });
  assert.equal(wrong.status, 401, 'even a change that needs no board');
  assert.equal((await call('POST', '/api/system/restart')).status, 401);
  const evil = await call('PATCH', '/api/system', { hostname: 'x' }, { Origin: 'https://evil.example' });
  assert.equal(evil.status, 401, 'a page on another site without the token');
  const withToken = await call('PATCH', '/api/system', { rotation: 90 }, { ...auth, Origin: 'https://evil.example' });
  assert.equal(withToken.status, 200, 'the token decides (no page can read it from the dashboard)');
  assert.equal((await call('GET', '/api/system/info')).status, 200, 'reads stay open');
});

test('no board control and no chain provider: frequency fields are left out; no definition at all is a config error', async () => {
  const bare = await ApiServer.start({
    boardDefinition: board,
    mining: { miningStatus: () => ({ ...mining, miningPaused: true }) },
    port: 0,
    log: { info() {}, warn() {}, error() {} },
  });
  try {
    const i = (await call('GET', '/api/system/info', undefined, {}, bare.url)).json;
    for (const k of ['frequency', 'actualFrequency', 'expectedHashrate']) assert.equal(k in i, false, k);
    assert.equal(i.miningPaused, true);
    assert.equal(i.sharesAccepted, 10);
    const m = parsePrometheusText((await call('GET', '/metrics', undefined, {}, bare.url)).text);
    assert.equal(m.has('hashaxe_frequency_mhz'), false);
    assert.equal(m.has('hashaxe_expected_hashrate_ghs'), false);
    assert.equal(m.get('hashaxe_shares_total')?.samples.length, 2);
  } finally {
    await bare.close();
  }
  await assert.rejects(
    ApiServer.start({ port: 0 }),
    (e: unknown) => e instanceof ApiConfigError && /board control or, without it, the board definition/.test(e.message),
  );
});

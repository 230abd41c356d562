import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { ds4432uCode } from '../../../drivers/i2c/ds4432u.js';
import { EMC2101_REG } from '../../../drivers/i2c/emc2101.js';
import { ApiConfigError, ApiServer } from '../../../firmware/api/server.js';
import { hostMacAddress } from '../../../firmware/api/system-info.js';
import { type BoardDaemon, startBoardDaemon } from '../../support/board-daemon.js';
import { parsePrometheusText } from '../../support/prometheus.js';

const DS = 0x48;
/** Parsed JSON as JSON.parse types it: the tests check fields one by one. */
type ParsedJson = ReturnType<typeof JSON.parse>;
let d: BoardDaemon;

before(async () => {
  d = await startBoardDaemon('bitaxe-ultra');
});
after(async () => {
  await d.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  base = d.url,
): Promise<{ status: number; json: ParsedJson; headers: Headers; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: ParsedJson = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, headers: res.headers, text };
}

/** `{"coreVoltage": [[[…]]]}` nested `depth` deep, as JSON text (JSON.stringify cannot build it). */
function nest(depth: number): string {
  return `{"coreVoltage": ${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

/** Sends raw bytes and returns the raw reply (for requests fetch refuses to make). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(bytes));
    let out = '';
    s.on('data', (c) => {
      out += c.toString();
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

test('/api/system/info carries the AxeOS fields Bitaxe tools read, in AxeOS units', async () => {
  const r = await call('GET', '/api/system/info');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  const i = r.json;
  const types: Record<string, string> = {
    hashRate: 'number',
    temp: 'number',
    vrTemp: 'number',
    power: 'number',
    voltage: 'number',
    current: 'number',
    coreVoltage: 'number',
    coreVoltageActual: 'number',
    frequency: 'number',
    fanspeed: 'number',
    fanrpm: 'number',
    sharesAccepted: 'number',
    sharesRejected: 'number',
    bestDiff: 'number',
    uptimeSeconds: 'number',
    ASICModel: 'string',
    stratumURL: 'string',
    stratumUser: 'string',
    version: 'string',
    hashRate_1m: 'number',
    hashRate_10m: 'number',
    hashRate_1h: 'number',
    temp2: 'number',
    autofanspeed: 'number',
    temptarget: 'number',
    overheat_mode: 'number',
    hostname: 'string',
    macAddr: 'string',
  };
  for (const [k, type] of Object.entries(types)) assert.equal(typeof i[k], type, `${k}: ${JSON.stringify(i[k])}`);
  // Units: W, mV (input), mA, °C, mV (core), MHz, %, GH/s.
  assert.ok(i.power > 8 && i.power < 11, `power W ${i.power}`);
  assert.ok(i.voltage > 4700 && i.voltage < 5100, `input mV ${i.voltage}`);
  assert.ok(i.current > 1500 && i.current < 2500, `current mA ${i.current}`);
  assert.ok(i.temp > 15 && i.temp < 75, `temp °C ${i.temp}`);
  assert.equal(i.temp2, -1, 'one sensor: AxeOS reports −1');
  assert.equal(i.vrTemp, 0, 'no regulator sensor: AxeOS reports 0');
  assert.equal(i.coreVoltage, 1200);
  assert.ok(Math.abs(i.coreVoltageActual - 1200) <= 4);
  assert.equal(i.frequency, 485);
  assert.equal(i.actualFrequency, 485);
  assert.ok(i.fanspeed >= 0 && i.fanspeed <= 100);
  assert.ok(i.fanrpm > 0);
  assert.equal(i.hashRate, 433.2);
  assert.equal(i.hashRate_10m, 431.9);
  assert.equal(i.expectedHashrate, 433.59, '485 MHz × 894 small cores / 1000');
  assert.equal(i.sharesAccepted, 10);
  assert.deepEqual(i.sharesRejectedReasons, [{ message: 'stale-share', count: 1 }]);
  assert.equal(i.bestDiff, 123456);
  assert.equal(i.ASICModel, 'BM1366');
  assert.equal(i.asicCount, 1);
  assert.equal(i.smallCoreCount, 894);
  assert.equal(i.deviceModel, 'Ultra');
  assert.equal(i.stratumURL, 'pool.example', 'a bare host, as AxeOS sends');
  assert.equal(i.stratumUser, 'bc1qexample.worker1');
  assert.equal(i.version, '0.1.0-test');
  assert.equal(i.macAddr, hostMacAddress(), "by default this host's first external interface");
  assert.equal(i.autofanspeed, 1);
  assert.equal(i.temptarget, 60);
  assert.equal(i.overheat_mode, 0);
  assert.ok(Math.abs(i.errorPercentage - (2 / 102) * 100) < 0.001);
  assert.deepEqual(i.hashrateMonitor.asics, [{ total: 430.1, errorCount: 2, domains: [] }]);
  assert.equal('power_fault' in i, false, 'present only when set');
  assert.equal('hardware_fault' in i, false);
  assert.equal(i.hashaxe.board, 'bitaxe-ultra');
});

test('Gamma: vrTemp from the TPS546, measured core voltage, power = VOUT × IOUT + 5 W', async () => {
  const g = await startBoardDaemon('bitaxe-gamma');
  try {
    await new Promise((r) => setTimeout(r, 150));
    const i = (await call('GET', '/api/system/info', undefined, {}, g.url)).json;
    assert.ok(i.vrTemp > 20 && i.vrTemp < 105, String(i.vrTemp));
    assert.ok(Math.abs(i.coreVoltageActual - 1148) <= 2);
    assert.equal(i.voltage, 5000);
    assert.ok(Math.abs(i.power - ((i.current / 1000) * (i.coreVoltageActual / 1000) + 5)) < 0.05);
    assert.equal(i.hashaxe.voltageMeasured, true);
  } finally {
    await g.close();
  }
});

test('/metrics parses as Prometheus text and carries hash rate, shares, temperatures, fan, power, voltage, per-chip errors', async () => {
  d.mining.rejectReasons['job "7" not\nfound\\'] = 3;
  const r = await call('GET', '/metrics');
  delete d.mining.rejectReasons['job "7" not\nfound\\'];
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const m = parsePrometheusText(r.text);
  const one = (name: string, labels: Record<string, string> = {}): number => {
    const f = m.get(name);
    assert.ok(f, `${name} missing`);
    const s = f.samples.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    assert.ok(s, `${name}${JSON.stringify(labels)} missing`);
    return s.value;
  };
  assert.equal(one('hashaxe_hashrate_ghs', { window: '1m' }), 433.2);
  assert.equal(m.get('hashaxe_shares_total')?.type, 'counter');
  assert.equal(one('hashaxe_shares_total', { result: 'accepted' }), 10);
  assert.equal(one('hashaxe_shares_total', { result: 'rejected' }), 1);
  assert.equal(
    one('hashaxe_shares_rejected_total', { reason: 'job "7" not\nfound\\' }),
    3,
    'label escaping round-trips',
  );
  assert.equal(one('hashaxe_hardware_errors_total', { chip: '0' }), 2);
  assert.ok(one('hashaxe_asic_temperature_celsius', { sensor: '0' }) > 15);
  assert.ok(one('hashaxe_fan_speed_percent') >= 0);
  assert.ok(one('hashaxe_fan_rpm', { fan: '0' }) > 0);
  assert.ok(one('hashaxe_power_watts') > 8);
  assert.ok(Math.abs(one('hashaxe_input_voltage_volts') - 4.8) < 0.2);
  assert.equal(one('hashaxe_core_voltage_volts', { kind: 'set' }), 1.2);
  assert.equal(one('hashaxe_frequency_mhz', { kind: 'actual' }), 485);
  assert.equal(one('hashaxe_overheat'), 0);
  assert.equal(m.has('hashaxe_vr_temperature_celsius'), false, 'unknown readings are left out, not 0');
  for (const [name, fam] of m) {
    if (fam.type === 'counter') assert.match(name, /_total$/);
    assert.notEqual(fam.help, '', `${name} has HELP`);
  }
});

test('a voltage above the board limit is refused with 400 naming the limit, and nothing reaches the regulator', async () => {
  const writes = d.board.bus.writesTo(DS).length;
  const r = await call('PATCH', '/api/system', { coreVoltage: 1450 });
  assert.equal(r.status, 400);
  assert.equal(r.json.error, "coreVoltage: core voltage 1450 mV above bitaxe-ultra's limit 1300 mV");
  const both = await call('PATCH', '/api/system', { coreVoltage: 1250, frequency: 700 });
  assert.equal(both.status, 400);
  assert.match(both.json.error, /frequency 700 MHz above bitaxe-ultra's limit 575 MHz/);
  assert.equal(d.board.bus.writesTo(DS).length, writes, 'no DS4432U write for either request');
  assert.equal(d.control.getSettings().voltageMv, 1200);
  assert.equal(d.control.getSettings().frequencyMhz, 485);
  const ok = await call('PATCH', '/api/system', { coreVoltage: 1250 });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { status: 'success', applied: { coreVoltage: 1250 }, ignored: [] });
  assert.equal(d.board.bus.writesTo(DS).at(-1)?.data[0], ds4432uCode(1250));
  await call('PATCH', '/api/system', { coreVoltage: 1200 });
});

test('PATCH fan settings (AxeOS names) reach the EMC2101; the Pi-managed fields pass only unchanged', async () => {
  const info = (await call('GET', '/api/system/info')).json;
  const r = await call('PATCH', '/api/system', {
    autofanspeed: 0,
    manualFanSpeed: 40,
    hostname: info.hostname,
    ssid: info.ssid,
    flipscreen: 1,
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.ignored, ['flipscreen']);
  const wifi = await call('PATCH', '/api/system', { manualFanSpeed: 45, ssid: 'other-network' });
  assert.equal(wifi.status, 400);
  assert.match(wifi.json.message, /Wi-Fi is managed by the Raspberry Pi OS/);
  const rename = await call('PATCH', '/api/system', { hostname: `${info.hostname}x` });
  assert.equal(rename.status, 400);
  assert.match(rename.json.message, /hostnamectl/);
  assert.equal(d.board.emc2101!.regs[EMC2101_REG.FAN_SETTING], 25);
  const legacy = await call('PATCH', '/api/system', { fanspeed: 60 });
  assert.equal(legacy.status, 200, 'older AxeOS name');
  assert.equal(d.board.emc2101!.regs[EMC2101_REG.FAN_SETTING], 37);
  const back = await call('PATCH', '/api/system', { autofanspeed: true, temptarget: 58, minFanSpeed: 30 });
  assert.equal(back.status, 200);
  assert.deepEqual(back.json.applied, { autofanspeed: 1, manualFanSpeed: 60, minFanSpeed: 30, temptarget: 58 });
  await call('PATCH', '/api/system', { temptarget: 60, minFanSpeed: 25 });
});

test("setting names match without regard to case, as ESP-Miner (cJSON) does: pyasic's fan body works", async () => {
  // What pyasic's MinerConfig.as_espminer() sends for a manual fan (its pool keys are a daemon test's).
  const r = await call('PATCH', '/api/system', { autoFanspeed: 0, fanspeed: 45 });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.applied, { autofanspeed: 0, manualFanSpeed: 45, minFanSpeed: 25, temptarget: 60 });
  assert.deepEqual(r.json.ignored, []);
  const pools = await call('PATCH', '/api/system', { stratumURL: 'stratum+tcp://pool.example', stratumUser: 'w' });
  assert.equal(pools.status, 409, 'no daemon behind this API: the pool keys are refused with the reason, not ignored');
  assert.match(pools.json.message, /no mining daemon/);
  assert.equal(d.board.emc2101!.regs[EMC2101_REG.FAN_SETTING], Math.floor(63 * 0.45));
  const writes = d.board.bus.writesTo(DS).length;
  const over = await call('PATCH', '/api/system', { COREVOLTAGE: 1450 });
  assert.equal(over.status, 400);
  assert.equal(over.json.error, "coreVoltage: core voltage 1450 mV above bitaxe-ultra's limit 1300 mV");
  assert.equal(d.board.bus.writesTo(DS).length, writes, 'any spelling goes through the same limit check');
  const back = await call('PATCH', '/api/system', { AutoFanSpeed: 1 });
  assert.equal(back.status, 200);
  assert.equal(d.control.getSettings().fanMode, 'auto');
});

test('malformed requests get a JSON reason and the right status; the server keeps serving', async () => {
  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['PATCH', '/api/system', '{"coreVoltage": ', 400, /^invalid JSON: /],
    ['PATCH', '/api/system', '[1,2]', 400, /body must be a JSON object/],
    ['PATCH', '/api/system', '', 400, /empty body/],
    ['PATCH', '/api/system', { coreVoltag: 1200 }, 400, /unknown setting "coreVoltag"; this API changes .*coreVoltage/],
    [
      'PATCH',
      '/api/system',
      { coreVoltage: 1200, corevoltage: 1250 },
      400,
      /coreVoltage is given twice \(as "coreVoltage" and "corevoltage"\)/,
    ],
    ['PATCH', '/api/system', { coreVoltage: '1200' }, 400, /coreVoltage must be a number, got "1200"/],
    ['PATCH', '/api/system', { autofanspeed: 'yes' }, 400, /autofanspeed must be true\/false or 1\/0/],
    ['PATCH', '/api/system', { overheat_mode: 2 }, 400, /overheat_mode must be true\/false or 1\/0/],
    ['PATCH', '/api/system', { display: 'SSD1306 (128x32)' }, 400, /no display is attached/],
    ['PATCH', '/api/system', { rotation: 45 }, 400, /rotation must be 0, 90, 180 or 270/],
    ['PATCH', '/api/system', nest(5000), 400, /JSON nested deeper than 16 levels/],
    ['PATCH', '/api/system', 'x'.repeat(20_000), 413, /request body over 16384 bytes/],
    ['GET', '/api/nope', undefined, 404, /^unknown route$/],
    ['DELETE', '/api/system', undefined, 405, /DELETE is not allowed on \/api\/system; use PATCH/],
    ['GET', '/api/system', undefined, 405, /use PATCH/],
  ];
  for (const [method, path, body, status, error] of cases) {
    const r = await call(method, path, body);
    assert.equal(r.status, status, `${method} ${path} ${String(body).slice(0, 20)}`);
    assert.match(r.json.error, error);
    assert.equal(r.json.message, r.json.error, 'AxeOS reads message, our CLI error');
    assert.ok(!r.text.includes('[[[') && r.text.length < 1500, 'a refusal never echoes the request');
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
  }
  const page = await call('GET', '/nope');
  assert.equal(page.status, 200, 'a deep link lands on the dashboard');
  assert.match(page.text, /AxeOS/);
  const garbage = await raw(d.api.port, 'HELLO THERE\r\n\r\n');
  assert.match(garbage, /^HTTP\/1\.1 400/);
  const pre = await call('OPTIONS', '/api/system', undefined, {
    Origin: 'http://192.168.1.50',
    'Access-Control-Request-Method': 'PATCH',
  });
  assert.equal(pre.status, 200);
  assert.match(
    pre.headers.get('access-control-allow-methods') ?? '',
    /PATCH/,
    'the preflight passes; the write is checked itself',
  );
  assert.equal((await call('GET', '/api/system/info')).status, 200, 'still serving');
});

test('a write from a web page on another site is refused (403), same-origin pages may write', async () => {
  const r = await call('PATCH', '/api/system', { manualFanSpeed: 50 }, { Origin: 'https://evil.example' });
  assert.equal(r.status, 403);
  const local = await call('PATCH', '/api/system', { manualFanSpeed: 50 }, { Origin: d.url });
  assert.equal(local.status, 200);
  // A sandboxed frame sends Origin: null; a no-preflight POST from it must not restart the board.
  const sandboxed = await call('POST', '/api/system/restart', undefined, { Origin: 'null' });
  assert.equal(sandboxed.status, 403);
});

test('DNS rebinding: a page on a name re-pointed at 127.0.0.1 matches the Host header but still cannot write', async () => {
  const restarts = d.logs.filter((l) => l.includes('(restart)')).length;
  const host = `evil.example:${d.api.port}`;
  const reply = await raw(
    d.api.port,
    `POST /api/system/restart HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
  );
  assert.match(reply, /^HTTP\/1\.1 403 /);
  assert.match(reply, /writes from a page on another site \(http:\/\/evil\.example:\d+\) are refused/);
  assert.equal(d.logs.filter((l) => l.includes('(restart)')).length, restarts);
  assert.equal(d.control.telemetry().asicRunning, true);
});

test('/health and POST /api/system/restart follow the overheat latch', async () => {
  assert.equal((await call('GET', '/health')).json.status, 'ok');
  d.board.thermal.overrideDieC = 90;
  for (let i = 0; i < 50 && d.control.telemetry().overheat === null; i++) await new Promise((r) => setTimeout(r, 20));
  const h = await call('GET', '/health');
  assert.equal(h.status, 503);
  assert.match(h.json.problems[0], /^overheat: ASIC 9\d(\.\d)? °C above bitaxe-ultra's limit 75 °C/);
  const info = (await call('GET', '/api/system/info')).json;
  assert.equal(info.overheat_mode, 1);
  assert.equal(info.fanspeed, 100);
  const hot = await call('POST', '/api/system/restart');
  assert.equal(hot.status, 409);
  assert.match(hot.json.error, /cannot restart: ASIC still 9\d(\.\d)? °C; restart is allowed below 65 °C/);
  d.board.thermal.overrideDieC = null;
  for (let i = 0; i < 50 && (d.control.telemetry().asicTempC ?? 99) > 60; i++)
    await new Promise((r) => setTimeout(r, 20));
  const ok = await call('PATCH', '/api/system', { overheat_mode: 0 });
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(d.control.telemetry().asicRunning, true);
  const powerOns = d.logs.filter((l) => l.includes('reset released')).length;
  const began = Date.now();
  const restart = await call('POST', '/api/system/restart');
  assert.equal(restart.status, 200);
  assert.equal(restart.json.message, 'System will restart shortly.');
  assert.ok(Date.now() - began < 800, 'answered before the power cycle (the AxeOS swarm waits 800 ms)');
  for (let i = 0; i < 150 && d.logs.filter((l) => l.includes('reset released')).length === powerOns; i++)
    await new Promise((r) => setTimeout(r, 20));
  assert.equal(d.logs.filter((l) => l.includes('reset released')).length, powerOns + 1, 'then it power-cycled');
  assert.equal((await call('GET', '/health')).status, 200);
});

test('manual fan under the floor: 400 with the reason, nothing applied; after an overheat, restart comes up in auto', async () => {
  const low = await call('PATCH', '/api/system', { autofanspeed: 0, manualFanSpeed: 0 });
  assert.equal(low.status, 400);
  assert.match(
    low.json.error,
    /^manualFanSpeed: manual fan speed 0% below bitaxe-ultra's minimum 40%: slower, the chips can overheat/,
  );
  assert.equal(d.control.getSettings().fanMode, 'auto', 'the whole request was refused');
  assert.equal((await call('PATCH', '/api/system', { autofanspeed: 0, manualFanSpeed: 40 })).status, 200);
  assert.equal((await call('GET', '/api/system/info')).json.autofanspeed, 0);
  d.board.thermal.overrideDieC = 90;
  for (let i = 0; i < 50 && d.control.telemetry().overheat === null; i++) await new Promise((r) => setTimeout(r, 20));
  assert.notEqual(d.control.telemetry().overheat, null);
  d.board.thermal.overrideDieC = null;
  for (let i = 0; i < 50 && (d.control.telemetry().asicTempC ?? 99) > 60; i++)
    await new Promise((r) => setTimeout(r, 20));
  const restart = await call('POST', '/api/system/restart');
  assert.equal(restart.status, 200, JSON.stringify(restart.json));
  // The restart answers first and acts after (the AxeOS swarm page waits 800 ms).
  let info = (await call('GET', '/api/system/info')).json;
  for (let i = 0; i < 150 && info.autofanspeed !== 1; i++) {
    await new Promise((r) => setTimeout(r, 20));
    info = (await call('GET', '/api/system/info')).json;
  }
  assert.equal(info.autofanspeed, 1, 'auto, not the manual 40 % it overheated at');
  assert.ok(d.logs.some((l) => /fan back to auto .* after the overheat; it was fixed at 40 %/.test(l)));
});

test('exposed binding: refused without a token; reads open, writes need the bearer token', async () => {
  await assert.rejects(
    ApiServer.start({ board: d.control, host: '0.0.0.0', port: 0 }),
    (e: unknown) =>
      e instanceof ApiConfigError && /refusing to expose the API on 0\.0\.0\.0 without a token/.test(e.message),
  );
  await assert.rejects(
    ApiServer.start({ board: d.control, host: '0.0.0.0', port: 0, token: 'short' }),
    /at least 16 characters/,
  );
  const token = 'f3a9c1d2e4b5a6978877665544332211';
  const exposed = await ApiServer.start({
    board: d.control,
    host: '0.0.0.0',
    port: 0,
    token,
    log: { info() {}, warn() {}, error() {} },
  });
  const base = `http://127.0.0.1:${exposed.port}`;
  try {
    assert.equal(
      (await call('GET', '/api/system/info', undefined, {}, base)).status,
      200,
      'AxeOS tools poll without auth',
    );
    const writes = d.board.bus.writesTo(DS).length;
    const no = await call('PATCH', '/api/system', { coreVoltage: 1250 }, {}, base);
    assert.equal(no.status, 401);
    assert.equal(no.headers.get('www-authenticate'), 'Bearer realm="hashaxe"');
    const wrong = await call('PATCH', '/api/system', { coreVoltage: 1250 }, { Authorization: 'Bearer nope' }, base);
    assert.equal(wrong.status, 401);
    assert.equal((await call('POST', '/api/system/restart', undefined, {}, base)).status, 401);
    assert.equal(d.board.bus.writesTo(DS).length, writes, 'refused writes touch nothing');
    const yes = await call('PATCH', '/api/system', { coreVoltage: 1250 }, { Authorization: `Bearer ${token}` }, base);
    assert.equal(yes.status, 200);
    assert.equal(d.control.getSettings().voltageMv, 1250);
    await call('PATCH', '/api/system', { coreVoltage: 1200 }, { Authorization: `Bearer ${token}` }, base);
  } finally {
    await exposed.close();
  }
});

test('a port in use is a clear ApiConfigError', async () => {
  await assert.rejects(
    ApiServer.start({ board: d.control, port: d.api.port }),
    /port \d+ on 127\.0\.0\.1 is in use \(another hashaxe\?\)/,
  );
});

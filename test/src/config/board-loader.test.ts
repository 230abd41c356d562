import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { expectedHashrateGhs } from '../../../src/config/board.js';
import { boardsDir, listBoards, loadBoard } from '../../../src/config/board-loader.js';
import { BoardConfigError, validateBoard } from '../../../src/config/board-validate.js';
import { SUPPORTED_BOARDS } from '../../support/boards.js';

const tmp = mkdtempSync(join(tmpdir(), 'hashaxe-boards-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function ultraJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(boardsDir(), 'bitaxe-ultra.json'), 'utf8'));
}

type JsonObject = Record<string, unknown>;

/** Sets (or with `undefined`, deletes) the field at a dotted path of parsed JSON. */
function put(obj: JsonObject, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = obj;
  for (const k of keys.slice(0, -1)) at = at[k] as JsonObject;
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
}

/** Writes a modified copy of bitaxe-ultra.json and loads it by path. */
function loadModified(edit: (j: JsonObject) => void, file = 'bitaxe-ultra.json'): () => unknown {
  const json = ultraJson();
  edit(json);
  const path = join(tmp, file);
  writeFileSync(path, JSON.stringify(json));
  return () => loadBoard(path);
}

test('every required board ships and validates, with the chip and count the issue names', () => {
  const names = listBoards();
  for (const n of SUPPORTED_BOARDS) assert.ok(names.includes(n), `boards/${n}.json missing`);
  const expect: Record<string, [string, number]> = {
    'bitaxe-max': ['BM1397', 1],
    'bitaxe-ultra': ['BM1366', 1],
    'bitaxe-supra': ['BM1368', 1],
    'bitaxe-gamma': ['BM1370', 1],
    'bitaxe-gamma-duo': ['BM1370', 2],
    'bitaxe-gamma-turbo': ['BM1370', 2],
    'bitaxe-hex': ['BM1366', 6],
    piaxe: ['BM1366', 1],
  };
  for (const n of names) {
    const b = loadBoard(n);
    assert.equal(b.name, n);
    assert.ok(b.notes.length > 0, `${n} explains its sources`);
    if (expect[n]) assert.deepEqual([b.asic.model, b.asic.count], expect[n]);
    assert.ok(b.defaults.voltageMv >= b.limits.voltageMv.min && b.defaults.voltageMv <= b.limits.voltageMv.max);
    assert.equal(b.i2c.bus, 1, 'Pi boards use I2C bus 1');
  }
});

test('board values follow ESP-Miner device_config.h (defaults, addresses, limits)', () => {
  const ultra = loadBoard('bitaxe-ultra');
  assert.equal(ultra.defaults.frequencyMhz, 485);
  assert.equal(ultra.defaults.voltageMv, 1200);
  assert.deepEqual(ultra.peripherals.fan, { part: 'EMC2101', address: 0x4c });
  assert.deepEqual(ultra.peripherals.regulator, { part: 'DS4432U', address: 0x48 });
  assert.deepEqual(ultra.peripherals.powerMonitor, { part: 'INA260', address: 0x40 });
  assert.equal(ultra.limits.asicTempC.max, 75);
  assert.equal(ultra.gpio.powerEnable?.activeLow, true, 'Bitaxe ASIC enable is active low');
  const gamma = loadBoard('bitaxe-gamma');
  assert.equal(gamma.peripherals.regulator.part, 'TPS546');
  const t = gamma.peripherals.asicTemp[0];
  assert.ok(
    t.part === 'EMC2101' && t.idealityFactor === 0x24 && t.betaCompensation === 0x00 && t.channel === 'external',
  );
  const hex = loadBoard('bitaxe-hex');
  assert.ok(hex.peripherals.regulator.part === 'TPS546' && hex.peripherals.regulator.voltageDomains === 3);
  assert.deepEqual(
    hex.peripherals.asicTemp.map((s) => s.address),
    [0x4a, 0x4b],
  );
  assert.equal(loadBoard('bitaxe-max').uart.fastBaud, 3_125_000);
  const piaxe = loadBoard('piaxe');
  assert.deepEqual(piaxe.peripherals.regulator, { part: 'fixed', voltageMv: 1200 });
  assert.equal(piaxe.limits.voltageMv.min, 1200);
  assert.equal(piaxe.limits.voltageMv.max, 1200);
  // AxeOS expectedHashrate = f × small cores × chips / 1000 (bm13xx.md §10: 433.6 GH/s for BM1366 at 485 MHz).
  assert.equal(Math.round(expectedHashrateGhs(ultra, 485) * 10) / 10, 433.6);
  assert.equal(Math.round(expectedHashrateGhs(gamma, 525) * 10) / 10, 1071);
});

test('Gamma Duo (650) and Gamma Turbo (801) follow ESP-Miner device_config.h and vcore.c', () => {
  const duo = loadBoard('bitaxe-gamma-duo');
  assert.deepEqual([duo.family, duo.boardVersion], ['GammaDuo', '650']);
  assert.deepEqual(duo.defaults, { frequencyMhz: 400, voltageMv: 1150, fanTargetC: 60, minFanPercent: 25 });
  assert.deepEqual(duo.options.frequencyMhz, [350, 375, 380, 400, 410], 'the BM1370 "XP" table');
  assert.deepEqual(duo.options.voltageMv, [1000, 1060, 1100, 1150, 1200, 1250]);
  assert.deepEqual(duo.limits.frequencyMhz, { min: 350, max: 410 });
  assert.deepEqual(duo.peripherals.asicTemp, [
    { part: 'EMC2101', address: 0x4c, channel: 'external', offsetC: 0, idealityFactor: 0x24, betaCompensation: 0x00 },
  ]);
  assert.deepEqual(duo.peripherals.regulator, {
    part: 'TPS546',
    address: 0x24,
    profile: '5v-single',
    voltageDomains: 1,
  });
  assert.deepEqual(duo.power, { maxW: 40, offsetW: 5, nominalInputV: 5 });
  assert.equal(Math.round(expectedHashrateGhs(duo, 400)), 1632, '400 × 2040 × 2 / 1000');

  const turbo = loadBoard('bitaxe-gamma-turbo');
  assert.deepEqual([turbo.family, turbo.boardVersion], ['GammaTurbo', '801']);
  assert.deepEqual([turbo.defaults.frequencyMhz, turbo.defaults.voltageMv], [525, 1150]);
  assert.deepEqual(turbo.peripherals.fan, { part: 'EMC2103', address: 0x2e });
  assert.deepEqual(
    turbo.peripherals.asicTemp,
    [
      { part: 'EMC2103', address: 0x2e, channel: 'external2', offsetC: 0 },
      { part: 'EMC2103', address: 0x2e, channel: 'external1', offsetC: 0 },
    ],
    'temp_flip: ASIC 1 is read from diode 2',
  );
  assert.deepEqual(turbo.peripherals.regulator, {
    part: 'TPS546',
    address: 0x24,
    profile: '12v-stacked',
    voltageDomains: 1,
  });
  assert.deepEqual(turbo.power, { maxW: 60, offsetW: 10, nominalInputV: 12 });
});

test('the error names the file, the field and the allowed range', () => {
  const load = loadModified((j) => put(j, 'limits.voltageMv.max', 9000));
  assert.throws(load, (err: unknown) => {
    assert.ok(err instanceof BoardConfigError);
    assert.equal(err.field, 'limits.voltageMv.max');
    assert.match(err.message, /bitaxe-ultra\.json: limits\.voltageMv\.max must be ≤ 1500, got 9000$/);
    return true;
  });
});

const bad: Array<[string, (j: JsonObject) => void, RegExp]> = [
  [
    'unsupported fan part',
    (j) => put(j, 'peripherals.fan', { part: 'MAX31790', address: '0x20' }),
    /peripherals\.fan\.part MAX31790 is not supported yet as a fan controller \(supported: EMC2101, EMC2103, EMC2302, pwm-sysfs\)/,
  ],
  [
    'an EMC2103 input that does not exist',
    (j) => put(j, 'peripherals.asicTemp', [{ part: 'EMC2103', address: '0x2E', channel: 'external3', offsetC: 0 }]),
    /peripherals\.asicTemp\[0\]\.channel must be one of internal, external1, external2, got "external3"/,
  ],
  [
    'an EMC2103 input without its channel',
    (j) => put(j, 'peripherals.asicTemp', [{ part: 'EMC2103', address: '0x2E', offsetC: 0 }]),
    /peripherals\.asicTemp\[0\]\.channel is required/,
  ],
  [
    'an EMC2101-only field on an EMC2103 input',
    (j) =>
      put(j, 'peripherals.asicTemp', [
        { part: 'EMC2103', address: '0x2E', channel: 'external1', offsetC: 0, idealityFactor: '0x24' },
      ]),
    /peripherals\.asicTemp\[0\]\.idealityFactor is not a known field/,
  ],
  [
    'one EMC2103 diode read as two ASICs',
    (j) =>
      put(j, 'peripherals.asicTemp', [
        { part: 'EMC2103', address: '0x2E', channel: 'external1', offsetC: 0 },
        { part: 'EMC2103', address: '0x2E', channel: 'external1', offsetC: 0 },
      ]),
    /peripherals\.asicTemp\[1\] lists the sensor at 0x2e \(channel external1\) twice/,
  ],
  [
    'an EMC2103 offset out of range',
    (j) => put(j, 'peripherals.asicTemp', [{ part: 'EMC2103', address: '0x2E', channel: 'external1', offsetC: 50 }]),
    /peripherals\.asicTemp\[0\]\.offsetC must be ≤ 20, got 50/,
  ],
  [
    'an EMC2103 on the DS4432U address',
    (j) => put(j, 'peripherals.fan', { part: 'EMC2103', address: '0x48' }),
    /peripherals\.regulator\.address 0x48 is already used by EMC2103/,
  ],
  [
    'an unknown TPS546 profile',
    (j) =>
      put(j, 'peripherals.regulator', { part: 'TPS546', address: '0x24', profile: '12v-2phase', voltageDomains: 1 }),
    /peripherals\.regulator\.profile must be one of 5v-single, 12v-3domain, 12v-stacked, got "12v-2phase"/,
  ],
  [
    'unsupported regulator',
    (j) => put(j, 'peripherals.regulator', { part: 'TPS53647', address: '0x71' }),
    /peripherals\.regulator\.part TPS53647 is not supported yet/,
  ],
  [
    'unknown chip',
    (j) => put(j, 'asic.model', 'BM1362'),
    /asic\.model must be one of the supported chips BM1397, BM1366, BM1368, BM1370, got "BM1362"/,
  ],
  [
    'default voltage above the limit',
    (j) => put(j, 'defaults.voltageMv', 1350),
    /defaults\.voltageMv must be ≤ 1300, got 1350/,
  ],
  [
    'frequency min above max',
    (j) => put(j, 'limits.frequencyMhz.min', 600),
    /limits\.frequencyMhz\.min must be ≤ limits\.frequencyMhz\.max \(575\)/,
  ],
  [
    'overheat limit too high',
    (j) => put(j, 'limits.asicTempC.max', 120),
    /limits\.asicTempC\.max must be ≤ 90, got 120/,
  ],
  [
    'bad I2C address',
    (j) => put(j, 'peripherals.regulator.address', '0x99'),
    /peripherals\.regulator\.address must be a 7-bit I2C address 0x03\.\.0x77, got "0x99"/,
  ],
  [
    'address clash',
    (j) => put(j, 'peripherals.powerMonitor.address', '0x48'),
    /peripherals\.powerMonitor\.address 0x48 is already used by DS4432U/,
  ],
  ['unknown field', (j) => put(j, 'limits.voltageMV', { max: 1 }), /limits\.voltageMV is not a known field/],
  ['missing field', (j) => put(j, 'uart.fastBaud', undefined), /uart\.fastBaud is required/],
  ['no manual fan floor', (j) => put(j, 'limits.manualFanPercent', undefined), /limits\.manualFanPercent is required/],
  [
    'manual fan floor over 100',
    (j) => put(j, 'limits.manualFanPercent.min', 101),
    /limits\.manualFanPercent\.min must be ≤ 100, got 101/,
  ],
  ['reset line out of range', (j) => put(j, 'gpio.reset.line', 99), /gpio\.reset\.line must be ≤ 53, got 99/],
  [
    'same line twice',
    (j) => put(j, 'gpio.powerEnable.line', 22),
    /gpio\.powerEnable\.line must differ from gpio\.reset\.line \(22\)/,
  ],
  [
    'fan target above the overheat margin',
    (j) => put(j, 'defaults.fanTargetC', 72),
    /defaults\.fanTargetC must be ≤ 66, got 72/,
  ],
  ['uart not a device', (j) => put(j, 'uart.device', 'COM3'), /uart\.device must be a \/dev path, got "COM3"/],
  ['name mismatch', (j) => put(j, 'name', 'bitaxe-other'), /name must match the file name "bitaxe-ultra"/],
];
for (const [what, edit, message] of bad) {
  test(`a board file with ${what} is refused with a field-named error`, () => {
    assert.throws(loadModified(edit), (err: unknown) => err instanceof BoardConfigError && message.test(err.message));
  });
}

test('TPS546 boards: voltage limits must fit the regulator profile, per voltage domain', () => {
  const gamma = JSON.parse(readFileSync(join(boardsDir(), 'bitaxe-gamma.json'), 'utf8'));
  gamma.limits.voltageMv.min = 900;
  assert.throws(
    () => validateBoard(gamma, 'gamma.json'),
    /gamma\.json: limits\.voltageMv\.min must be ≥ 1000 \(the TPS546 5v-single range\), got 900/,
  );
});

test('the 12v-stacked profile allows 1-3 V per domain', () => {
  const turbo = JSON.parse(readFileSync(join(boardsDir(), 'bitaxe-gamma-turbo.json'), 'utf8'));
  turbo.limits.voltageMv.min = 950;
  assert.throws(
    () => validateBoard(turbo, 'turbo.json'),
    /turbo\.json: limits\.voltageMv\.min must be ≥ 1000 \(the TPS546 12v-stacked range\), got 950/,
  );
  turbo.limits.voltageMv.min = 1000;
  turbo.peripherals.regulator.voltageDomains = 2;
  turbo.limits.voltageMv.max = 1250;
  assert.doesNotThrow(() => validateBoard(turbo, 'turbo.json'), '2 × 1.25 V fits 3 V');
  turbo.peripherals.regulator.voltageDomains = 3;
  assert.throws(
    () => validateBoard(turbo, 'turbo.json'),
    /limits\.voltageMv\.max must be ≤ 1000 \(the TPS546 12v-stacked/,
  );
});

test('a fixed regulator requires voltage limits equal to its voltage', () => {
  const piaxe = JSON.parse(readFileSync(join(boardsDir(), 'piaxe.json'), 'utf8'));
  piaxe.limits.voltageMv.max = 1250;
  assert.throws(() => validateBoard(piaxe, 'piaxe.json'), /limits\.voltageMv must be exactly 1200/);
});

test('loadBoard by name, by path, and the errors for unknown names and broken files', () => {
  assert.equal(loadBoard('bitaxe-gamma').name, 'bitaxe-gamma');
  assert.equal(loadBoard(join(boardsDir(), 'bitaxe-gamma.json')).name, 'bitaxe-gamma');
  assert.throws(() => loadBoard('bitaxe-mega'), /bitaxe-mega: is not a known board; known boards: .*bitaxe-ultra/);
  assert.throws(() => loadBoard('../etc/passwd'), /is neither a board name nor a path to a \.json board file/);
  assert.throws(() => loadBoard('/etc/hostname'), /is neither a board name nor a path to a \.json board file/);
  const broken = join(tmp, 'broken.json');
  writeFileSync(broken, '{"name": ');
  assert.throws(() => loadBoard(broken), /broken\.json: is not valid JSON \(line 1, column 10\)$/);
  writeFileSync(broken, '{\n  "name": "x",\n  oops\n}');
  assert.throws(() => loadBoard(broken), /broken\.json: is not valid JSON \(line 3, column 3\)$/);
  assert.throws(() => loadBoard(tmp.endsWith('/') ? tmp : `${tmp}/`), /neither a board name/);
  const dirNamedJson = join(tmp, 'dir.json');
  mkdirSync(dirNamedJson, { recursive: true });
  assert.throws(() => loadBoard(dirNamedJson), /dir\.json: is not a regular file/);
  assert.throws(() => loadBoard(join(tmp, 'absent.json')), /absent\.json: cannot be read \(ENOENT\)/);
  assert.throws(() => validateBoard([], 'x.json'), /x\.json: must be an object, got an array/);
});

test('a file that is not JSON is never quoted: the error names the file and the line and column only', () => {
  const cases = [
    'root:x:0:0:SECRET-ROOT-LINE:/root:/bin/bash\n',
    '\u0000\u0001SECRET-BINARY',
    '{"name": "bitaxe-x", "SECRET-KEY" SECRET-VALUE}',
    '[1, 2, SECRET]',
    '{} SECRET-TRAILER',
    '',
  ];
  for (const [i, text] of cases.entries()) {
    const file = join(tmp, `not-json-${i}.json`);
    writeFileSync(file, text);
    try {
      loadBoard(file);
      assert.fail('loaded a file that is not JSON');
    } catch (err) {
      assert.ok(err instanceof BoardConfigError);
      assert.match(err.message, /: is not valid JSON( \(line \d+, column \d+\))?$/);
      assert.doesNotMatch(err.message, /SECRET|root/, `case ${i}: ${err.message}`);
    }
  }
});

test('a user copy under another name loads when its name field matches', () => {
  const load = loadModified((j) => {
    put(j, 'name', 'my-ultra');
    put(j, 'gpio.reset.line', 5);
  }, 'my-ultra.json');
  const b = load() as { name: string; gpio: { reset: { line: number } } };
  assert.equal(b.name, 'my-ultra');
  assert.equal(b.gpio.reset.line, 5);
});

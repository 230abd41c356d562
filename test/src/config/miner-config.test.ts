import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigFieldError } from '../../../src/config/json-reader.js';
import {
  checkSettingsForBoard,
  DEFAULT_MINER_CONFIG,
  parsePortSpec,
  validateMinerConfig,
} from '../../../src/config/miner-config.js';
import { parseScale } from '../../../src/util/units.js';

const KEY = '9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';

test('an empty config is the embedded default: emulated bitaxe-ultra on the local pool', () => {
  const c = validateMinerConfig({}, 'hashaxe.json');
  assert.deepEqual(c, DEFAULT_MINER_CONFIG);
  assert.deepEqual(c.port, { kind: 'emulated' });
  assert.deepEqual(c.pools, []);
});

test('every field is read, pools keep their failover order', () => {
  const c = validateMinerConfig(
    {
      board: 'bitaxe-gamma',
      port: '/dev/ttyAMA0',
      user: 'bc1qexample.rig1',
      pools: [
        { url: `sv2+tcp://pool.example:34254/${KEY}`, user: 'me.rig1' },
        { url: 'sv2+tcp://10.0.0.2:34254', authorityKey: KEY },
      ],
      settings: { frequencyMhz: 550, voltageMv: 1150, fan: { mode: 'manual', percent: 80 } },
      api: { host: '0.0.0.0', port: 8080, token: 'abcdefghijklmnop' },
      emulator: { hashrateHs: 2e6, difficultyScale: '2^-20', workers: 2 },
      difficultyScale: 0.5,
      localPool: { sharesPerMinute: 30, blockIntervalSec: 10, jobIntervalSec: 5 },
      statusIntervalSec: 30,
      stateFile: '/var/lib/hashaxe/state.json',
    },
    'hashaxe.json',
  );
  assert.equal(c.stateFile, '/var/lib/hashaxe/state.json');
  assert.deepEqual(c.port, { kind: 'serial', path: '/dev/ttyAMA0' });
  assert.deepEqual(
    c.pools.map((p) => [p.url.slice(0, 30), p.user, p.authorityKey]),
    [
      ['sv2+tcp://pool.example:34254/9', 'me.rig1', null],
      ['sv2+tcp://10.0.0.2:34254', null, KEY],
    ],
  );
  assert.deepEqual(c.settings, { frequencyMhz: 550, voltageMv: 1150, fanMode: 'manual', fanPercent: 80 });
  assert.equal(c.emulator.difficultyScale, 2 ** -20);
  assert.equal(c.api.token, 'abcdefghijklmnop');
});

test('errors name the file, the field and what is allowed', () => {
  const cases: Array<[unknown, RegExp]> = [
    [[], /hashaxe\.json: must be an object, got an array/],
    [{ port: 'COM3' }, /hashaxe\.json: port must be "emulated", "board"/],
    [
      { pools: [{ url: 'http://x:1' }] },
      /pools\[0\]\.url must be sv2\+tcp:\/\/HOST:PORT\[\/AUTHORITY_KEY\] or stratum\+tcp:\/\/HOST:PORT/,
    ],
    [{ pools: [{ url: 'stratum+tcp://x' }] }, /pools\[0\]\.url must be .*\(pool URL "stratum\+tcp:\/\/x" has no port/],
    [{ pools: [{ url: 'sv2+tcp://x:1', extra: 1 }] }, /pools\[0\]\.extra is not a known field/],
    [{ settings: { voltageMv: 'high' } }, /settings\.voltageMv must be a number, got "high"/],
    [{ settings: { fan: { mode: 'turbo' } } }, /settings\.fan\.mode must be one of auto, manual, got "turbo"/],
    [{ api: { token: 'short' } }, /api\.token must be 16 to 256 printable characters/],
    [{ api: { port: 70000 } }, /api\.port must be ≤ 65535, got 70000/],
    [{ emulator: { difficultyScale: 2 } }, /emulator\.difficultyScale must be in \(0, 1\]/],
    [{ localPool: { sharesPerMinute: 0 } }, /localPool\.sharesPerMinute must be ≥ 0\.1, got 0/],
    [{ stateFile: '' }, /stateFile must be a non-empty string, got ""/],
    [{ stateFile: 42 }, /stateFile must be a non-empty string, got 42/],
    [{ stateFile: 'a\0b' }, /stateFile must be a file path/],
  ];
  for (const [json, reason] of cases) {
    assert.throws(
      () => validateMinerConfig(json, 'hashaxe.json'),
      (e: unknown) => e instanceof ConfigFieldError && reason.test(e.message),
      String(reason),
    );
  }
});

test('settings are held to the board’s own limits, with the limit in the message', () => {
  const limits = {
    frequencyMhz: { min: 400, max: 575 },
    voltageMv: { min: 1100, max: 1300 },
    manualFanPercent: { min: 40 },
  };
  assert.doesNotThrow(() => checkSettingsForBoard({ frequencyMhz: 575, voltageMv: 1100 }, limits, 'b', 'f'));
  assert.throws(
    () => checkSettingsForBoard({ voltageMv: 1301 }, limits, 'bitaxe-ultra', 'hashaxe.json'),
    /hashaxe\.json: settings\.voltageMv must be between 1100 and 1300 mV on bitaxe-ultra, got 1301/,
  );
  assert.throws(() => checkSettingsForBoard({ frequencyMhz: 399 }, limits, 'b', 'f'), /between 400 and 575 MHz/);
  assert.doesNotThrow(() => checkSettingsForBoard({ fanMode: 'manual', fanPercent: 40 }, limits, 'b', 'f'));
  assert.throws(
    () => checkSettingsForBoard({ fanMode: 'manual', fanPercent: 0 }, limits, 'bitaxe-ultra', 'hashaxe.json'),
    /hashaxe\.json: settings\.fan\.percent must be at least 40 % on bitaxe-ultra \(its manual fan floor.*got 0$/,
  );
});

test('port and scale parsing', () => {
  assert.deepEqual(parsePortSpec('board'), { kind: 'board' });
  assert.deepEqual(parsePortSpec('tcp://127.0.0.1:3333'), { kind: 'tcp', url: 'tcp://127.0.0.1:3333' });
  assert.equal(typeof parsePortSpec('tcp://nohost'), 'string');
  assert.equal(parseScale('2^-21'), 2 ** -21);
  assert.equal(parseScale(1), 1);
  assert.equal(parseScale('0'), null);
  assert.equal(parseScale(''), null);
});

test('pools mix SV2 and Stratum V1; the fields of one protocol are refused on the other, naming the field', () => {
  const c = validateMinerConfig(
    {
      pools: [
        { url: `sv2+tcp://pool.example:34254/${KEY}`, user: 'me.rig1' },
        {
          url: 'stratum+ssl://public-pool.io:4333',
          user: 'bc1qexample.rig1',
          password: 'x',
          suggestDifficulty: 0.5,
          extranonceSubscribe: true,
          tlsCa: '/etc/hashaxe/pool.pem',
          reconnectToOtherHosts: true,
        },
        { url: 'stratum+tcp://solo.ckpool.org:3333#xnsub' },
      ],
    },
    'hashaxe.json',
  );
  assert.equal(c.pools.length, 3);
  assert.deepEqual(c.pools[1], {
    url: 'stratum+ssl://public-pool.io:4333',
    user: 'bc1qexample.rig1',
    authorityKey: null,
    password: 'x',
    suggestDifficulty: 0.5,
    extranonceSubscribe: true,
    tlsCa: '/etc/hashaxe/pool.pem',
    reconnectToOtherHosts: true,
  });
  assert.equal(c.pools[2].user, null);
  const cases: Array<[unknown, RegExp]> = [
    [
      { pools: [{ url: 'stratum+tcp://x:3333', authorityKey: KEY }] },
      /pools\[0\]\.authorityKey is for sv2\+tcp:\/\/ pools/,
    ],
    [{ pools: [{ url: `sv2+tcp://x:1/${KEY}`, password: 'x' }] }, /pools\[0\]\.password is for Stratum V1 pools/],
    [
      { pools: [{ url: `sv2+tcp://x:1/${KEY}`, suggestDifficulty: 1 }] },
      /pools\[0\]\.suggestDifficulty is for Stratum V1 pools/,
    ],
    [
      { pools: [{ url: 'stratum+tcp://x:3333', suggestDifficulty: 0 }] },
      /pools\[0\]\.suggestDifficulty must be a number above 0/,
    ],
    [
      { pools: [{ url: 'stratum+tcp://x:3333', suggestDifficulty: 'high' }] },
      /suggestDifficulty must be a number above 0 \(fractions allowed\), got "high"/,
    ],
    [
      { pools: [{ url: 'stratum+tcp://x:3333', extranonceSubscribe: 'yes' }] },
      /pools\[0\]\.extranonceSubscribe must be true or false/,
    ],
    [{ pools: [{ url: 'stratum+tcp://x:3333', tlsCa: '/p.pem' }] }, /pools\[0\]\.tlsCa is for TLS pools/],
    [
      { pools: [{ url: 'stratum+tcp://x:3333', password: 'a\nb' }] },
      /pools\[0\]\.password must be a string of up to 255 printable/,
    ],
    [{ pools: [{ url: 'stratum+tcp://x:3333/path' }] }, /has a path; a V1 URL is only host:port/],
    [{ pools: [{ url: 'stratum+tcp://me:pw@x:3333' }] }, /carries a user/],
    [{ localPool: { protocol: 'sv3' } }, /localPool\.protocol must be one of sv2, sv1/],
  ];
  for (const [json, reason] of cases) {
    assert.throws(
      () => validateMinerConfig(json, 'hashaxe.json'),
      (e: unknown) => e instanceof ConfigFieldError && reason.test(e.message),
      String(reason),
    );
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeLabelValue, renderMetrics } from '../../../firmware/api/metrics.js';
import type { MiningStatus } from '../../../firmware/api/mining-status.js';
import type { BoardTelemetry } from '../../../firmware/board/board-control.js';
import { parsePrometheusText } from '../../support/prometheus.js';

test('the test parser is strict: each malformation below is rejected with its line', () => {
  const bad: Array<[string, RegExp]> = [
    ['x 1', /must end with a newline/],
    ['bad-name 1\n', /line 1: not a sample/],
    ['x{a="1} 2\n', /line 1: unterminated label value/],
    ['x{a=1} 2\n', /line 1: label value must be quoted/],
    ['x{a="\\t"} 2\n', /line 1: bad escape \\t/],
    ['x{a="1",a="2"} 2\n', /line 1: duplicate label a/],
    ['x one\n', /line 1: bad value "one"/],
    ['x 1\ny 2\nx 3\n', /line 3: samples of x are not contiguous/],
    ['x{a="1"} 1\nx{a="1"} 2\n', /line 2: duplicate series/],
    ['# HELP x A thing.\nx 1\n# TYPE x gauge\n', /line 3: TYPE for x after its samples/],
    ['# TYPE x gauge\n# TYPE x counter\nx 1\n', /line 2: a second TYPE line for x/],
    ['# TYPE x meter\nx 1\n', /line 1: bad type meter/],
  ];
  for (const [text, error] of bad) assert.throws(() => parsePrometheusText(text), error, JSON.stringify(text));
  const ok = parsePrometheusText('# HELP x A thing.\n# TYPE x counter\nx{a="q\\"\\\\\\n"} 1.5e3\nx 2 1700000000\n');
  assert.deepEqual(ok.get('x'), {
    type: 'counter',
    help: 'A thing.',
    samples: [
      { labels: { a: 'q"\\\n' }, value: 1500 },
      { labels: {}, value: 2 },
    ],
  });
});

function telemetry(): BoardTelemetry {
  return {
    board: 'bitaxe-gamma',
    asicModel: 'BM1370',
    asicCount: 1,
    power: 'on',
    asicRunning: true,
    resetAsserted: false,
    asicTempsC: [null],
    asicTempC: null,
    vrTempC: 51.5,
    fanPercent: 100,
    fanReason: 'sensor-fault',
    fanRpm: [5900],
    inputVoltageMv: 5012.5,
    currentMa: 12_250,
    powerW: 18.9,
    voltageSetMv: 1150,
    voltageActualMv: 1148.4,
    voltageMeasured: true,
    frequencySetMhz: 525,
    frequencyActualMhz: 525,
    expectedHashrateGhs: 1071,
    settings: {
      frequencyMhz: 525,
      voltageMv: 1150,
      fanMode: 'auto',
      fanPercent: 100,
      fanTargetC: 60,
      minFanPercent: 25,
    },
    overheat: null,
    sensorFault: { sensor: 'EMC2101', reason: 'EMC2101 at 0x4c: external diode open circuit', kind: 'failed', atMs: 5 },
    powerFault: null,
    hardwareFault: null,
    warnings: [],
    updatedAtMs: 5,
  };
}

const mining: MiningStatus = {
  hashrateGhs: { avg: 1000, m1: 1050.5, m10: 1040, h1: 1030 },
  sharesAccepted: 7,
  sharesRejected: 2,
  rejectReasons: { 'invalid-job-id': 2 },
  bestDifficulty: 4096,
  uptimeSeconds: 600,
  hwErrors: 1,
  chips: [{ nonces: 500, hwErrors: 1, hashrateGhs: 1049.75 }],
  pool: null,
};

test('metrics: values in base units, an unknown temperature left out, counters end in _total', () => {
  const m = parsePrometheusText(renderMetrics(telemetry(), mining, ['EMC2101 external at 0x4c'], '0.1.0'));
  const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
    m.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(value('hashaxe_hashrate_ghs', { window: '1m' }), 1050.5);
  assert.equal(value('hashaxe_shares_total', { result: 'accepted' }), 7);
  assert.equal(value('hashaxe_shares_rejected_total', { reason: 'invalid-job-id' }), 2);
  assert.equal(value('hashaxe_hardware_errors_total', { chip: '0' }), 1);
  assert.equal(value('hashaxe_chip_nonces_total', { chip: '0' }), 500);
  assert.equal(value('hashaxe_chip_hashrate_ghs', { chip: '0' }), 1049.75);
  assert.equal(value('hashaxe_vr_temperature_celsius'), 51.5);
  assert.equal(m.has('hashaxe_asic_temperature_celsius'), false, 'the only ASIC sensor is unreadable: no sample');
  assert.equal(value('hashaxe_input_voltage_volts'), 5.0125);
  assert.equal(value('hashaxe_input_current_amps'), 12.25);
  assert.equal(value('hashaxe_core_voltage_volts', { kind: 'actual' }), 1.1484);
  assert.equal(value('hashaxe_sensor_fault'), 1);
  assert.equal(value('hashaxe_fan_speed_percent'), 100);
  assert.deepEqual(m.get('hashaxe_info')?.samples[0].labels, {
    board: 'bitaxe-gamma',
    asic: 'BM1370',
    version: '0.1.0',
  });
  for (const [name, family] of m) {
    if (family.type === 'counter') assert.match(name, /_total$/, name);
  }
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});

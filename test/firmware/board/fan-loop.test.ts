/**
 * The fan loop alone: a recording fan and time passed in by the test (no board, no timers).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_POLICY } from '../../../firmware/board/board-types.js';
import { FanLoop, type FanSettings } from '../../../firmware/board/fan-loop.js';
import type { FanRole } from '../../../firmware/board/peripherals.js';
import { collectingLog } from '../../support/log.js';

function recordingFan(): FanRole & { writes: number[]; rpm: number[]; failing: boolean } {
  const fan = {
    label: 'test fan',
    writes: [] as number[],
    rpm: [3000],
    failing: false,
    async init(p: number) {
      fan.writes.push(p);
    },
    async setPercent(p: number) {
      if (fan.failing) throw new Error('NACK');
      fan.writes.push(p);
    },
    async readRpm() {
      return fan.rpm;
    },
  };
  return fan;
}

const AUTO: FanSettings = { fanMode: 'auto', fanPercent: 100, fanTargetC: 60, minFanPercent: 25 };
const running = (t: number | null) => ({ override: null, powered: true, asicTemps: [t] });

test('safety first: an override runs the fan flat out whatever the mode, and is written at once', async () => {
  const fan = recordingFan();
  const { log, logs } = collectingLog();
  const loop = new FanLoop({
    fan,
    log,
    policy: DEFAULT_POLICY,
    settings: { ...AUTO, fanMode: 'manual', fanPercent: 45 },
    onWriteError: async () => {},
  });
  await loop.init(0);
  assert.deepEqual(fan.writes, [45], 'a manual fan starts at its own speed');
  await loop.apply(100, { override: 'overheat', powered: false, asicTemps: [90] }, true);
  assert.equal(loop.percent, 100);
  assert.equal(loop.reason, 'overheat');
  assert.deepEqual(fan.writes, [45, 100]);
  assert.ok(logs.some((l) => /fan 100 % \(overheat\)/.test(l)));
  await loop.apply(200, { override: null, powered: true, asicTemps: [50] }, true);
  assert.equal(loop.reason, 'manual');
  assert.equal(fan.writes.at(-1), 45);
});

test('auto: the PID raises the fan above the target, never under its minimum, and writes only moves of ≥ 1 %', async () => {
  const fan = recordingFan();
  const { log } = collectingLog();
  const loop = new FanLoop({ fan, log, policy: DEFAULT_POLICY, settings: AUTO, onWriteError: async () => {} });
  await loop.init(0);
  assert.equal(loop.percent, DEFAULT_POLICY.startupFanPercent);
  await loop.apply(0, { override: null, powered: true, asicTemps: [null] }, true);
  assert.equal(loop.reason, 'startup', 'no reading yet: the startup speed');
  let now = 0;
  /** One control period later (or `ms` later). */
  const later = (ms = 100): number => {
    now += ms;
    return now;
  };
  for (let i = 0; i < 300; i++) await loop.apply(later(), running(72), true);
  const hot = loop.percent;
  assert.ok(hot > 90, `72 °C against a 60 °C target drives the fan up (${hot} %)`);
  for (let i = 0; i < 600; i++) await loop.apply(later(), running(40), true);
  assert.equal(loop.percent, 25, 'cold: down to the PID minimum, not below');
  await loop.apply(later(DEFAULT_POLICY.fanRewriteMs), running(40), true);
  const writes = fan.writes.length;
  for (let i = 0; i < 10; i++) await loop.apply(later(), running(40), true);
  assert.equal(fan.writes.length, writes, 'no write while nothing moves');
  await loop.apply(later(DEFAULT_POLICY.fanRewriteMs), running(40), true);
  assert.equal(fan.writes.length, writes + 1, 'rewritten after fanRewriteMs (a browned-out controller forgets)');
});

test('a fan that cannot be written reports it; a tachometer at 0 RPM is a stall after 10 s', async () => {
  const fan = recordingFan();
  const { log, logs } = collectingLog();
  const failures: string[] = [];
  const loop = new FanLoop({
    fan,
    log,
    policy: DEFAULT_POLICY,
    settings: { ...AUTO, fanMode: 'manual', fanPercent: 60 },
    onWriteError: async (err) => void failures.push(err.message),
  });
  await loop.init(0);
  fan.failing = true;
  await loop.apply(0, { override: 'sensor-fault', powered: true, asicTemps: [null] });
  assert.deepEqual(failures, ['NACK']);
  fan.failing = false;
  await loop.apply(100, { override: null, powered: true, asicTemps: [50] });
  fan.rpm = [0];
  await loop.readRpm(1000);
  await loop.readRpm(10_999);
  assert.equal(loop.stalled, false);
  await loop.readRpm(11_000);
  assert.equal(loop.stalled, true);
  assert.ok(logs.some((l) => /fan reads 0 RPM at 60 %: stalled/.test(l)));
  fan.rpm = [2500];
  await loop.readRpm(12_000);
  assert.equal(loop.stalled, false);
});

/**
 * The power sequencer alone: memory GPIO lines, a recording regulator and a manual clock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryGpioLine } from '../../../drivers/gpio/gpio-memory.js';
import { DEFAULT_POLICY } from '../../../firmware/board/board-types.js';
import { ManualClock } from '../../../firmware/board/clock.js';
import type { RegulatorRole } from '../../../firmware/board/peripherals.js';
import { PowerSequencer } from '../../../firmware/board/power-sequencer.js';
import { loadBoard } from '../../../src/config/board-loader.js';
import { collectingLog } from '../../support/log.js';

function rig() {
  const clock = new ManualClock();
  const order: string[] = [];
  // Times in the log are relative to `t0`, which a test moves to the start of what it checks.
  const origin = { t0: clock.now() };
  const at = () => clock.now() - origin.t0;
  const reset = new MemoryGpioLine({ line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' }, at);
  const enable = new MemoryGpioLine(
    { line: 17, activeLow: true, initialActive: false, name: 'power-enable', chip: 'auto' },
    at,
  );
  reset.onChange((on) => order.push(`reset ${on}@${at()}`));
  enable.onChange((on) => order.push(`enable ${on}@${at()}`));
  const regulator: RegulatorRole = {
    label: 'test regulator',
    switchesPower: false,
    measures: false,
    init: async () => {},
    powerOn: async (mv) => void order.push(`regulator ${mv}@${at()}`),
    adjust: async (mv) => void order.push(`adjust ${mv}@${at()}`),
    powerOff: async () => void order.push(`regulator off@${at()}`),
    readActualMv: async () => null,
    readStatus: async () => null,
  };
  const power: Array<[boolean, string]> = [];
  const { log } = collectingLog();
  const seq = new PowerSequencer({
    board: loadBoard('bitaxe-ultra'),
    regulator,
    lines: { reset, powerEnable: enable },
    asic: {
      setFrequency: async (mhz) => {
        order.push(`freq ${mhz}@${at()}`);
        return mhz;
      },
    },
    initChips: async () => void order.push(`init@${at()}`),
    clock,
    log,
    policy: DEFAULT_POLICY,
    onPower: (on, reason) => power.push([on, reason]),
  });
  return { clock, seq, order, power, origin };
}

/** Moves the manual clock until `p` settles. */
async function settle<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 200 && !done; i++) await clock.advance(50);
  return p;
}

test('on: regulator before the enable, settle, reset pulse, init, frequency; off ramps down first', async () => {
  const r = rig();
  await settle(r.clock, r.seq.powerOn(1200, 485));
  assert.deepEqual(r.order, ['regulator 1200@0', 'enable true@0', 'reset false@600', 'init@700', 'freq 485@700']);
  assert.equal(r.seq.asicRunning, true);
  assert.equal(r.seq.appliedVoltageMv, 1200);
  r.order.length = 0;
  assert.equal(await settle(r.clock, r.seq.powerOff('test', true)), true);
  assert.deepEqual(r.order, ['freq 400@700', 'reset true@700', 'enable false@700', 'regulator off@700']);
  assert.deepEqual(r.power, [
    [true, 'power-on'],
    [false, 'test'],
  ]);
  assert.equal(await r.seq.powerOff('again', true), false, 'already off');
});

test('a cut holds reset first, then the supply, and stops a power-on or a voltage ramp in progress', async () => {
  const r = rig();
  const starting = r.seq.powerOn(1200, 485);
  await r.clock.advance(100);
  await r.seq.cut('overheat');
  await assert.rejects(settle(r.clock, starting), /power-on interrupted by a safety cut/);
  assert.equal(r.seq.state, 'off');
  assert.equal(r.seq.resetAsserted, true);

  await settle(r.clock, r.seq.powerOn(1200, 485));
  r.order.length = 0;
  r.origin.t0 = r.clock.now();
  const ramp = r.seq.rampVoltage(1300);
  await r.clock.advance(60);
  await r.seq.cut('overheat');
  await assert.rejects(settle(r.clock, ramp), /ASIC power was cut during the voltage change/);
  assert.deepEqual(r.order.slice(0, 4), ['adjust 1225@0', 'adjust 1250@50', 'reset true@60', 'enable false@60']);
});

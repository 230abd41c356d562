import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmulatedBoard } from '../../../drivers/emulator/thermal-board.js';
import { ds4432uCode } from '../../../drivers/i2c/ds4432u.js';
import { EMC2101_REG } from '../../../drivers/i2c/emc2101.js';
import { PMBUS } from '../../../drivers/i2c/pmbus.js';
import type { AsicClockControl } from '../../../firmware/board/asic-clock.js';
import { BoardControl, BoardStateError } from '../../../firmware/board/board-control.js';
import { ManualClock } from '../../../firmware/board/clock.js';
import { BoardLimitError } from '../../../firmware/board/limits.js';
import { createBoardPeripherals } from '../../../firmware/board/peripherals.js';
import { loadBoard } from '../../../src/config/board-loader.js';
import { startBoardSim } from '../../support/board-sim.js';

const DS = 0x48;

/** Settles a pending promise by moving simulated time along. */
async function run<T>(sim: { advance(ms: number): Promise<void> }, p: Promise<T>, ms = 3000): Promise<T> {
  let settled = false;
  p.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let t = 0; t < ms && !settled; t += 50) await sim.advance(50);
  return p;
}

test('power-on order: DAC code first, then core enable, settle, reset pulse, then the frequency', async () => {
  const def = loadBoard('bitaxe-ultra');
  const clock = new ManualClock();
  const board = new EmulatedBoard(def, { now: () => clock.now() });
  const order: string[] = [];
  board.bus.onWrite = (w) => {
    if (w.address === DS) order.push(`dac ${w.data[0].toString(16)}@${clock.now()}`);
  };
  board.powerEnable!.onChange((on) => order.push(`enable ${on}@${clock.now()}`));
  board.reset.onChange((on) => order.push(`reset ${on}@${clock.now()}`));
  const calls: number[] = [];
  const asic: AsicClockControl = {
    setFrequency: async (mhz) => {
      calls.push(mhz);
      order.push(`freq ${mhz}@${clock.now()}`);
      return mhz;
    },
  };
  const control = new BoardControl({
    board: def,
    peripherals: createBoardPeripherals(def, board.bus),
    gpio: { reset: board.reset, powerEnable: board.powerEnable },
    asic,
    clock,
    log: { info() {}, warn() {}, error() {} },
  });
  const t0 = clock.now();
  await run({ advance: (ms) => clock.advance(ms) }, control.start());
  assert.deepEqual(order, [`dac c6@${t0}`, `enable true@${t0}`, `reset false@${t0 + 600}`, `freq 485@${t0 + 700}`]);
  assert.deepEqual(calls, [485]);
  // stop: frequency down to the board's minimum (never below its limits), reset held, core off.
  order.length = 0;
  await run({ advance: (ms) => clock.advance(ms) }, control.stop());
  assert.deepEqual(
    order.map((o) => o.replace(/@\d+$/, '')),
    ['freq 400', 'reset true', 'enable false'],
  );
});

test('voltage outside the board limits is refused before the regulator is touched', async () => {
  const sim = await startBoardSim('bitaxe-ultra');
  try {
    const writes = sim.board.bus.writesTo(DS).length;
    await assert.rejects(
      sim.control.setVoltage(1450),
      (e: unknown) =>
        e instanceof BoardLimitError &&
        e.message === "core voltage 1450 mV above bitaxe-ultra's limit 1300 mV" &&
        e.max === 1300,
    );
    await assert.rejects(sim.control.setVoltage(1000), /core voltage 1000 mV below bitaxe-ultra's minimum 1100 mV/);
    await assert.rejects(sim.control.setVoltage(1212.5), /must be a whole number/);
    await assert.rejects(sim.control.setVoltage(Number.NaN), /core voltage must be a number/);
    assert.equal(sim.board.bus.writesTo(DS).length, writes, 'no DAC write');
    assert.equal(sim.control.getSettings().voltageMv, 1200);
    await assert.rejects(sim.control.setFrequency(700), /frequency 700 MHz above bitaxe-ultra's limit 575 MHz/);
    assert.ok(!sim.board.asicClock.calls.includes(700), 'the ASIC driver never saw it');
    await assert.rejects(sim.control.setFanManual(150), /fan speed 150% above bitaxe-ultra's limit 100%/);
    await assert.rejects(sim.control.setFanAuto(70), /target temperature 70°C above bitaxe-ultra's limit 66°C/);
  } finally {
    await sim.close();
  }
});

test('config is an entry too: settings outside the limits refuse to construct', () => {
  const def = loadBoard('bitaxe-ultra');
  const board = new EmulatedBoard(def);
  const make = (settings: Record<string, number>): BoardControl =>
    new BoardControl({
      board: def,
      peripherals: createBoardPeripherals(def, board.bus),
      gpio: { reset: board.reset, powerEnable: board.powerEnable },
      settings,
    });
  assert.throws(() => make({ voltageMv: 1400 }), /core voltage 1400 mV above bitaxe-ultra's limit 1300 mV/);
  assert.throws(() => make({ frequencyMhz: 100 }), /frequency 100 MHz below bitaxe-ultra's minimum 400 MHz/);
  assert.throws(() => make({ minFanPercent: 100 }), /minimum fan speed 100% above/);
  assert.equal(make({ voltageMv: 1250 }).getSettings().voltageMv, 1250);
});

test('PiAxe: the fixed 1.2 V core cannot be changed', async () => {
  const sim = await startBoardSim('piaxe');
  try {
    await assert.rejects(sim.control.setVoltage(1250), /core voltage 1250 mV above piaxe's limit 1200 mV/);
    assert.equal(await run(sim, sim.control.setVoltage(1200)), 1200);
    assert.equal(sim.control.telemetry().voltageActualMv, 1200);
    assert.equal(sim.control.telemetry().voltageMeasured, false);
  } finally {
    await sim.close();
  }
});

test('DS4432U voltage changes ramp in 25 mV steps, 50 ms apart', async () => {
  const sim = await startBoardSim('bitaxe-ultra');
  try {
    const steps: Array<[number, number]> = [];
    sim.board.bus.onWrite = (w) => {
      if (w.address === DS) steps.push([w.data[0], sim.clock.now()]);
    };
    assert.equal(await run(sim, sim.control.setVoltage(1300)), 1300);
    assert.deepEqual(
      steps.map((s) => s[0]),
      [1225, 1250, 1275, 1300].map(ds4432uCode),
    );
    for (let i = 1; i < steps.length; i++) assert.equal(steps[i][1] - steps[i - 1][1], 50);
    assert.ok(Math.abs(sim.board.coreVoltageMv() - 1300) < 4, 'the buck output followed');
    steps.length = 0;
    await run(sim, sim.control.setVoltage(1260));
    assert.deepEqual(
      steps.map((s) => s[0]),
      [1275, 1260].map(ds4432uCode),
      'the last step is the remainder',
    );
  } finally {
    await sim.close();
  }
});

test('TPS546 ramps move VOUT_COMMAND only; a cut during the ramp stops it and the output stays off', async () => {
  const sim = await startBoardSim('bitaxe-gamma');
  try {
    const writes: Array<{ command: number; data: number[] }> = [];
    sim.board.bus.onWrite = (w) => {
      if (w.address === 0x24) writes.push(w);
    };
    await run(sim, sim.control.setVoltage(1200));
    const vout = writes.filter((w) => w.command === PMBUS.VOUT_COMMAND).map((w) => w.data[0] | (w.data[1] << 8));
    assert.deepEqual(
      vout,
      [1.175, 1.2].map((v) => Math.trunc(v * 512)),
    );
    assert.equal(writes.filter((w) => w.command === PMBUS.OPERATION).length, 0, 'no OPERATION writes while adjusting');

    writes.length = 0;
    const ramp = sim.control.setVoltage(1000);
    ramp.catch(() => undefined);
    await sim.advance(60); // one or two steps in
    sim.board.thermal.overrideDieC = 90;
    await assert.rejects(
      run(sim, ramp),
      (e: unknown) => e instanceof BoardStateError && /ASIC power was cut during the voltage change/.test(e.message),
    );
    await sim.advance(1000);
    const afterCut = writes.slice(writes.findIndex((w) => w.command === PMBUS.OPERATION && w.data[0] === 0));
    assert.ok(afterCut.length > 0, 'the cut wrote OPERATION off');
    assert.equal(
      afterCut.filter((w) => w.command === PMBUS.VOUT_COMMAND || (w.command === PMBUS.OPERATION && w.data[0] !== 0))
        .length,
      0,
    );
    assert.equal(sim.board.tps546!.isOn(), false);
  } finally {
    await sim.close();
  }
});

test('fan: manual percent reaches the EMC2101 register at once; auto resumes the PID; a bad field applies nothing', async () => {
  const sim = await startBoardSim('bitaxe-ultra');
  try {
    await sim.advance(5 * 60_000);
    await run(sim, sim.control.setFanManual(40));
    assert.equal(sim.board.emc2101!.regs[EMC2101_REG.FAN_SETTING], 25, 'floor(63 × 40 %)');
    assert.equal(sim.control.telemetry().fanReason, 'manual');
    await sim.advance(10_000);
    assert.equal(sim.control.telemetry().fanPercent, 40, 'manual holds');
    await assert.rejects(
      sim.control.configureFan({ mode: 'auto', targetC: 55, minPercent: 150 }),
      /minimum fan speed 150% above/,
    );
    assert.equal(sim.control.getSettings().fanMode, 'manual', 'nothing applied');
    assert.equal(sim.control.getSettings().fanTargetC, 60);
    await run(sim, sim.control.configureFan({ mode: 'auto', targetC: 55, minPercent: 30 }));
    await sim.advance(10 * 60_000);
    const t = sim.control.telemetry();
    assert.equal(t.fanReason, 'auto');
    assert.ok(Math.abs(t.asicTempC! - 55) <= 2, `holds the new target: ${t.asicTempC}`);
    assert.ok(t.fanPercent >= 30);
  } finally {
    await sim.close();
  }
});

test('frequency while the chips are off is stored and applied at the next power-on', async () => {
  const sim = await startBoardSim('bitaxe-supra');
  try {
    await run(sim, sim.control.powerOff('test'));
    assert.equal(sim.control.telemetry().asicRunning, false);
    assert.equal(await run(sim, sim.control.setFrequency(525)), 525);
    assert.equal(sim.board.asicClock.calls.at(-1), 400, 'nothing sent to unpowered chips (400 was the ramp-down)');
    await run(sim, sim.control.powerOn());
    assert.equal(sim.board.asicClock.frequencyMhz, 525);
    assert.equal(sim.control.telemetry().frequencyActualMhz, 525);
  } finally {
    await sim.close();
  }
});

test('a chain that does not take the frequency is reported, not swallowed', async () => {
  const def = loadBoard('bitaxe-ultra');
  const sim = await startBoardSim(def, { asic: false });
  try {
    // With no ASIC driver attached the value is stored: nothing to ramp.
    assert.equal(await run(sim, sim.control.setFrequency(500)), 500);
    assert.equal(sim.control.telemetry().frequencyActualMhz, null);
  } finally {
    await sim.close();
  }
  const failing = await startBoardSim('bitaxe-ultra');
  try {
    failing.board.asicClock.setFrequency = async () => {
      throw new Error('no reply from chip 0');
    };
    await assert.rejects(
      run(failing, failing.control.setFrequency(550)),
      /the chips did not take 550 MHz: no reply from chip 0/,
    );
  } finally {
    await failing.close();
  }
});

test('telemetry: INA260 power, inferred core voltage, tach RPM and expected hash rate', async () => {
  const sim = await startBoardSim('bitaxe-ultra');
  try {
    await sim.advance(60_000);
    const t = sim.control.telemetry();
    assert.ok(t.powerW! > 8 && t.powerW! < 11, `board power ${t.powerW} W`);
    assert.ok(t.inputVoltageMv! > 4700 && t.inputVoltageMv! < 5000);
    assert.ok(Math.abs(t.currentMa! - (t.powerW! * 1e6) / t.inputVoltageMv!) < 15);
    assert.ok(Math.abs(t.voltageActualMv! - 1200) < 4);
    assert.equal(t.voltageMeasured, false, 'DS4432U boards infer Vcore from the DAC code');
    assert.ok(t.fanRpm[0] > 0);
    assert.equal(Math.round(t.expectedHashrateGhs * 10) / 10, 433.6);
    const g = await startBoardSim('bitaxe-gamma');
    await g.advance(60_000);
    const gt = g.control.telemetry();
    assert.equal(gt.voltageMeasured, true);
    assert.ok(Math.abs(gt.voltageActualMv! - 1150) < 2, String(gt.voltageActualMv));
    assert.ok(gt.vrTempC! > 30);
    assert.ok(
      Math.abs(gt.powerW! - (gt.currentMa! / 1000) * (gt.voltageActualMv! / 1000) - 5) < 0.05,
      'VOUT × IOUT + 5 W offset',
    );
    await g.close();
  } finally {
    await sim.close();
  }
});

test('commands between control periods do not add PID samples: 200 repeated fan PATCHes leave the output alone', async () => {
  const sim = await startBoardSim('bitaxe-gamma', { emulation: { seed: 8, sensorNoiseC: 0 } });
  try {
    await sim.advance(3 * 60_000);
    await sim.advance(30); // off the loop's beat
    const t = sim.control.telemetry();
    assert.equal(t.fanReason, 'auto');
    assert.ok(Math.abs(t.asicTempC! - 60) > 0.05, 'an error the integral would act on');
    for (let i = 0; i < 200; i++) await sim.control.configureFan({ targetC: 60 });
    assert.equal(sim.control.telemetry().fanPercent, t.fanPercent, 'same output until the next period');
    // Switching auto → manual → auto between periods holds the manual speed until the period hands over.
    await sim.control.setFanManual(80);
    await sim.control.setFanAuto();
    assert.equal(sim.control.telemetry().fanPercent, 80);
    assert.equal(sim.control.telemetry().fanReason, 'auto');
    await sim.advance(100);
    const after = sim.control.telemetry();
    // Seeded with 80 %, the first sample moves only by the proportional and derivative terms.
    const kp = sim.control.policy.pid.kp;
    assert.ok(
      Math.abs(after.fanPercent - 80) <= kp * Math.abs(after.asicTempC! - 60) + 1,
      `${after.fanPercent} % at ${after.asicTempC} °C`,
    );
  } finally {
    await sim.close();
  }
});

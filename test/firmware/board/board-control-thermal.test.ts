import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMC2302_REG } from '../../../drivers/i2c/emc2302.js';
import { PMBUS } from '../../../drivers/i2c/pmbus.js';
import { BoardStateError } from '../../../firmware/board/board-control.js';
import { type BoardSim, startBoardSim } from '../../support/board-sim.js';

const TARGET = 60;
const MIN = 60_000;

/**
 * Samples the controlled temperature (the hottest ASIC reading, as the PID sees it) once a second for
 * `ms`; returns the worst deviation from the target and the fan range seen.
 */
async function observe(sim: BoardSim, ms: number): Promise<{ worst: number; fanMin: number; fanMax: number }> {
  let worst = 0;
  let fanMin = 100;
  let fanMax = 0;
  for (let t = 0; t < ms; t += 1000) {
    await sim.advance(1000);
    const tel = sim.control.telemetry();
    assert.notEqual(tel.asicTempC, null);
    worst = Math.max(worst, Math.abs(tel.asicTempC! - TARGET));
    fanMin = Math.min(fanMin, tel.fanPercent);
    fanMax = Math.max(fanMax, tel.fanPercent);
  }
  return { worst, fanMin, fanMax };
}

/** Simulated seconds until the reading enters ±2 °C and stays there for the rest of `ms`. */
async function settleTime(sim: BoardSim, ms: number): Promise<number> {
  let lastOutside = 0;
  for (let t = 1000; t <= ms; t += 1000) {
    await sim.advance(1000);
    if (Math.abs(sim.control.telemetry().asicTempC! - TARGET) > 2) lastOutside = t;
  }
  return lastOutside / 1000;
}

for (const name of [
  'bitaxe-ultra',
  'bitaxe-gamma',
  'bitaxe-gamma-duo',
  'bitaxe-gamma-turbo',
  'bitaxe-hex',
  'bitaxe-max',
  'piaxe',
]) {
  test(`${name}: from a cold start the PID settles within ±2 °C of ${TARGET} °C and holds it`, async (t) => {
    const sim = await startBoardSim(name, { emulation: { seed: 7 } });
    try {
      assert.equal(sim.control.telemetry().asicRunning, true);
      assert.ok(sim.board.thermal.sinkC < 27, 'cold: the heatsink starts at ambient');
      const settled = await settleTime(sim, (name === 'piaxe' ? 10 : 12) * MIN);
      const hold = await observe(sim, (name === 'piaxe' ? 2 : 4) * MIN);
      t.diagnostic(
        `settled after ${settled} s; over the next minutes |T − target| ≤ ${hold.worst.toFixed(2)} °C, fan ${hold.fanMin.toFixed(1)}–${hold.fanMax.toFixed(1)} %`,
      );
      assert.ok(settled < (9 * MIN) / 1000, `settled only after ${settled} s`);
      assert.ok(hold.worst <= 2, `deviation ${hold.worst} °C`);
      assert.ok(hold.fanMin > 25 && hold.fanMax < 100, 'the fan is regulating, not pinned at a limit');
      assert.equal(sim.control.telemetry().fanReason, 'auto');
    } finally {
      await sim.close();
    }
  });
}

test('after a frequency step (485 → 575 MHz) the PID settles back within ±2 °C', async (t) => {
  const sim = await startBoardSim('bitaxe-ultra', { emulation: { seed: 3 } });
  try {
    await sim.advance(12 * MIN);
    const before = sim.control.telemetry();
    const powerBefore = sim.board.thermal.lastPowerW;
    assert.equal(await sim.control.setFrequency(575), 575);
    assert.equal(sim.board.asicClock.frequencyMhz, 575, 'the emulated chips run at the new clock');
    let peak = 0;
    for (let s = 0; s < 60; s++) {
      await sim.advance(1000);
      peak = Math.max(peak, sim.control.telemetry().asicTempC! - TARGET);
    }
    assert.ok(sim.board.thermal.lastPowerW > powerBefore * 1.15, 'more clock, more heat');
    const settled = await settleTime(sim, 8 * MIN);
    const hold = await observe(sim, 4 * MIN);
    t.diagnostic(
      `peak +${peak.toFixed(2)} °C, back within ±2 °C after ${60 + settled} s; fan ${before.fanPercent.toFixed(1)} % → ${hold.fanMin.toFixed(1)}–${hold.fanMax.toFixed(1)} %`,
    );
    assert.ok(hold.worst <= 2, `deviation ${hold.worst}`);
    assert.ok(hold.fanMin > before.fanPercent + 5, 'the fan works harder for the extra power');
  } finally {
    await sim.close();
  }
});

test('injected over-temperature cuts ASIC power within one control period, latched with a clear reason', async (t) => {
  const sim = await startBoardSim('bitaxe-ultra', { emulation: { seed: 11 } });
  try {
    await sim.advance(5 * MIN);
    const enable = sim.board.powerEnable!;
    assert.equal(enable.active, true);
    await sim.advance(37); // off the loop's beat, so the measurement includes the wait for the next period
    const t0 = sim.clock.now();
    sim.board.thermal.overrideDieC = 85;
    await sim.advance(20); // the physics refreshes the sensor registers on its next step
    await sim.advanceUntil(() => !enable.active, 2000);
    const cutAt = enable.history.at(-1)!.atMs;
    const resetAt = sim.board.reset.history.at(-1)!.atMs;
    t.diagnostic(
      `power enable released ${cutAt - t0} ms after the injection (period ${sim.control.policy.controlPeriodMs} ms)`,
    );
    assert.equal(enable.active, false);
    assert.ok(cutAt - t0 <= sim.control.policy.controlPeriodMs, `cut after ${cutAt - t0} ms`);
    assert.equal(sim.board.reset.active, true, 'reset held');
    assert.ok(resetAt <= cutAt, 'reset asserted first (the chips stop at once)');
    const tel = sim.control.telemetry();
    assert.equal(tel.power, 'off');
    assert.equal(tel.fanPercent, 100);
    assert.equal(tel.fanReason, 'overheat');
    assert.match(
      tel.overheat!.reason,
      /^overheat: ASIC 85(\.\d)? °C above bitaxe-ultra's limit 75 °C \(EMC2101 internal at 0x4c\); ASIC power cut and reset held until a manual restart$/,
    );
    assert.ok(
      sim.logs.some((l) => l.level === 'error' && l.message === tel.overheat!.reason),
      'the same reason is logged',
    );
    assert.ok(sim.events.some((e) => e.type === 'overheat') && sim.events.some((e) => e.type === 'power' && !e.on));
    assert.equal(sim.board.fanSettingRegister(), 63, 'fan at 100 % on the chip');

    // Still hot: restart is refused with the temperature and the threshold.
    await assert.rejects(
      sim.control.restart(),
      /cannot restart: ASIC still 85(\.\d)? °C; restart is allowed below 65 °C/,
    );
    // Cooled: the latch holds until a manual restart.
    sim.board.thermal.overrideDieC = null;
    await sim.advance(5 * MIN);
    assert.ok(sim.control.telemetry().asicTempC! < 40);
    assert.equal(sim.control.telemetry().power, 'off', 'no automatic restart');
    await assert.rejects(
      sim.control.powerOn(),
      (e: unknown) => e instanceof BoardStateError && /restart the board to clear it/.test(e.message),
    );
    const restarted = sim.control.restart();
    await sim.advance(2000);
    await restarted;
    const after = sim.control.telemetry();
    assert.equal(after.overheat, null);
    assert.equal(after.asicRunning, true);
    assert.equal(sim.board.asicClock.frequencyMhz, 485, 'the frequency is applied again after the restart');
  } finally {
    await sim.close();
  }
});

test('Gamma (no power-enable line): overheat turns the TPS546 off within one period; VR overheat too', async () => {
  for (const inject of ['asic', 'vr'] as const) {
    const sim = await startBoardSim('bitaxe-gamma', { emulation: { seed: 5, sensorNoiseC: 0 } });
    try {
      await sim.advance(2 * MIN);
      const tps = sim.board.tps546!;
      assert.equal(tps.isOn(), true);
      let offWrites = 0;
      sim.board.bus.onWrite = (w) => {
        if (w.address === 0x24 && w.command === PMBUS.OPERATION && w.data[0] === 0x00) offWrites++;
      };
      if (inject === 'asic') sim.board.thermal.overrideDieC = 80;
      else sim.board.thermal.overrideVrC = 110;
      await sim.advance(100 + sim.control.policy.controlPeriodMs);
      assert.equal(offWrites, 1, 'OPERATION ← OFF written once');
      assert.equal(tps.isOn(), false);
      assert.equal(sim.board.reset.active, true);
      const reason = sim.control.telemetry().overheat!.reason;
      assert.match(
        reason,
        inject === 'asic'
          ? /ASIC 80 °C above bitaxe-gamma's limit 75 °C/
          : /voltage regulator 110 °C above bitaxe-gamma's limit 105 °C \(TPS546 at 0x24\)/,
      );
    } finally {
      await sim.close();
    }
  }
});

test('a blocked fan heats the chip physically until the cut, which lands within 2 °C of the limit', async (t) => {
  const sim = await startBoardSim('bitaxe-gamma', { emulation: { seed: 9 } });
  try {
    await sim.advance(8 * MIN);
    sim.board.thermal.fanBlocked = true;
    let maxDie = 0;
    const waited = await sim.advanceUntil(() => {
      maxDie = Math.max(maxDie, sim.board.thermal.dieC());
      return sim.control.telemetry().overheat !== null;
    }, 20 * MIN);
    t.diagnostic(`overheat after ${waited / 1000} s with the fan blocked; hottest die ${maxDie.toFixed(2)} °C`);
    assert.notEqual(sim.control.telemetry().overheat, null);
    assert.ok(maxDie < 77, `die reached ${maxDie}`);
    assert.ok(
      sim.logs.some((l) => /fan reads 0 RPM at \d+(\.\d)? %: stalled, blocked or unplugged/.test(l.message)),
      'the stall is reported before the cut',
    );
  } finally {
    await sim.close();
  }
});

test('a NACKing sensor (Hex TMP1075) drives the fan to 100 % within one period, then cuts power after 10 s', async () => {
  const sim = await startBoardSim('bitaxe-hex', { emulation: { seed: 2 } });
  try {
    await sim.advance(6 * MIN);
    const fanReg = (): number => sim.board.emc2302!.regs[EMC2302_REG.FAN1_SETTING];
    assert.ok(fanReg() < 200, 'regulating below full speed');
    const t0 = sim.clock.now();
    sim.board.bus.setNack(0x4a, true);
    await sim.advance(sim.control.policy.controlPeriodMs);
    assert.equal(fanReg(), 255, 'both fans at 100 % by the next period');
    assert.equal(sim.board.emc2302!.regs[EMC2302_REG.FAN2_SETTING], 255);
    const tel = sim.control.telemetry();
    assert.equal(tel.fanReason, 'sensor-fault');
    assert.match(
      tel.sensorFault!.reason,
      /^TMP1075 at 0x4a: I2C read of 0x4a register 0x00 failed: EREMOTEIO \(no ACK/,
    );
    assert.equal(tel.asicRunning, true, 'one bad read does not stop mining');
    await sim.advanceUntil(() => !sim.board.tps546!.isOn(), 15_000);
    const cut = sim.clock.now() - t0;
    assert.ok(cut >= 10_000 && cut <= 10_300, `cut after ${cut} ms`);
    assert.match(
      sim.control.telemetry().hardwareFault!.reason,
      /^temperature unknown for 10 s \(TMP1075 at 0x4a: .*\): ASIC power cut$/,
    );
    // The sensor comes back: the fault clears, the cut stays latched until a restart.
    sim.board.bus.setNack(0x4a, false);
    await sim.advance(1000);
    assert.equal(sim.control.telemetry().sensorFault, null);
    assert.equal(sim.control.telemetry().power, 'off');
    assert.equal(fanReg(), 255, 'latched fault keeps the fan at 100 %');
    const restarted = sim.control.restart();
    await sim.advance(2000);
    await restarted;
    assert.equal(sim.control.telemetry().asicRunning, true);
  } finally {
    await sim.close();
  }
});

test('a NACKing EMC2101 (sensor and fan in one part) cuts power at once: the fan cannot be driven', async () => {
  const sim = await startBoardSim('bitaxe-ultra');
  try {
    await sim.advance(MIN);
    sim.board.bus.setNack(0x4c, true);
    await sim.advance(sim.control.policy.controlPeriodMs);
    const tel = sim.control.telemetry();
    assert.equal(tel.power, 'off');
    assert.equal(sim.board.powerEnable!.active, false);
    assert.match(
      tel.hardwareFault!.reason,
      /^fan control failed \(EMC2101 at 0x4c: I2C write of 0x4c register 0x4c failed: EREMOTEIO/,
    );
    assert.notEqual(tel.sensorFault, null);
  } finally {
    sim.board.bus.setNack(0x4c, false);
    await sim.close();
  }
});

test('a stuck sensor is caught once the fan moves and the reading does not: fan 100 % until it reads again', async (t) => {
  const sim = await startBoardSim('bitaxe-gamma', {
    settings: { fanMode: 'manual', fanPercent: 40 },
    emulation: { seed: 4 },
  });
  try {
    await sim.advance(10 * MIN);
    sim.board.stickSensors(true);
    // Nothing changes for 3 minutes: a frozen reading alone is not a fault (steady states exist).
    await sim.advance(3 * MIN);
    assert.equal(sim.control.telemetry().sensorFault, null);
    await sim.control.setFanManual(60);
    const t0 = sim.clock.now();
    await sim.advanceUntil(() => sim.control.telemetry().sensorFault !== null, 3 * MIN);
    const detected = (sim.clock.now() - t0) / 1000;
    const tel = sim.control.telemetry();
    t.diagnostic(`stuck detected ${detected} s after the fan change: ${tel.sensorFault?.reason}`);
    assert.ok(detected >= 60 && detected <= 61, String(detected));
    assert.match(
      tel.sensorFault!.reason,
      /EMC2101 external at 0x4c: reading stuck at \d+(\.\d+)? °C for 60 s after the fan went 40 % → 60 %/,
    );
    assert.equal(tel.sensorFault!.kind, 'stuck');
    assert.equal(tel.fanPercent, 100);
    assert.equal(sim.board.fanSettingRegister(), 63);
    assert.ok(
      sim.logs.some((l) => l.level === 'error' && /temperature sensor fault, fan to 100 %: .*stuck/.test(l.message)),
    );
    await sim.advance(30_000);
    assert.equal(sim.board.tps546!.isOn(), true, 'a suspect reading forces the fan, it does not cut power');
    sim.board.stickSensors(false);
    await sim.advance(2000);
    assert.equal(sim.control.telemetry().sensorFault, null);
    assert.equal(sim.control.telemetry().fanPercent, 60, 'back to the manual setting');
  } finally {
    await sim.close();
  }
});

test('an open ASIC diode is a sensor fault (fan 100 %), not a temperature', async () => {
  const sim = await startBoardSim('bitaxe-gamma');
  try {
    await sim.advance(MIN);
    sim.board.emc2101!.diodeFault = 'open';
    await sim.advance(200);
    const tel = sim.control.telemetry();
    assert.equal(tel.fanPercent, 100);
    assert.equal(tel.asicTempC, null);
    assert.match(tel.sensorFault!.reason, /EMC2101 at 0x4c: external diode open circuit/);
    sim.board.emc2101!.diodeFault = null;
    await sim.advance(1000);
    assert.equal(sim.control.telemetry().sensorFault, null, 'clears when the diode reads again');
    assert.equal(sim.control.telemetry().fanReason, 'auto');
  } finally {
    await sim.close();
  }
});

test('start refuses to power the chips when a temperature cannot be read', async () => {
  const sim = await startBoardSim('bitaxe-hex', { start: false });
  sim.board.bus.setNack(0x4b, true);
  const started = sim.control.start();
  started.catch(() => undefined);
  await sim.advance(2000);
  await assert.rejects(started, /not powering the chips: TMP1075 at 0x4b: I2C read/);
  assert.equal(sim.board.tps546!.isOn(), false);
  assert.equal(sim.board.fanPercentOutput(), 100, 'fan at 100 % while blind');
  sim.board.close();
});

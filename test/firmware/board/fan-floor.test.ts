/**
 * The manual fan floor (`limits.manualFanPercent.min` in each board file): fixed speeds under it are refused
 * at every entry, the floor itself holds the board under its limit at full power in the emulator's physics,
 * and a restart after an overheat brings the fan back in auto rather than at the speed that let it happen.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ThermalModel, thermalParamsFor } from '../../../drivers/emulator/thermal-model.js';
import { BoardLimitError } from '../../../firmware/board/limits.js';
import { listBoards, loadBoard } from '../../../src/config/board-loader.js';
import { startBoardSim } from '../../support/board-sim.js';

const MIN = 60_000;

/** Steady die temperature (°C) at a fixed fan speed and the board's highest voltage and frequency, 25 °C air. */
function steadyDieAtFullPower(boardName: string, fanPercent: number): number {
  const b = loadBoard(boardName);
  const model = new ThermalModel(thermalParamsFor(b.asic.model, b.asic.count, { ambientC: 25 }));
  const inputs = {
    powered: true,
    clocked: true,
    frequencyMhz: b.limits.frequencyMhz.max,
    coreVoltageMv: b.limits.voltageMv.max,
    fanPercent,
  };
  for (let s = 0; s < 4 * 3600; s++) model.step(1, inputs);
  return model.dieC();
}

test('every shipped board has a floor that holds it ≥ 5 °C under its limit at full power; a stopped fan overheats it', () => {
  const boards = listBoards();
  assert.ok(boards.length >= 8);
  for (const name of boards) {
    const b = loadBoard(name);
    const floor = b.limits.manualFanPercent.min;
    assert.ok(floor >= 20 && floor <= 60, `${name}: floor ${floor} %`);
    const atFloor = steadyDieAtFullPower(name, floor);
    assert.ok(atFloor <= b.limits.asicTempC.max - 5, `${name}: ${atFloor.toFixed(1)} °C at ${floor} %`);
    assert.ok(steadyDieAtFullPower(name, 0) > b.limits.asicTempC.max, `${name}: the fan matters`);
  }
});

test('manual fan under the floor is refused with the reason, from the config and from a command; the floor is accepted', async () => {
  await assert.rejects(
    startBoardSim('bitaxe-ultra', { settings: { fanMode: 'manual', fanPercent: 0 } }),
    (e: unknown) =>
      e instanceof BoardLimitError &&
      /^manual fan speed 0% below bitaxe-ultra's minimum 40%: slower, the chips can overheat at full power/.test(
        e.message,
      ),
  );
  const sim = await startBoardSim('bitaxe-ultra');
  try {
    await assert.rejects(sim.control.setFanManual(39), /manual fan speed 39% below bitaxe-ultra's minimum 40%/);
    await assert.rejects(sim.control.configureFan({ percent: 10 }), BoardLimitError);
    assert.equal(sim.control.getSettings().fanMode, 'auto', 'nothing applied');
    await sim.control.setFanManual(40);
    assert.deepEqual([sim.control.getSettings().fanMode, sim.control.telemetry().fanPercent], ['manual', 40]);
  } finally {
    await sim.close();
  }
});

test('at its floor at 1300 mV and 575 MHz the Ultra runs 15 min without an overheat', async () => {
  const sim = await startBoardSim('bitaxe-ultra', {
    settings: { fanMode: 'manual', fanPercent: 40, voltageMv: 1300, frequencyMhz: 575 },
  });
  try {
    await sim.advance(15 * MIN);
    const t = sim.control.telemetry();
    assert.equal(t.overheat, null);
    assert.equal(t.asicRunning, true);
    assert.ok(t.asicTempC! < 75, `${t.asicTempC} °C`);
  } finally {
    await sim.close();
  }
});

test('after an overheat, a restart brings a manual fan back in auto (and says so)', async () => {
  const sim = await startBoardSim('bitaxe-ultra', { settings: { fanMode: 'manual', fanPercent: 45 } });
  try {
    await sim.advance(MIN);
    sim.board.thermal.overrideDieC = 90;
    await sim.advanceUntil(() => sim.control.telemetry().overheat !== null, 2000);
    assert.equal(sim.control.telemetry().fanReason, 'overheat');
    sim.board.thermal.overrideDieC = null;
    await sim.advance(5 * MIN);
    const restarted = sim.control.restart();
    await sim.advance(2000);
    await restarted;
    const t = sim.control.telemetry();
    assert.equal(t.asicRunning, true);
    assert.equal(t.settings.fanMode, 'auto');
    assert.equal(t.fanReason, 'auto');
    assert.ok(
      sim.logs.some((l) =>
        /fan back to auto \(target 60 °C\) after the overheat; it was fixed at 45 %/.test(l.message),
      ),
    );

    // A restart with no overheat behind it leaves a manual fan alone.
    await sim.control.setFanManual(50);
    const again = sim.control.restart();
    await sim.advance(2000);
    await again;
    assert.equal(sim.control.getSettings().fanMode, 'manual');
  } finally {
    await sim.close();
  }
});

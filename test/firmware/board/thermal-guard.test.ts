/**
 * The thermal guard alone: scripted sensors and a clock the test moves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BoardEvent } from '../../../firmware/board/board-types.js';
import { DEFAULT_POLICY } from '../../../firmware/board/board-types.js';
import type { TempRole } from '../../../firmware/board/peripherals.js';
import { ThermalGuard } from '../../../firmware/board/thermal-guard.js';
import { loadBoard } from '../../../src/config/board-loader.js';
import { collectingLog } from '../../support/log.js';

function sensor(label: string): TempRole & { value: number | Error } {
  const s = {
    label,
    value: 50 as number | Error,
    async read() {
      if (s.value instanceof Error) throw s.value;
      return s.value;
    },
  };
  return s;
}

function guardFor(boardName = 'bitaxe-gamma') {
  const board = loadBoard(boardName);
  const asic = sensor('asic');
  const vr = sensor('vr');
  let now = 0;
  const events: BoardEvent[] = [];
  const { log, logs } = collectingLog();
  const guard = new ThermalGuard({
    board,
    asicSensors: [asic],
    vrSensor: vr,
    now: () => now,
    log,
    policy: DEFAULT_POLICY,
    emit: (e) => events.push(e),
  });
  const ctx = { fanPercent: 50, load: 100, running: true };
  return {
    board,
    asic,
    vr,
    guard,
    events,
    logs,
    ctx,
    at: (ms: number) => {
      now = ms;
    },
  };
}

test('over the limit: an overheat verdict, latched with the reason until cleared; restart waits for the hysteresis', async () => {
  const g = guardFor();
  await g.guard.read(g.ctx);
  assert.equal(g.guard.verdict(0), null);
  g.asic.value = 76;
  await g.guard.read(g.ctx);
  const v = g.guard.verdict(0);
  assert.deepEqual(v, { kind: 'overheat', sensor: 'asic', tempC: 76, limitC: 75, what: 'ASIC' });
  if (v?.kind !== 'overheat') return;
  const reason = g.guard.latchOverheat(v);
  assert.match(reason, /overheat: ASIC 76 °C above bitaxe-gamma's limit 75 °C \(asic\)/);
  assert.deepEqual(g.events, [{ type: 'overheat', reason }]);
  assert.match(g.guard.latchBlocker() ?? '', /restart the board to clear it/);
  g.asic.value = 66;
  await g.guard.read(g.ctx);
  assert.match(g.guard.restartBlocker() ?? '', /ASIC still 66 °C; restart is allowed below 65 °C/);
  g.asic.value = 64;
  await g.guard.read(g.ctx);
  assert.equal(g.guard.restartBlocker(), null);
  assert.equal(g.guard.clearLatches().overheat?.reason, reason);
  assert.equal(g.guard.latchBlocker(), null);
  g.vr.value = 106;
  await g.guard.read(g.ctx);
  assert.equal(g.guard.verdict(0)?.kind, 'overheat');
  assert.match(g.guard.heatBlocker() ?? '', /regulator already 106 °C/);
});

test('a sensor that fails is a fault at once and a cut after sensorFailCutMs; readable again clears it', async () => {
  const g = guardFor();
  g.asic.value = new Error('NACK at 0x4c');
  g.at(1000);
  await g.guard.read(g.ctx);
  assert.equal(g.guard.sensorFault?.kind, 'failed');
  assert.match(g.guard.sensorFault?.reason ?? '', /asic: NACK at 0x4c/);
  assert.match(g.guard.latchBlocker() ?? '', /not powering the chips blind/);
  assert.equal(g.guard.verdict(1000 + DEFAULT_POLICY.sensorFailCutMs - 1), null);
  assert.equal(g.guard.verdict(1000 + DEFAULT_POLICY.sensorFailCutMs)?.kind, 'sensor-dead');
  g.asic.value = 200;
  await g.guard.read(g.ctx);
  assert.match(g.guard.sensorFault?.reason ?? '', /implausible reading 200 °C/);
  g.asic.value = 55;
  await g.guard.read(g.ctx);
  assert.equal(g.guard.sensorFault?.reason, undefined, 'readable again');
  assert.deepEqual(
    g.events.map((e) => e.type),
    ['sensor-fault', 'sensor-fault'],
  );
});

test('a reading frozen after the fan moved is "stuck" after stuckAfterMs', async () => {
  const g = guardFor();
  g.asic.value = 58;
  g.at(0);
  await g.guard.read({ ...g.ctx, fanPercent: 40 });
  g.at(1000);
  await g.guard.read({ ...g.ctx, fanPercent: 90 });
  g.at(1000 + DEFAULT_POLICY.stuckAfterMs - 1);
  await g.guard.read({ ...g.ctx, fanPercent: 90 });
  assert.equal(g.guard.sensorFault?.kind, undefined, 'not yet');
  g.at(1000 + DEFAULT_POLICY.stuckAfterMs);
  await g.guard.read({ ...g.ctx, fanPercent: 90 });
  assert.equal(g.guard.sensorFault?.kind, 'stuck');
  assert.match(g.guard.sensorFault?.reason ?? '', /reading stuck at 58 °C for 60 s after the fan went 40 % → 90 %/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ThermalInputs, ThermalModel, thermalParamsFor } from '../../../drivers/emulator/thermal-model.js';

const running = (over: Partial<ThermalInputs> = {}): ThermalInputs => ({
  powered: true,
  clocked: true,
  frequencyMhz: 485,
  coreVoltageMv: 1200,
  fanPercent: 50,
  ...over,
});

/** Steady-state die temperature after a long run at fixed inputs. */
function settle(inputs: ThermalInputs, seconds = 3000): ThermalModel {
  const m = new ThermalModel(thermalParamsFor('BM1366', 1));
  for (let i = 0; i < seconds * 10; i++) m.step(0.1, inputs);
  return m;
}

test('chip power follows f × V²: nominal at the default point, static share when in reset, 0 when off', () => {
  const m = new ThermalModel(thermalParamsFor('BM1366', 1));
  assert.equal(m.chipPowerW(running()), 7);
  const p2 = m.chipPowerW(running({ coreVoltageMv: 1300 }));
  assert.ok(Math.abs(p2 - 7 * (1300 / 1200) ** 2) < 1e-9);
  assert.ok(Math.abs(m.chipPowerW(running({ frequencyMhz: 970 })) - 7 * 1.9) < 1e-9, '10 % static + 90 % × 2');
  assert.ok(Math.abs(m.chipPowerW(running({ clocked: false })) - 0.7) < 1e-9);
  assert.equal(m.chipPowerW(running({ powered: false })), 0);
  const hex = new ThermalModel(thermalParamsFor('BM1366', 6));
  assert.equal(hex.chipPowerW(running()), 42);
});

test('temperature rises with power and falls with fan speed (steady states)', () => {
  const base = settle(running()).dieC();
  assert.ok(base > 50 && base < 60, `nominal at 50 % fan: ${base}`);
  const faster = settle(running({ fanPercent: 100 })).dieC();
  assert.ok(Math.abs(faster - 45) < 0.5, `100 % fan ≈ ambient + 20 °C: ${faster}`);
  assert.ok(settle(running({ frequencyMhz: 575 })).dieC() > base + 2);
  assert.ok(settle(running({ coreVoltageMv: 1100 })).dieC() < base - 2);
  const stalled = settle(running({ fanPercent: 5 }), 6000).dieC();
  assert.ok(stalled > 90, `below the stall point the fan stops: ${stalled}`);
});

test('the fan spins up with a lag, a blocked fan stops, and an unpowered board cools to ambient', () => {
  const m = new ThermalModel(thermalParamsFor('BM1370', 1));
  m.step(0.5, running({ fanPercent: 100 }));
  assert.ok(m.fanRpm > 2000 && m.fanRpm < 3000, `after 0.5 s: ${m.fanRpm}`);
  for (let i = 0; i < 100; i++) m.step(0.1, running({ fanPercent: 100 }));
  assert.ok(m.fanRpm > 5900);
  m.fanBlocked = true;
  for (let i = 0; i < 100; i++) m.step(0.1, running({ fanPercent: 100 }));
  assert.equal(m.fanRpm, 0);
  m.fanBlocked = false;
  const hot = settle(running()).sinkC;
  const cooled = new ThermalModel(thermalParamsFor('BM1366', 1));
  cooled.sinkC = hot;
  for (let i = 0; i < 20000; i++) cooled.step(0.1, running({ powered: false, fanPercent: 100 }));
  assert.ok(Math.abs(cooled.dieC() - 25) < 0.1);
});

test('regulator temperature tracks its conversion loss; overrides pin the die and VR readings', () => {
  const m = settle(running());
  const vr = m.vrTempC();
  assert.ok(vr > m.params.ambientC + 10 && vr < 105, String(vr));
  m.overrideDieC = 95;
  m.overrideVrC = 130;
  assert.equal(m.dieC(), 95);
  assert.equal(m.vrTempC(), 130);
});

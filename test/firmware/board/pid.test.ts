import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PidController } from '../../../firmware/board/pid.js';

const esp = (): PidController =>
  new PidController({ kp: 5, ki: 0.1, kd: 2, sampleTimeMs: 100, outMin: 25, outMax: 100, reverse: true });

test('reverse action: hotter than the setpoint raises the output, colder lowers it to the minimum', () => {
  const pid = esp();
  pid.setAutomatic(true, 50, 60);
  assert.ok(pid.compute(62, 60) > 50);
  const cold = esp();
  cold.setAutomatic(true, 50, 40);
  assert.equal(cold.compute(40, 60), 25);
});

test("one step restated from ESP-Miner's PID: P on error, I × Ts, D on measurement / Ts", () => {
  const pid = esp();
  pid.setAutomatic(true, 40, 60);
  // error = 60 − 61 = −1; reverse gains: kp −5, ki −0.1 × 0.1, kd −2 / 0.1.
  // outputSum = 40 + 0.01 = 40.01; output = 5 + 40.01 + 20 × (61 − 60) = 65.01
  assert.ok(Math.abs(pid.compute(61, 60) - 65.01) < 1e-9);
  // next: error −1, dInput 0 → outputSum 40.02, output 45.02
  assert.ok(Math.abs(pid.compute(61, 60) - 45.02) < 1e-9);
});

test('saturation is clamped and the integral does not wind up beyond the limits', () => {
  const pid = esp();
  pid.setAutomatic(true, 100, 90);
  for (let i = 0; i < 1000; i++) assert.equal(pid.compute(90, 60), 100);
  // Back at the setpoint the output leaves 100 at once: no wound-up integral holds it there.
  assert.ok(pid.compute(60, 60) < 100);
});

test('switching to automatic is bumpless and output limits apply immediately', () => {
  const pid = esp();
  pid.setAutomatic(true, 70, 60);
  assert.ok(Math.abs(pid.compute(60, 60) - 70) < 1e-9, 'at the setpoint with no change the output holds');
  pid.setOutputLimits(80, 100);
  assert.equal(pid.compute(60, 60), 80);
  pid.setOutputLimits(90, 50);
  assert.equal(pid.compute(60, 60), 80, 'an inverted range is ignored');
});

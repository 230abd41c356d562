import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ds4432uModel } from '../../../drivers/emulator/i2c-ds4432u-model.js';
import { EmulatedI2cBus } from '../../../drivers/emulator/i2c-emulated-bus.js';
import { DS4432U_RANGE_MV, Ds4432u, ds4432uCode, ds4432uVoltageMv } from '../../../drivers/i2c/ds4432u.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface Vectors {
  ds4432u: {
    rows: Array<{ coreVoltageMv: number; out0Code: string; i2cWrite: string }>;
    publishedCheck: { coreVoltageMv: number; out0Code: string };
  };
}

test("every core voltage maps to ESP-Miner's DS4432U code (and the published 1.25 V log line)", {
  skip: vectorsMissing,
}, () => {
  const v = readVectorJson<Vectors>('bm13xx/bitaxe-peripherals.json').ds4432u;
  assert.equal(v.rows.length, 12);
  for (const r of v.rows)
    assert.equal(ds4432uCode(r.coreVoltageMv).toString(16).padStart(2, '0'), r.out0Code, `${r.coreVoltageMv} mV`);
  assert.equal(ds4432uCode(v.publishedCheck.coreVoltageMv).toString(16), v.publishedCheck.out0Code);
});

test("the driver writes register 0xF8 of 0x48, as the vectors' I2C transactions say", {
  skip: vectorsMissing,
}, async () => {
  const v = readVectorJson<Vectors>('bm13xx/bitaxe-peripherals.json').ds4432u;
  const bus = new EmulatedI2cBus();
  bus.attach(0x48, new Ds4432uModel());
  const dac = new Ds4432u(bus, 0x48);
  for (const r of v.rows) {
    await dac.setVoltageMv(r.coreVoltageMv);
    const w = bus.writes[bus.writes.length - 1];
    assert.equal(
      `addr 0x${w.address.toString(16)}: ${w.command.toString(16).toUpperCase()} ${w.data[0].toString(16).padStart(2, '0')}`,
      r.i2cWrite,
    );
  }
});

test('the inverse (what the buck outputs for a code) lands within one code step of the request', () => {
  for (let mv = 1000; mv <= 1500; mv += 10) {
    const back = ds4432uVoltageMv(ds4432uCode(mv));
    // One magnitude step moves Vout by RA × IFS / 127 ≈ 3.7 mV; ceil() rounds toward the nominal voltage.
    assert.ok(Math.abs(back - mv) < 4, `${mv} → ${back}`);
  }
  assert.ok(Math.abs(ds4432uVoltageMv(0) - 1458.4) < 0.1, "code 0 gives the buck's own ~1.458 V");
});

test('voltages the DAC cannot reach are refused before anything is written', async () => {
  assert.throws(() => ds4432uCode(DS4432U_RANGE_MV.max + 1), RangeError);
  assert.throws(() => ds4432uCode(900), /outside the DS4432U's reach 989\.\.1928 mV/);
  const bus = new EmulatedI2cBus();
  const model = new Ds4432uModel();
  bus.attach(0x48, model);
  await assert.rejects(new Ds4432u(bus).setVoltageMv(2500), /DS4432U at 0x48: 2500 mV is outside/);
  assert.equal(bus.writes.length, 0);
  assert.ok(Math.abs(model.outputMv() - 1458.4) < 0.1, 'output untouched');
});

test("the model's output follows OUT0 and it NACKs registers the part does not have", async () => {
  const bus = new EmulatedI2cBus();
  const model = new Ds4432uModel();
  bus.attach(0x48, model);
  const dac = new Ds4432u(bus);
  await dac.init();
  await dac.setVoltageMv(1200);
  assert.ok(Math.abs(model.outputMv() - 1200) < 4);
  assert.ok(Math.abs((await dac.readSetVoltageMv()) - 1200) < 4);
  await assert.rejects(bus.readByte(0x48, 0x10), /no ACK/);
});

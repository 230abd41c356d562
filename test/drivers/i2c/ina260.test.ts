import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmulatedI2cBus } from '../../../drivers/emulator/i2c-emulated-bus.js';
import { Ina260Model } from '../../../drivers/emulator/i2c-ina260-model.js';
import { Ina260, ina260BusVoltageMv, ina260CurrentMa, ina260PowerMw } from '../../../drivers/i2c/ina260.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface Vectors {
  ina260: { rows: Array<{ reg: string; bytes: string; value: number; unit: string }> };
}

test("register conversions match ESP-Miner's INA260 scale factors", { skip: vectorsMissing }, () => {
  const v = readVectorJson<Vectors>('bm13xx/bitaxe-peripherals.json').ina260;
  const decode: Record<string, (w: number) => number> = {
    '01': ina260CurrentMa,
    '02': ina260BusVoltageMv,
    '03': ina260PowerMw,
  };
  for (const r of v.rows) {
    const [hi, lo] = r.bytes.split(' ').map((b) => Number.parseInt(b, 16));
    assert.equal(decode[r.reg]((hi << 8) | lo), r.value, `reg ${r.reg}`);
  }
});

test("current is two's complement (a reverse current is negative, not 80 A)", () => {
  assert.equal(ina260CurrentMa(0xfff0), -20);
});

test('the driver reads big-endian registers from the model; power follows |I| × V', async () => {
  const bus = new EmulatedI2cBus();
  const model = new Ina260Model();
  bus.attach(0x40, model);
  const ina = new Ina260(bus, 0x40);
  await ina.init();
  model.setMeasurement(4815, 1925);
  const r = await ina.read();
  assert.equal(r.busVoltageMv, 4815);
  assert.equal(r.currentMa, 1925);
  assert.ok(Math.abs(r.powerW - 9.27) < 0.011, String(r.powerW));
  assert.equal(await ina.readRegister(0xfe), 0x5449);
  await assert.rejects(ina.readRegister(0x09), /no ACK/);
});

test('init refuses a part that is not an INA260', async () => {
  const bus = new EmulatedI2cBus();
  bus.attach(0x40, { part: 'other', write() {}, read: (_c, n) => new Uint8Array(n) });
  await assert.rejects(new Ina260(bus, 0x40).init(), /INA260 at 0x40: not an INA260/);
});

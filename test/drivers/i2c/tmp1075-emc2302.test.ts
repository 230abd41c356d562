import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Emc2302Model } from '../../../drivers/emulator/i2c-emc2302-model.js';
import { EmulatedI2cBus } from '../../../drivers/emulator/i2c-emulated-bus.js';
import { Tmp1075Model } from '../../../drivers/emulator/i2c-tmp1075-model.js';
import { EMC2302_REG, Emc2302, emc2302FanSetting, emc2302Rpm } from '../../../drivers/i2c/emc2302.js';
import { decodeTmp1075, Tmp1075 } from '../../../drivers/i2c/tmp1075.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface Vectors {
  tmp1075: { rows: Array<{ bytes: string; celsius: number }> };
  emc2302: { rows: Array<{ b0: string; b1: string; count: number; rpm: number }> };
}
const h = (s: string): number => Number.parseInt(s, 16);

test("TMP1075 and EMC2302 conversions match ESP-Miner's values", { skip: vectorsMissing }, () => {
  const v = readVectorJson<Vectors>('bm13xx/bitaxe-peripherals.json');
  for (const r of v.tmp1075.rows) {
    const [a, b] = r.bytes.split(' ').map(h);
    assert.equal(decodeTmp1075(a, b), r.celsius);
  }
  for (const r of v.emc2302.rows) assert.equal(emc2302Rpm(h(r.b0), h(r.b1)), r.rpm);
  assert.equal(emc2302Rpm(0xff, 0xf8), 0, 'no pulses');
  assert.equal(emc2302FanSetting(100), 255);
  assert.equal(emc2302FanSetting(50), 127);
});

test("TMP1075 / LM75 driver reads the model's 12-bit temperature", async () => {
  const bus = new EmulatedI2cBus();
  const model = new Tmp1075Model('LM75');
  bus.attach(0x48, model);
  model.setTemperature(61.3);
  assert.equal(await new Tmp1075(bus, 0x48, 'LM75').readTempC(), 61.3125);
  model.setTemperature(-12.5);
  assert.equal(await new Tmp1075(bus, 0x48).readTempC(), -12.5);
});

test('EMC2302 init selects the 500 RPM tach range; both fans get the setting; RPM comes back', async () => {
  const bus = new EmulatedI2cBus();
  const model = new Emc2302Model();
  bus.attach(0x2f, model);
  const fans = new Emc2302(bus, 0x2f, 2);
  model.setFanRpm(0, 3000);
  assert.equal(
    (await fans.readFanRpm())[0],
    1500,
    'at the power-on range (multiplier 2) a ×1 reading is half: wrong until init',
  );
  await fans.init();
  assert.equal(model.regs[EMC2302_REG.FAN1_CONFIG1] & 0x60, 0);
  assert.equal(model.regs[EMC2302_REG.FAN2_CONFIG1] & 0x60, 0);
  await fans.setFanPercent(60);
  assert.equal(model.regs[EMC2302_REG.FAN1_SETTING], 153);
  assert.equal(model.regs[EMC2302_REG.FAN2_SETTING], 153);
  model.setFanRpm(1, 2900);
  const [r1, r2] = await fans.readFanRpm();
  assert.ok(Math.abs(r1 - 3000) <= 3 && Math.abs(r2 - 2900) <= 3, `${r1} ${r2}`);
});

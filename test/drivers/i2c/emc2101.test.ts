import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Emc2101Model } from '../../../drivers/emulator/i2c-emc2101-model.js';
import { EmulatedI2cBus } from '../../../drivers/emulator/i2c-emulated-bus.js';
import { DeviceFaultError } from '../../../drivers/i2c/device-error.js';
import {
  decodeEmc2101External,
  decodeEmc2101Internal,
  EMC2101_REG,
  Emc2101,
  emc2101FanSetting,
  emc2101Rpm,
} from '../../../drivers/i2c/emc2101.js';
import { I2cError } from '../../../drivers/i2c/i2c-bus.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface Vectors {
  emc2101: {
    fanSetting: Array<{ percent: number; register4C: string }>;
    tach: Array<{ tachMSB_47: string; tachLSB_46: string; rpm: number }>;
    externalTemp: Array<{ msb_01: string; lsb_10: string; celsius: number }>;
  };
}
const h = (s: string): number => Number.parseInt(s, 16);

test("fan setting, tach and diode conversions match ESP-Miner's EMC2101 values", { skip: vectorsMissing }, () => {
  const v = readVectorJson<Vectors>('bm13xx/bitaxe-peripherals.json').emc2101;
  for (const r of v.fanSetting) assert.equal(emc2101FanSetting(r.percent), h(r.register4C), `${r.percent} %`);
  for (const r of v.tach) assert.equal(emc2101Rpm(h(r.tachMSB_47), h(r.tachLSB_46)), r.rpm);
  for (const r of v.externalTemp) {
    const raw = ((h(r.msb_01) << 8) | h(r.lsb_10)) >> 5;
    // 0x3F8 (127.000 °C) is the chip's open-diode code: ESP-Miner converts it (the vector's 127.0) and logs
    // TEMP_FAULT_OPEN_CIRCUIT; this driver reports the fault instead of a temperature.
    const expected = raw === 0x3f8 ? { kind: 'fault', fault: 'open' } : { kind: 'temp', tempC: r.celsius };
    assert.deepEqual(decodeEmc2101External(h(r.msb_01), h(r.lsb_10)), expected);
  }
});

test('diode fault codes and the internal sensor decode as the datasheet says', () => {
  assert.deepEqual(decodeEmc2101External(0x7f, 0x00), { kind: 'fault', fault: 'open' }, '0x3F8');
  assert.deepEqual(decodeEmc2101External(0x7f, 0xe0), { kind: 'fault', fault: 'short' }, '0x3FF');
  assert.equal(decodeEmc2101Internal(0x3c), 60);
  assert.equal(decodeEmc2101Internal(0xf6), -10);
  assert.equal(emc2101FanSetting(150), 63, 'clamped');
  assert.equal(emc2101FanSetting(40), 25);
});

function setup(): { bus: EmulatedI2cBus; model: Emc2101Model; chip: Emc2101 } {
  const bus = new EmulatedI2cBus();
  const model = new Emc2101Model();
  bus.attach(0x4c, model);
  return { bus, model, chip: new Emc2101(bus, 0x4c) };
}

test('init writes the Bitaxe setup into the registers: tach input, direct fan drive, Gamma diode tuning', async () => {
  const { bus, model, chip } = setup();
  model.setFanRpm(3000);
  assert.equal(await chip.readFanRpm(), 0, 'before init pin 4 is ALERT, not tach: no count');
  await chip.init({ idealityFactor: 0x24, betaCompensation: 0x00 });
  assert.equal(model.regs[EMC2101_REG.CONFIG] & 0x04, 0x04);
  assert.equal(model.regs[EMC2101_REG.FAN_CONFIG], 0x23);
  assert.equal(model.regs[EMC2101_REG.IDEALITY_FACTOR], 0x24);
  assert.equal(model.regs[EMC2101_REG.BETA_COMPENSATION], 0x00);
  assert.deepEqual(
    bus.writesTo(0x4c).map((w) => [w.command, w.data[0]]),
    [
      [0x03, 0x04],
      [0x4a, 0x23],
      [0x17, 0x24],
      [0x18, 0x00],
    ],
  );
  assert.equal(await chip.readFanRpm(), 3000, 'count round(5,400,000 / 3000) = 1800 converts back to 3000');
  await chip.setFanPercent(40);
  assert.equal(model.regs[EMC2101_REG.FAN_SETTING], 25);
  assert.equal(model.fanDuty(), 25 / 63);
  assert.equal(await chip.readFanPercent(), 39.7);
});

test('without the Gamma tuning init leaves ideality and beta at their defaults', async () => {
  const { model, chip } = setup();
  model.regs[EMC2101_REG.CONFIG] = 0x40; // STANDBY left set by an earlier owner of the bus
  await chip.init();
  assert.equal(model.regs[EMC2101_REG.CONFIG], 0x04, 'CONFIG written whole, as ESP-Miner does: standby cleared');
  assert.equal(model.regs[EMC2101_REG.IDEALITY_FACTOR], 0x12);
  assert.equal(model.regs[EMC2101_REG.BETA_COMPENSATION], 0x08);
});

test('temperatures read through the registers in 1/8 °C (external) and whole °C (internal)', async () => {
  const { model, chip } = setup();
  model.setTemperatures(41.4, 65.37);
  assert.equal(await chip.readExternalTempC(), 65.375);
  assert.equal(await chip.readInternalTempC(), 41);
  model.setTemperatures(20, -5.25);
  assert.equal(await chip.readExternalTempC(), -5.25);
});

test('an open diode is an error that names the part, not a temperature', async () => {
  const { model, chip } = setup();
  model.diodeFault = 'open';
  model.setTemperatures(30, 50);
  await assert.rejects(
    chip.readExternalTempC(),
    (err: unknown) => err instanceof DeviceFaultError && /0x4c: external diode open circuit/.test(err.message),
  );
});

test('a wrong part at the address is refused at init; a NACK is an I2cError with the address', async () => {
  const { bus, model, chip } = setup();
  model.regs[EMC2101_REG.PRODUCT_ID] = 0x42;
  await assert.rejects(chip.init(), /EMC2101 at 0x4c: not an EMC2101 \(manufacturer 0x5d, product 0x42\)/);
  bus.setNack(0x4c, true);
  await assert.rejects(
    chip.readInternalTempC(),
    (err: unknown) => err instanceof I2cError && err.nack && err.address === 0x4c && /no ACK/.test(err.message),
  );
});

test('with FAN_CONFIG PROG clear the fan setting register is read-only (the chip runs its LUT)', async () => {
  const { bus, model } = setup();
  await bus.writeByte(0x4c, EMC2101_REG.FAN_CONFIG, 0x00);
  await bus.writeByte(0x4c, EMC2101_REG.FAN_SETTING, 40);
  assert.equal(model.regs[EMC2101_REG.FAN_SETTING], 0);
  await bus.writeByte(0x4c, EMC2101_REG.PRODUCT_ID, 0x99);
  assert.equal(model.regs[EMC2101_REG.PRODUCT_ID], 0x16, 'read-only registers ignore writes');
});

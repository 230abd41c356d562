import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Emc2103Model } from '../../../drivers/emulator/i2c-emc2103-model.js';
import { EmulatedI2cBus } from '../../../drivers/emulator/i2c-emulated-bus.js';
import { DeviceFaultError } from '../../../drivers/i2c/device-error.js';
import {
  decodeEmc2103Temperature,
  EMC2103_REG,
  Emc2103,
  emc2103FanPercent,
  emc2103FanSetting,
  emc2103Rpm,
  emc2103TachCount,
  encodeEmc2103Temperature,
} from '../../../drivers/i2c/emc2103.js';
import { I2cError } from '../../../drivers/i2c/i2c-bus.js';

test('fan setting is floor(255 × percent / 100), clamped; the register reads back as percent', () => {
  assert.equal(emc2103FanSetting(100), 255);
  assert.equal(emc2103FanSetting(50), 127, 'floor(127.5)');
  assert.equal(emc2103FanSetting(40), 102);
  assert.equal(emc2103FanSetting(0), 0);
  assert.equal(emc2103FanSetting(150), 255, 'clamped');
  assert.equal(emc2103FanSetting(-5), 0, 'clamped');
  assert.equal(emc2103FanPercent(255), 100);
  assert.equal(emc2103FanPercent(102), 40);
});

test('tach: the 13-bit count sits in MSB[7:0]:LSB[7:3]; RPM = 7,864,320 / count; full scale is a stopped fan', () => {
  // 1966 = 0x7AE → word 0x7AE << 3 = 0x3D70.
  assert.equal(emc2103TachCount(0x3d, 0x70), 1966);
  assert.equal(emc2103TachCount(0x3d, 0x77), 1966, 'LSB bits 2..0 are not part of the count');
  assert.equal(emc2103Rpm(0x3d, 0x70), 4000, 'floor(7,864,320 / 1966) = 4000');
  // 2621 = 0xA3D → word 0x51E8.
  assert.equal(emc2103Rpm(0x51, 0xe8), 3000, 'floor(3000.5)');
  assert.equal(emc2103Rpm(0xff, 0xf8), 0, 'count 0x1FFF: no pulses, not 960 RPM');
  assert.equal(emc2103Rpm(0x00, 0x00), 0, 'no count at all does not divide by zero');
  assert.equal(emc2103Rpm(0xff, 0xf0), 960, 'the slowest measurable speed, count 0x1FFE');
});

test('temperature: 11-bit two’s complement in MSB:LSB[7:5], 1/8 °C; the word 0x8000 is a diode fault', () => {
  // 0x1960 >> 5 = 203 → 25.375 °C.
  assert.deepEqual(decodeEmc2103Temperature(0x19, 0x60), { kind: 'temp', tempC: 25.375 });
  assert.deepEqual(decodeEmc2103Temperature(0x19, 0x7f), { kind: 'temp', tempC: 25.375 }, 'LSB bits 4..0 ignored');
  assert.deepEqual(decodeEmc2103Temperature(0x3c, 0x00), { kind: 'temp', tempC: 60 });
  assert.deepEqual(decodeEmc2103Temperature(0x7f, 0xe0), { kind: 'temp', tempC: 127.875 }, 'top of the range');
  // −5.25 °C = −42 eighths → 0x7D6 (11 bits) → word 0xFAC0.
  assert.deepEqual(decodeEmc2103Temperature(0xfa, 0xc0), { kind: 'temp', tempC: -5.25 });
  assert.deepEqual(decodeEmc2103Temperature(0x80, 0x00), { kind: 'fault' }, '0x8000 is not −128 °C');
  assert.deepEqual(decodeEmc2103Temperature(0x80, 0x20), { kind: 'temp', tempC: -127.875 });
  for (const c of [-40, -5.25, 0, 0.125, 25.375, 60, 74.875, 127.875]) {
    const e = encodeEmc2103Temperature(c);
    assert.deepEqual(decodeEmc2103Temperature(e.msb, e.lsb), { kind: 'temp', tempC: c }, `${c} °C round trip`);
  }
  assert.deepEqual(encodeEmc2103Temperature(-5.25), { msb: 0xfa, lsb: 0xc0 });
});

function setup(): { bus: EmulatedI2cBus; model: Emc2103Model; chip: Emc2103 } {
  const bus = new EmulatedI2cBus();
  const model = new Emc2103Model();
  bus.attach(0x2e, model);
  return { bus, model, chip: new Emc2103(bus, 0x2e) };
}

test("init writes ESP-Miner's setup; the fan setting reaches the chip and the tach comes back as RPM", async () => {
  const { bus, model, chip } = setup();
  model.regs[EMC2103_REG.CONFIGURATION1] = 0x40; // left set by an earlier owner of the bus
  await chip.init();
  assert.deepEqual(
    bus.writesTo(0x2e).map((w) => [w.command, w.data[0]]),
    [
      [0x20, 0x00],
      [0x2a, 0x00],
    ],
  );
  assert.equal(model.regs[EMC2103_REG.CONFIGURATION1], 0x00);
  await chip.setFanPercent(40);
  assert.equal(model.regs[EMC2103_REG.FAN_SETTING], 102);
  assert.equal(model.fanDuty(), 102 / 255);
  assert.equal(await chip.readFanPercent(), 40);
  model.setFanRpm(3000);
  assert.equal(await chip.readFanRpm(), 3000, 'count round(7,864,320 / 3000) = 2621 converts back to 3000');
  model.setFanRpm(0);
  assert.equal(await chip.readFanRpm(), 0, 'stopped fan');
  model.setFanRpm(300);
  assert.equal(await chip.readFanRpm(), 0, 'below the 500 RPM range: full-scale count, reported as stopped');
});

test('each input reads its own registers: internal, diode 1, diode 2', async () => {
  const { chip, model } = setup();
  model.setTemperatures(31.2, 58.4, 47.9);
  assert.equal(await chip.readTempC('internal'), 31.25);
  assert.equal(await chip.readTempC('external1'), 58.375);
  assert.equal(await chip.readTempC('external2'), 47.875);
  model.setTemperatures(20, -5.25, 0);
  assert.equal(await chip.readTempC('external1'), -5.25);
});

test('reading a temperature MSB latches its LSB: a conversion between the two reads cannot tear the value', async () => {
  const { bus, model } = setup();
  model.setTemperatures(25, 63.875, 25); // word 0x3FE0
  const msb = await bus.readByte(0x2e, EMC2103_REG.EXTERNAL1_TEMP_MSB);
  model.setTemperatures(25, 64, 25); // word 0x4000: a fresh LSB would give 0x3F00 = 63.0 °C
  const lsb = await bus.readByte(0x2e, EMC2103_REG.EXTERNAL1_TEMP_LSB);
  assert.deepEqual(decodeEmc2103Temperature(msb, lsb), { kind: 'temp', tempC: 63.875 });
  assert.equal((await bus.readByte(0x2e, EMC2103_REG.EXTERNAL1_TEMP_LSB)) >> 5, 0, 'the next LSB read is fresh');
});

test('a diode fault (0x8000) is an error naming the part and the diode, never a temperature', async () => {
  const { chip, model } = setup();
  model.diodeFault[1] = true;
  model.setTemperatures(30, 50, 50);
  assert.equal(model.regs[EMC2103_REG.EXTERNAL2_TEMP_MSB], 0x80);
  assert.equal(model.regs[EMC2103_REG.EXTERNAL2_TEMP_LSB], 0x00);
  await assert.rejects(
    chip.readTempC('external2'),
    (err: unknown) =>
      err instanceof DeviceFaultError && /^EMC2103 at 0x2e: external diode 2 fault \(open or short/.test(err.message),
  );
  assert.equal(await chip.readTempC('external1'), 50, 'the other diode still reads');
});

test('a NACK is an I2cError with the address; with the RPM algorithm on, FAN_SETTING is read-only', async () => {
  const { bus, model, chip } = setup();
  await bus.writeByte(0x2e, EMC2103_REG.FAN_CONFIG1, 0xab); // EN_ALGO set
  await chip.setFanPercent(80);
  assert.equal(model.regs[EMC2103_REG.FAN_SETTING], 0);
  await bus.writeByte(0x2e, EMC2103_REG.MANUFACTURER_ID, 0x99);
  assert.equal(model.regs[EMC2103_REG.MANUFACTURER_ID], 0x5d, 'read-only registers ignore writes');
  bus.setNack(0x2e, true);
  await assert.rejects(
    chip.readTempC('external1'),
    (err: unknown) => err instanceof I2cError && err.nack && err.address === 0x2e,
  );
});

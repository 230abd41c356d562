import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmulatedI2cBus } from '../../../drivers/emulator/i2c-emulated-bus.js';
import { Tps546Model } from '../../../drivers/emulator/i2c-tps546-model.js';
import { DeviceFaultError } from '../../../drivers/i2c/device-error.js';
import { decodeSlinear11, PMBUS, STATUS_WORD } from '../../../drivers/i2c/pmbus.js';
import { TPS546_PROFILES, Tps546 } from '../../../drivers/i2c/tps546.js';

function setup(deviceId?: number[]): { bus: EmulatedI2cBus; model: Tps546Model; tps: Tps546; sleeps: number[] } {
  const bus = new EmulatedI2cBus();
  const model = new Tps546Model(deviceId);
  bus.attach(0x24, model);
  const sleeps: number[] = [];
  const tps = new Tps546(bus, TPS546_PROFILES['5v-single'], 0x24, async (ms) => {
    sleeps.push(ms);
  });
  return { bus, model, tps, sleeps };
}

/** The last word written to a command, as it appeared on the wire (little-endian). */
function lastWord(bus: EmulatedI2cBus, command: number): string | undefined {
  const w = bus.writesTo(0x24, command).at(-1);
  return w === undefined ? undefined : w.data.map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

test("init turns the output off and writes ESP-Miner's 5 V configuration in the part's formats", async () => {
  const { bus, model, tps } = setup();
  await tps.init();
  const first = bus.writesTo(0x24)[0];
  assert.deepEqual([first.command, first.data], [PMBUS.OPERATION, [0x00]], 'output off comes first');
  // Wire bytes of the SMBus words, from ESP-Miner's TPS546.c values (bitaxe-peripherals.json).
  assert.equal(lastWord(bus, PMBUS.VIN_ON), '66 ca');
  assert.equal(lastWord(bus, PMBUS.VIN_OFF), '40 ca');
  assert.equal(lastWord(bus, PMBUS.VIN_OV_FAULT_LIMIT), '40 cb');
  assert.equal(lastWord(bus, PMBUS.VOUT_SCALE_LOOP), '00 aa');
  assert.equal(lastWord(bus, PMBUS.IOUT_OC_WARN_LIMIT), '20 db');
  assert.equal(lastWord(bus, PMBUS.IOUT_OC_FAULT_LIMIT), 'c0 db');
  assert.equal(lastWord(bus, PMBUS.FREQUENCY_SWITCH), '8a 02');
  assert.equal(lastWord(bus, PMBUS.OT_WARN_LIMIT), '69 00');
  assert.equal(lastWord(bus, PMBUS.OT_FAULT_LIMIT), '91 00');
  assert.equal(lastWord(bus, PMBUS.TON_RISE), '03 00');
  assert.equal(lastWord(bus, PMBUS.VOUT_COMMAND), '66 02', '1.2 V at 2^-9');
  assert.equal(lastWord(bus, PMBUS.VOUT_MAX), '00 04', '2 V');
  assert.equal(lastWord(bus, PMBUS.VOUT_MIN), '00 02', '1 V');
  assert.equal(lastWord(bus, PMBUS.VOUT_OV_FAULT_LIMIT), '80 02', '1.25 as ESP-Miner writes it');
  assert.equal(lastWord(bus, PMBUS.VIN_UV_WARN_LIMIT), undefined, 'not written on 5 V boards');
  assert.deepEqual(
    bus.writesTo(0x24, PMBUS.ON_OFF_CONFIG).map((w) => w.data[0]),
    [0x1f, 0x1b],
  );
  assert.equal(bus.writesTo(0x24).at(-1)?.command, PMBUS.CLEAR_FAULTS);
  assert.equal(model.isOn(), false, 'init leaves the output off');
  assert.equal(model.statusWord() & STATUS_WORD.CML, 0, 'every command was valid for the part');
});

test('setVout commands the voltage and turns the output on; the model regulates to it', async () => {
  const { bus, model, tps } = setup();
  await tps.init();
  await tps.setVout(1.15);
  assert.equal(lastWord(bus, PMBUS.VOUT_COMMAND), '4c 02');
  assert.deepEqual(bus.writesTo(0x24, PMBUS.OPERATION).at(-1)?.data, [0x80]);
  assert.equal(model.isOn(), true);
  assert.equal(model.outputV(), 0x24c / 512);
  model.setConditions(5.02, 12.5, 48.5);
  const t = await tps.readTelemetry();
  assert.equal(t.voutV, 0x24c / 512);
  assert.ok(Math.abs(t.vinV - 5.02) < 1 / 128, String(t.vinV));
  assert.ok(Math.abs(t.ioutA - 12.5) < 0.02, String(t.ioutA));
  assert.equal(t.tempC, 48.5);
  await tps.off();
  assert.equal(model.isOn(), false);
  assert.equal(await tps.readVoutV(), 0);
});

test('a voltage outside the profile window is refused before any write', async () => {
  const { bus, tps } = setup();
  await tps.init();
  const before = bus.writes.length;
  await assert.rejects(
    tps.setVout(2.5),
    (err: unknown) =>
      err instanceof DeviceFaultError && /2\.500 V is outside the regulator's window 1\.\.2 V/.test(err.message),
  );
  await assert.rejects(tps.setVoutCommand(0.8), DeviceFaultError);
  assert.equal(bus.writes.length, before);
});

test("the device id is checked (with ESP-Miner's retries) and a wrong part is named", async () => {
  const { tps, sleeps } = setup([0x54, 0x49, 0x54, 0x11, 0x22, 0x33]);
  await assert.rejects(tps.init(), /TPS546 at 0x24: device id 54 49 54 11 22 33 is not a TPS546D24A\/S/);
  assert.deepEqual(sleeps, [3, 3, 3, 3, 3]);
  const b = setup([0x54, 0x49, 0x54, 0x6d, 0x24, 0x62]);
  await b.tps.init();
});

test('status decoding: over-temperature latches the output off and is reported until CLEAR_FAULTS', async () => {
  const { model, tps } = setup();
  await tps.init();
  await tps.setVout(1.2);
  model.setConditions(5, 10, 150);
  assert.equal(model.isOn(), false, 'above OT_FAULT_LIMIT 145 °C the part shuts down');
  let s = await tps.readStatus();
  assert.equal(s.fault, true);
  assert.ok(s.conditions.includes('over-temperature fault'), s.conditions.join());
  assert.ok(s.conditions.includes('output off'));
  model.setConditions(5, 0, 90);
  assert.equal(model.isOn(), true, 'restarts once cooled below OT_WARN (response 0xFF)');
  s = await tps.readStatus();
  assert.ok(s.conditions.includes('over-temperature fault'), 'status bits stay latched');
  await tps.clearFaults();
  s = await tps.readStatus();
  assert.equal(s.fault, false);
  assert.deepEqual(s.conditions, []);
});

test('over-current latches the output off until OPERATION is cycled', async () => {
  const { bus, model, tps } = setup();
  await tps.init();
  await tps.setVout(1.2);
  model.setConditions(5, 31, 60);
  assert.equal(model.isOn(), false);
  assert.ok((await tps.readStatus()).conditions.includes('output overcurrent fault'));
  model.setConditions(5, 5, 60);
  assert.equal(model.isOn(), false, 'no retry (response 0xC0)');
  await tps.off();
  await tps.setVout(1.2);
  assert.equal(model.isOn(), true);
  void bus;
});

test('unknown commands NACK and set STATUS_CML; wrong data sizes are flagged', async () => {
  const { bus, model } = setup();
  await assert.rejects(bus.readByte(0x24, 0xd5), /no ACK/);
  assert.ok(model.statusWord() & STATUS_WORD.CML);
  const s = await new Tps546(bus, TPS546_PROFILES['5v-single']).readStatus();
  assert.ok(s.conditions.includes('invalid command received'));
  await bus.writeWord(0x24, PMBUS.OPERATION, 0x8080);
  assert.equal(model.isOn(), false, 'a word written to a byte command is ignored');
});

test('the 12 V three-domain profile (Hex) accepts 3 × 1.2 V and reads it back', async () => {
  const bus = new EmulatedI2cBus();
  const model = new Tps546Model();
  bus.attach(0x24, model);
  model.setConditions(12, 0, 30);
  const tps = new Tps546(bus, TPS546_PROFILES['12v-3domain'], 0x24, async () => {});
  await tps.init();
  await tps.setVout(3.6);
  assert.equal(await tps.readVoutV(), 0x733 / 512);
  assert.deepEqual(bus.writesTo(0x24, PMBUS.VIN_ON).at(-1)?.data, [0xe0, 0xd2], '11.5 V');
});

test('the 5 V profile leaves COMPENSATION_CONFIG to the part', async () => {
  const { bus, model, tps } = setup();
  const before = model.compensationConfig();
  await tps.init();
  assert.equal(bus.writesTo(0x24, PMBUS.COMPENSATION_CONFIG).length, 0);
  assert.deepEqual(model.compensationConfig(), before);
});

test("the 12 V stacked profile (Gamma Turbo) writes ESP-Miner's two-module configuration and compensation", async () => {
  const bus = new EmulatedI2cBus();
  const model = new Tps546Model(undefined, { modules: 2 });
  bus.attach(0x24, model);
  model.setConditions(12, 0, 30);
  const tps = new Tps546(bus, TPS546_PROFILES['12v-stacked'], 0x24, async () => {});
  await tps.init();
  const wire = (command: number): number[] | undefined => bus.writesTo(0x24, command).at(-1)?.data;
  assert.deepEqual(wire(PMBUS.PHASE), [0xff], 'all phases');
  assert.deepEqual(wire(PMBUS.STACK_CONFIG), [0x01, 0x00], 'STACK_CONFIG 0x0001: one slave, two phases');
  assert.deepEqual(wire(PMBUS.SYNC_CONFIG), [0xd0]);
  assert.deepEqual(
    wire(PMBUS.COMPENSATION_CONFIG),
    [0x05, 0x12, 0x34, 0x42, 0x21, 0x04],
    'an SMBus block: byte count, then the five bytes',
  );
  assert.deepEqual(model.compensationConfig(), [0x12, 0x34, 0x42, 0x21, 0x04], 'the part took the block');
  assert.equal(model.commandValue(PMBUS.STACK_CONFIG), 0x0001);
  assert.equal(model.commandValue(PMBUS.SYNC_CONFIG), 0xd0);
  // SLINEAR11 as ESP-Miner encodes them: 11.0 V, 10.5 V, 50 A, 55 A.
  assert.deepEqual(wire(PMBUS.VIN_ON), [0xc0, 0xd2], 'VIN_ON 11.0 V');
  assert.deepEqual(wire(PMBUS.VIN_OFF), [0xa0, 0xd2], 'VIN_OFF 10.5 V');
  assert.deepEqual(wire(PMBUS.VIN_UV_WARN_LIMIT), [0xc0, 0xd2], 'VIN_UV_WARN 11.0 V is written on 12 V boards');
  assert.equal(decodeSlinear11(model.commandValue(PMBUS.IOUT_OC_WARN_LIMIT)!), 50, 'IOUT warn 50 A for the pair');
  assert.equal(decodeSlinear11(model.commandValue(PMBUS.IOUT_OC_FAULT_LIMIT)!), 55);
  assert.equal(model.statusWord() & STATUS_WORD.CML, 0, 'every command was valid for the part');
  assert.equal(model.isOn(), false, 'init leaves the output off');
  await tps.setVout(1.15);
  assert.equal(model.isOn(), true, 'a 12 V input is above VIN_ON 11.0 V');
  assert.ok(Math.abs(model.outputV() - 1.15) < 0.002);
  await assert.rejects(tps.setVout(3.2), /3\.200 V is outside the regulator's window 1\.\.3 V/);
  // With PHASE 0xFF the telemetry is the stack's: both modules' current, not one module's half.
  model.setConditions(12, 40, 50);
  assert.equal(await tps.readIoutA(), 40);
  await bus.writeByte(0x24, PMBUS.PHASE, 0x00);
  assert.equal(await tps.readIoutA(), 20, 'one phase selected: one module’s share');
});

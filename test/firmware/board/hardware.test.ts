import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ina260Model } from '../../../drivers/emulator/i2c-ina260-model.js';
import { Tps546Model } from '../../../drivers/emulator/i2c-tps546-model.js';
import { openLinuxI2cBus } from '../../../drivers/i2c/i2c-bus.js';
import { Ina260 } from '../../../drivers/i2c/ina260.js';
import { TPS546_PROFILES, Tps546 } from '../../../drivers/i2c/tps546.js';
import { BoardControl } from '../../../firmware/board/board-control.js';
import { ManualClock } from '../../../firmware/board/clock.js';
import { emulatedBoardHardware, openBoardHardware } from '../../../firmware/board/hardware.js';
import { loadBoard } from '../../../src/config/board-loader.js';

test('without /dev/i2c-N the real hardware path says to enable I2C', async () => {
  const dev = mkdtempSync(join(tmpdir(), 'hashaxe-dev-'));
  try {
    await assert.rejects(openLinuxI2cBus(1, dev), /i2c-1 does not exist: enable I2C \(raspi-config nonint do_i2c 0/);
  } finally {
    rmSync(dev, { recursive: true, force: true });
  }
  if (!(await import('node:fs')).existsSync('/dev/i2c-1')) {
    await assert.rejects(openBoardHardware(loadBoard('bitaxe-ultra')), /\/dev\/i2c-1 does not exist/);
  }
});

/**
 * i2c-bus's PromisifiedBus checks Buffer.isBuffer on block transfers; a stand-in that does the same proves
 * the drivers can be handed that bus directly.
 */
function strictBufferBus(device: { read(c: number, n: number): Uint8Array; write(c: number, d: Uint8Array): void }) {
  const need = (b: unknown): void => {
    if (!Buffer.isBuffer(b)) throw new TypeError('Invalid buffer');
  };
  return {
    readByte: async (_a: number, c: number) => device.read(c, 1)[0],
    writeByte: async (_a: number, c: number, v: number) => device.write(c, Uint8Array.of(v)),
    readWord: async (_a: number, c: number) => {
      const b = device.read(c, 2);
      return b[0] | (b[1] << 8);
    },
    writeWord: async (_a: number, c: number, w: number) => device.write(c, Uint8Array.of(w & 0xff, w >> 8)),
    readI2cBlock: async (_a: number, c: number, n: number, buf: Buffer) => {
      need(buf);
      buf.set(device.read(c, n));
      return { bytesRead: n, buffer: buf };
    },
    writeI2cBlock: async (_a: number, c: number, n: number, buf: Buffer) => {
      need(buf);
      device.write(c, buf.subarray(0, n));
      return { bytesWritten: n, buffer: buf };
    },
    sendByte: async (_a: number, b: number) => device.write(b, new Uint8Array(0)),
  };
}

test('drivers work over a bus that, like i2c-bus, accepts only Buffers for block transfers', async () => {
  const ina = new Ina260Model();
  ina.setMeasurement(5000, 2500);
  const reading = await new Ina260(strictBufferBus(ina), 0x40).read();
  assert.equal(reading.currentMa, 2500);
  const tps = new Tps546(strictBufferBus(new Tps546Model()), TPS546_PROFILES['5v-single'], 0x24, async () => {});
  await tps.verifyDeviceId();
});

test('emulatedBoardHardware gives BoardControl everything it needs', async () => {
  const def = loadBoard('bitaxe-supra');
  const clock = new ManualClock();
  const hw = emulatedBoardHardware(def, { now: () => clock.now() });
  const control = new BoardControl({
    board: def,
    peripherals: hw.peripherals,
    gpio: hw.gpio,
    asic: hw.emulated.asicClock,
    clock,
    log: { info() {}, warn() {}, error() {} },
  });
  const started = control.start();
  for (let i = 0; i < 30; i++) await clock.advance(50);
  await started;
  assert.equal(control.telemetry().asicRunning, true);
  assert.equal(hw.emulated.asicClock.frequencyMhz, 490);
  const stopped = control.stop();
  for (let i = 0; i < 30; i++) await clock.advance(50);
  await stopped;
  await hw.close();
  assert.equal(hw.emulated.powerEnable?.active, false);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmulatedI2cBus, I2cModelNack } from '../../../drivers/emulator/i2c-emulated-bus.js';
import { I2cError } from '../../../drivers/i2c/i2c-bus.js';

function echo(): {
  part: string;
  regs: Uint8Array;
  write(c: number, d: Uint8Array): void;
  read(c: number, n: number): Uint8Array;
} {
  const regs = new Uint8Array(256);
  return {
    part: 'echo',
    regs,
    write(c, d) {
      if (c === 0xee) throw new I2cModelNack('nope');
      regs.set(d, c);
    },
    read: (c, n) => regs.slice(c, c + n),
  };
}

test('SMBus word operations are little-endian on the wire; blocks and send-byte reach the model', async () => {
  const bus = new EmulatedI2cBus();
  const dev = echo();
  bus.attach(0x10, dev);
  await bus.writeWord(0x10, 0x20, 0x1234);
  assert.deepEqual([dev.regs[0x20], dev.regs[0x21]], [0x34, 0x12]);
  assert.equal(await bus.readWord(0x10, 0x20), 0x1234);
  await bus.writeI2cBlock(0x10, 0x30, 3, Uint8Array.of(1, 2, 3, 4));
  const buf = new Uint8Array(4);
  const r = await bus.readI2cBlock(0x10, 0x30, 3, buf);
  assert.equal(r.bytesRead, 3);
  assert.deepEqual(Array.from(buf), [1, 2, 3, 0]);
  await bus.sendByte(0x10, 0x03);
  assert.deepEqual(bus.writes.at(-1), { address: 0x10, command: 0x03, data: [] });
  assert.equal(bus.transactions, 5);
});

test('absent and NACK-injected devices fail like Linux I2C does, and nothing is logged as written', async () => {
  const bus = new EmulatedI2cBus();
  bus.attach(0x10, echo());
  await assert.rejects(
    bus.readByte(0x11, 0),
    (e: unknown) => e instanceof I2cError && e.nack && e.code === 'EREMOTEIO',
  );
  bus.setNack(0x10, true);
  assert.equal(bus.isNacking(0x10), true);
  await assert.rejects(bus.writeByte(0x10, 1, 2), /I2C write of 0x10 register 0x01 failed: EREMOTEIO \(no ACK/);
  bus.setNack(0x10, false);
  await assert.rejects(bus.writeByte(0x10, 0xee, 1), I2cError, 'a model NACK becomes an I2cError');
  assert.equal(bus.writes.length, 0);
  await bus.writeByte(0x10, 1, 2);
  assert.equal(bus.writesTo(0x10, 1).length, 1);
});

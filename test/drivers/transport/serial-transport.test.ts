import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SerialTransport } from '../../../drivers/transport/serial-transport.js';
import { createPtyPair } from '../../../drivers/transport/socat-pty.js';
import { TransportError } from '../../../drivers/transport/transport.js';
import { waitUntil } from '../../support/bm13xx.js';

test('serialport over a socat pty pair: bytes both ways, real baud switches (3,125,000 too), drain, flush', async () => {
  const pair = await createPtyPair();
  const host = await SerialTransport.open(pair.hostPath);
  const device = await SerialTransport.open(pair.devicePath);
  try {
    assert.equal(host.canSetBaud, true);
    assert.equal(await host.kernelBaudRate(), 115_200);
    const got: number[] = [];
    device.onData((c) => got.push(...c));
    host.write(Uint8Array.of(0x55, 0xaa, 0x52, 0x05, 0x00, 0x00, 0x0a));
    await host.drain();
    await waitUntil(() => got.length === 7, 2000, 'bytes through the pty');
    for (const baud of [1_000_000, 3_125_000, 115_200]) {
      await host.setBaudRate(baud);
      assert.equal(host.baudRate, baud);
      assert.equal(await host.kernelBaudRate(), baud, 'the kernel line really changed');
    }
    const back: number[] = [];
    host.onData((c) => back.push(...c));
    device.write(Uint8Array.of(0xaa, 0x55));
    await waitUntil(() => back.length === 2, 2000, 'bytes back');
    await host.flushInput();
  } finally {
    await host.close();
    await device.close();
    await pair.close();
  }
  assert.equal(host.closed, true);
});

test('on a pty, flushInput never destroys bytes written before it (a UART flush would be safe after drain)', async () => {
  const pair = await createPtyPair();
  const host = await SerialTransport.open(pair.hostPath);
  const device = await SerialTransport.open(pair.devicePath);
  try {
    assert.equal(host.pseudoTerminal, true);
    assert.equal(host.baudChangeMayDropOutput, true);
    let got = 0;
    device.onData((c) => {
      got += c.length;
    });
    // tcdrain returns at once on a pty and tcflush(TCIOFLUSH) would drop what socat has not read yet: before the
    // fix about one write in ten vanished here.
    for (let i = 0; i < 200; i++) {
      host.write(Uint8Array.of(0x55, 0xaa, 0x51, 0x09, 0x00, 0x28, 0x11, 0x30, 0x02, 0x00, 0x03));
      await host.drain();
      await host.flushInput();
    }
    await waitUntil(() => got === 200 * 11, 5000, 'every byte through the pty');
  } finally {
    await host.close();
    await device.close();
    await pair.close();
  }
});

test('createPtyPair with a link path makes the symlink and removes it on close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-pty-'));
  const link = join(dir, 'ttyBM');
  try {
    const pair = await createPtyPair({ linkPath: link });
    assert.equal(pair.hostPath, link);
    assert.ok(lstatSync(link).isSymbolicLink());
    const host = await SerialTransport.open(link);
    assert.equal(host.pseudoTerminal, true, 'a pty behind a symlink is still a pty');
    await host.close();
    await pair.close();
    assert.equal(existsSync(link), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('opening a missing serial device fails with the path in the message', async () => {
  await assert.rejects(
    SerialTransport.open('/dev/hashaxe-no-such-tty'),
    (e: unknown) => e instanceof TransportError && /cannot open serial port \/dev\/hashaxe-no-such-tty/.test(e.message),
  );
});

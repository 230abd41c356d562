import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryTransportPair } from '../../../drivers/transport/memory-transport.js';
import { TransportClosedError } from '../../../drivers/transport/transport.js';

test('memory pair: bytes arrive in order on a later turn, copied at write time', async () => {
  const [a, b] = createMemoryTransportPair();
  const got: number[] = [];
  b.onData((c) => got.push(...c));
  const buf = Uint8Array.of(1, 2, 3);
  a.write(buf);
  buf[0] = 99; // the caller may reuse its buffer at once
  a.write(Uint8Array.of(4));
  assert.deepEqual(got, [], 'never delivered re-entrantly');
  await a.drain();
  assert.deepEqual(got, [1, 2, 3, 4]);
  await a.close();
});

test('memory pair: closing one end closes the other with a reason; writes after close throw', async () => {
  const [a, b] = createMemoryTransportPair();
  const reason = new Promise<Error | undefined>((r) => b.onClose(r));
  await a.close();
  assert.match((await reason)?.message ?? '', /other end closed/);
  assert.equal(b.closed, true);
  assert.throws(() => a.write(Uint8Array.of(1)), TransportClosedError);
  await assert.rejects(a.setBaudRate(9600), TransportClosedError);
});

test('memory pair: chunks() iterates received bytes and ends when the line closes', async () => {
  const [a, b] = createMemoryTransportPair();
  const it = b.chunks();
  a.write(Uint8Array.of(7, 8));
  const first = await it.next();
  assert.deepEqual(first.value && [...first.value], [7, 8]);
  await a.close();
  assert.equal((await it.next()).done, true);
});

test('memory pair: baud is recorded, not modelled (canSetBaud false)', async () => {
  const [a] = createMemoryTransportPair();
  assert.equal(a.canSetBaud, false);
  await a.setBaudRate(1_000_000);
  assert.equal(a.baudRate, 1_000_000);
  await a.close();
});

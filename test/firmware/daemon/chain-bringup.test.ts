/**
 * Bring-up retries: the real chain driver against the emulated chips over an in-memory line. A chip-id reply
 * lost once is retried after a pause; a chip that never answers fails after a bounded number of attempts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm13xxChain } from '../../../drivers/asic/bm13xx-chain.js';
import { ChipCountError } from '../../../drivers/asic/errors.js';
import { EmulatedChain } from '../../../drivers/emulator/bm13xx-emulator.js';
import { createMemoryTransportPair } from '../../../drivers/transport/memory-transport.js';
import { bringUpChain } from '../../../firmware/daemon/chain-bringup.js';
import { collectingLog } from '../../support/log.js';

async function rig(chips: number) {
  const [host, device] = createMemoryTransportPair();
  const emulator = new EmulatedChain({ model: 'bm1366', chips, workers: 0 });
  emulator.attach(device);
  const chain = new Bm13xxChain(host, {
    model: 'bm1366',
    expectedChips: chips,
    delayScale: 0,
    enumerateSilenceMs: 20,
    enumerateTimeoutMs: 100,
  });
  return {
    chain,
    emulator,
    host,
    close: async () => {
      await chain.close();
      await emulator.close();
    },
  };
}

test('a chip-id reply lost on the first try: retried after the backoff, and the chain comes up', async () => {
  const r = await rig(2);
  const { log, logs } = collectingLog();
  const pauses: number[] = [];
  try {
    r.emulator.setFaults({ silentChips: [1] });
    const result = await bringUpChain(r.chain, r.host, {
      initialBaud: 115_200,
      frequencyMhz: 485,
      log,
      sleep: async (ms) => {
        pauses.push(ms);
        if (pauses.length === 2) r.emulator.setFaults({}); // the line clears during the second pause
      },
    });
    assert.equal(result.chipCount, 2);
    assert.equal(result.attempts, 3);
    assert.deepEqual(pauses, [200, 400], 'the pause doubles');
    assert.equal(logs.length, 2);
    assert.match(
      logs[0],
      /chain enumeration failed \(ASIC 1 not found: 1 chip\(s\) answered, the board has 2\); retry 1 of 3 in 200 ms/,
    );
    assert.equal(result.baud, 1_000_000, 'then init and the baud switch as usual');
  } finally {
    await r.close();
  }
});

test('a chip that never answers: a bounded number of attempts, then the original error', async () => {
  const r = await rig(2);
  const { log, logs } = collectingLog();
  const pauses: number[] = [];
  try {
    r.emulator.setFaults({ silentChips: [1] });
    await assert.rejects(
      bringUpChain(r.chain, r.host, {
        initialBaud: 115_200,
        frequencyMhz: 485,
        log,
        retry: { attempts: 5, backoffMs: 300, maxBackoffMs: 1000 },
        sleep: async (ms) => void pauses.push(ms),
      }),
      (e: unknown) => e instanceof ChipCountError && /ASIC 1 not found/.test(e.message),
    );
    assert.deepEqual(pauses, [300, 600, 1000, 1000]);
    assert.equal(logs.length, 4);
  } finally {
    await r.close();
  }
});

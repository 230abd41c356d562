import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm13xxChain } from '../../../drivers/asic/bm13xx-chain.js';
import type { ChipModelName } from '../../../drivers/asic/chip-model.js';
import { EmulatedChain } from '../../../drivers/emulator/bm13xx-emulator.js';
import { createMemoryTransportPair } from '../../../drivers/transport/memory-transport.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface InitEntry {
  tx: string;
  what: string;
}

type Event = { tx: string } | { wait: number };

/**
 * Runs enumerate + init + switchBaud against an emulated single chip and records every frame the driver writes
 * and every wait it asks for, in order.
 */
async function recordBringUp(model: ChipModelName, frequencyMhz: number): Promise<Event[]> {
  const [host, device] = createMemoryTransportPair();
  const chip = new EmulatedChain({ model, chips: 1, workers: 0 });
  chip.attach(device);
  const events: Event[] = [];
  const write = host.write.bind(host);
  host.write = (bytes: Uint8Array) => {
    events.push({ tx: bytesToHex(bytes) });
    write(bytes);
  };
  const chain = new Bm13xxChain(host, {
    model,
    expectedChips: 1,
    enumerateSilenceMs: 20,
    sleep: async (ms) => {
      events.push({ wait: ms });
    },
  });
  try {
    await chain.enumerate();
    await chain.init(frequencyMhz);
    await chain.switchBaud();
  } finally {
    await chain.close();
    await chip.close();
  }
  return events;
}

const golden: Array<[string, ChipModelName, number]> = [
  ['bm1397_max_425MHz', 'bm1397', 425],
  ['bm1366_ultra_485MHz', 'bm1366', 485],
  ['bm1368_supra_490MHz', 'bm1368', 490],
  ['bm1370_gamma_525MHz', 'bm1370', 525],
];

for (const [name, model, mhz] of golden) {
  test(`init sequence ${name}: every frame ESP-Miner sends, byte for byte, in order`, {
    skip: vectorsMissing,
  }, async () => {
    const seq = readVectorJson<{ initSequences: { sequences: Record<string, InitEntry[]> } }>(
      'bm13xx/spec-crosscheck-init.json',
    ).initSequences.sequences[name];
    const events = await recordBringUp(model, mhz);
    const frames = events.flatMap((e) => ('tx' in e ? [e.tx] : []));
    assert.equal(frames.length, seq.length, `${frames.length} frames sent, ESP-Miner sends ${seq.length}`);
    for (let i = 0; i < seq.length; i++) assert.equal(frames[i], seq[i].tx, `frame ${i}: ${seq[i].what}`);
  });
}

/** Waits between consecutive PLL writes (0x08) of a recorded bring-up. */
function waitsBetweenPllWrites(events: Event[]): number[] {
  const out: number[] = [];
  let since: number | null = null;
  for (const e of events) {
    if ('wait' in e) {
      if (since !== null) since += e.wait;
    } else if (e.tx.slice(10, 12) === '08' && e.tx.slice(4, 6) === '51') {
      if (since !== null) out.push(since);
      since = 0;
    } else if (since !== null && e.tx.slice(10, 12) !== '70') {
      since = null;
    }
  }
  return out;
}

test('pacing: the ramp waits 100 ms between BM1366 steps, 10 ms around each BM1397 write, 500 ms per BM1368 chip', async () => {
  const bm1366 = waitsBetweenPllWrites(await recordBringUp('bm1366', 485));
  assert.equal(bm1366.length, 69);
  assert.ok(
    bm1366.every((w) => w === 100),
    JSON.stringify(bm1366),
  );

  const bm1397 = await recordBringUp('bm1397', 425);
  const pll = waitsBetweenPllWrites(bm1397);
  // each step: 0x08 twice 10 ms apart, then 10 ms + 100 ms + four 10 ms waits (two 0x70, two 0x08)
  assert.ok(
    pll.every((w) => w === 10 || w === 10 + 100 + 10 + 10 + 10),
    JSON.stringify(pll.slice(0, 6)),
  );
  const firstInactive = bm1397.findIndex((e) => 'tx' in e && e.tx === '55aa5305000003');
  assert.deepEqual(bm1397[firstInactive - 1], { wait: 20 });

  const bm1368 = await recordBringUp('bm1368', 490);
  const coreEnable = bm1368.findIndex((e) => 'tx' in e && e.tx === '55aa4109003c800082aa05');
  assert.deepEqual(bm1368[coreEnable + 1], { wait: 500 });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm13xxChain, type ChainOptions } from '../../../drivers/asic/bm13xx-chain.js';
import { type ChipModelName, chipModel, replyResultHeader } from '../../../drivers/asic/chip-model.js';
import { ChainClosedError, ChipCountError, ChipIdError, ReadTimeoutError } from '../../../drivers/asic/errors.js';
import { REG } from '../../../drivers/asic/registers.js';
import { encodeNonceReply } from '../../../drivers/asic/response.js';
import { EmulatedChain, type EmulatorOptions } from '../../../drivers/emulator/bm13xx-emulator.js';
import { createMemoryTransportPair, type MemoryTransport } from '../../../drivers/transport/memory-transport.js';
import type { ChipResult, Work } from '../../../src/mining/work.js';
import { recordingSleep, resultMeets, waitUntil } from '../../support/bm13xx.js';
import { Prng } from '../../support/prng.js';

interface Rig {
  chain: Bm13xxChain;
  emulator: EmulatedChain;
  host: MemoryTransport;
  close(): Promise<void>;
}

async function rig(
  model: ChipModelName,
  chips: number,
  emu: Partial<EmulatorOptions> = {},
  opts: Partial<ChainOptions> = {},
): Promise<Rig> {
  const [host, device] = createMemoryTransportPair();
  const emulator = new EmulatedChain({ model, chips, workers: 0, ...emu });
  emulator.attach(device);
  const chain = new Bm13xxChain(host, { model, delayScale: 0, enumerateSilenceMs: 20, ...opts });
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

function randomWork(rng: Prng, versionMask = 0x1fffe000): Work {
  return {
    version: 0x20000000,
    versionMask,
    prevHash: rng.bytes(32),
    merkleRoot: rng.bytes(32),
    ntime: 0x66000000 + rng.int(1000),
    nbits: 0x17034219,
  };
}

test('enumerate: counts the chips, and says which are missing when the board expects more', async () => {
  const r = await rig('bm1366', 2, {}, { expectedChips: 4 });
  try {
    await assert.rejects(r.chain.enumerate(), (e: unknown) => {
      assert.ok(e instanceof ChipCountError);
      assert.equal(e.expected, 4);
      assert.equal(e.found, 2);
      assert.match(e.message, /ASIC 2,3 not found: 2 chip\(s\) answered, the board has 4/);
      return true;
    });
  } finally {
    await r.close();
  }
  const extra = await rig('bm1397', 3, {}, { expectedChips: 2 });
  try {
    await assert.rejects(extra.chain.enumerate(), /unexpected ASIC 2 detected: 3 chip\(s\) answered, the board has 2/);
  } finally {
    await extra.close();
  }
});

test('enumerate: a chain of another model is refused by name; a dead line says what to check', async () => {
  const [host, device] = createMemoryTransportPair();
  const emulator = new EmulatedChain({ model: 'bm1370', chips: 1, workers: 0 });
  emulator.attach(device);
  const chain = new Bm13xxChain(host, { model: 'bm1366', delayScale: 0, enumerateSilenceMs: 20 });
  await assert.rejects(
    chain.enumerate(),
    (e: unknown) => e instanceof ChipIdError && /0x1370 \(bm1370\), expected bm1366/.test(e.message),
  );
  await chain.close();
  await emulator.close();

  const silent = await rig('bm1366', 1, { faults: { silentChips: [0] } }, { enumerateTimeoutMs: 50 });
  try {
    await assert.rejects(silent.chain.enumerate(), /no chip answered the CHIP_ID read on memory:host; check power/);
  } finally {
    await silent.close();
  }
});

test('enumerate + init + switchBaud on 8 chips: addresses spaced 32 apart, every chip at the target frequency', async () => {
  const r = await rig('bm1368', 8, {}, { expectedChips: 8 });
  try {
    const info = await r.chain.enumerate();
    assert.deepEqual(info.chipIds, new Array(8).fill(0x1368));
    assert.deepEqual(info.addresses, [0, 32, 64, 96, 128, 160, 192, 224]);
    await r.chain.init(500);
    assert.equal(r.chain.frequencyMhz, 500);
    assert.equal(await r.chain.switchBaud(), 1_000_000);
    assert.equal(r.host.baudRate, 1_000_000);
    const s = r.emulator.status();
    assert.deepEqual(
      s.perChip.map((c) => c.address),
      info.addresses,
    );
    assert.ok(s.perChip.every((c) => c.frequencyMhz === 500 && c.ticketDifficulty === 256));
    assert.equal(s.lineBaud, 1_041_667, 'the chips run 25 MHz / 24');
    const ids = await r.chain.readRegister(REG.CHIP_ID);
    assert.deepEqual(
      ids.map((x) => [x.chipIndex, x.chipAddress]),
      info.addresses.map((a, i) => [i, a]),
    );
    const one = await r.chain.readRegister(REG.PLL0_PARAMETER, 5);
    assert.equal(one.length, 1);
    assert.equal(one[0].chipAddress, 160);
  } finally {
    await r.close();
  }
});

test('switchBaud re-sends the baud command after the switch only where the line may have dropped it (a pty)', async () => {
  for (const lossy of [false, true]) {
    const r = await rig('bm1366', 1);
    try {
      if (lossy) Object.defineProperty(r.host, 'baudChangeMayDropOutput', { value: true });
      const events: string[] = [];
      const write = r.host.write.bind(r.host);
      r.host.write = (b: Uint8Array) => {
        events.push(Buffer.from(b).toString('hex'));
        write(b);
      };
      const setBaud = r.host.setBaudRate.bind(r.host);
      r.host.setBaudRate = async (baud: number) => {
        events.push(`baud ${baud}`);
        await setBaud(baud);
      };
      await r.chain.switchBaud();
      const command = '55aa510900281130020003';
      assert.deepEqual(events, lossy ? [command, 'baud 1000000', command] : [command, 'baud 1000000']);
      await waitUntil(() => r.emulator.status().lineBaud === 1_041_667, 2000, 'the chip to switch');
    } finally {
      await r.close();
    }
  }
});

test("sendWork returns the model's job id sequence, synchronously", async () => {
  const rng = new Prng(3);
  for (const [model, first] of [
    ['bm1397', [4, 8, 12]],
    ['bm1366', [8, 16, 24]],
    ['bm1370', [24, 48, 72]],
  ] as const) {
    const r = await rig(model, 1);
    try {
      const ids = first.map(() => r.chain.sendWork(randomWork(rng)));
      assert.deepEqual(ids, first, model);
    } finally {
      await r.close();
    }
  }
});

test('results: every nonce the chain reports rebuilds into a header that meets the scaled ticket', async () => {
  for (const model of ['bm1397', 'bm1366', 'bm1370'] as ChipModelName[]) {
    const r = await rig(model, 2, { difficultyScale: 2 ** -26, hashrateHs: 600_000 });
    try {
      await r.chain.init();
      const work = randomWork(new Prng(11));
      const id = r.chain.sendWork(work);
      const results: ChipResult[] = [];
      r.chain.onResult((x) => results.push(x));
      await waitUntil(() => results.length >= 6, 10_000, `${model} results`);
      for (const x of results) {
        assert.equal(x.jobId, id);
        assert.ok(resultMeets(work, x, 256 * 2 ** -26), `${model} ${JSON.stringify(x)}`);
        assert.ok(x.chipIndex === 0 || x.chipIndex === 1);
        assert.equal(x.version & ~0x1fffe000, 0x20000000);
      }
      // Attribution from nonce bits agrees with which emulated chip really sent each nonce. Silencing the chips
      // stops new nonces, so the counts can be compared once the line has drained.
      r.emulator.setFaults({ silentChips: [0, 1] });
      const emulated = r.emulator.status().perChip.map((c) => c.nonces);
      await waitUntil(
        () => r.chain.stats().chips.reduce((a, c) => a + c.nonces, 0) >= emulated[0] + emulated[1],
        2000,
        'line drained',
      );
      assert.deepEqual(
        r.chain.stats().chips.map((c) => c.nonces),
        emulated,
      );
    } finally {
      await r.close();
    }
  }
});

test('BM1397: four midstates when the work may roll versions; replies resolve to the version of their midstate', async () => {
  const r = await rig('bm1397', 1, { difficultyScale: 2 ** -26, hashrateHs: 600_000 });
  try {
    await r.chain.init();
    const work = randomWork(new Prng(12));
    r.chain.sendWork(work);
    const versions = new Set<number>();
    r.chain.onResult((x) => {
      assert.ok(resultMeets(work, x, 256 * 2 ** -26));
      versions.add(x.version);
    });
    await waitUntil(() => versions.size === 4, 10_000, 'all four midstate versions');
    assert.deepEqual([...versions].sort(), [0x20000000, 0x20002000, 0x20004000, 0x20006000]);
  } finally {
    await r.close();
  }
});

test('invalidateJobs: late nonces of old jobs are dropped and counted, never delivered', async () => {
  const r = await rig('bm1366', 1, { difficultyScale: 2 ** -26, hashrateHs: 600_000 });
  try {
    await r.chain.init();
    r.chain.sendWork(randomWork(new Prng(13)));
    let delivered = 0;
    r.chain.onResult(() => delivered++);
    await waitUntil(() => delivered > 0, 5000, 'a first result');
    r.chain.invalidateJobs();
    const before = delivered;
    await waitUntil(() => r.chain.stats().staleJobs >= 3, 5000, 'stale results');
    assert.equal(delivered, before);
    assert.ok(r.chain.stats().chips[0].dropped >= 3);
  } finally {
    await r.close();
  }
});

test('version mask: a chip rolling bits the work did not grant has those results dropped', async () => {
  const r = await rig('bm1370', 1, { difficultyScale: 2 ** -26, hashrateHs: 600_000 });
  try {
    await r.chain.init(); // the chip rolls all 16 bits (BIP320)
    const work = randomWork(new Prng(14), 0); // but this work allows no rolling
    r.chain.sendWork(work);
    const got: ChipResult[] = [];
    r.chain.onResult((x) => got.push(x));
    await waitUntil(() => r.chain.stats().badVersions >= 5, 8000, 'out-of-mask results');
    for (const x of got) assert.equal(x.version, work.version);
  } finally {
    await r.close();
  }
});

test('a repeated nonce (BM1397 does that) is dropped as a duplicate', async () => {
  const [host, device] = createMemoryTransportPair();
  const chain = new Bm13xxChain(host, { model: 'bm1397', delayScale: 0, enumerateSilenceMs: 20 });
  const emulator = new EmulatedChain({ model: 'bm1397', chips: 1, workers: 0, hashrateHs: 1000 });
  const stop = device.onData(() => {});
  emulator.attach(device);
  try {
    await chain.enumerate();
    const id = chain.sendWork(randomWork(new Prng(15), 0));
    emulator.detach();
    stop();
    const results: ChipResult[] = [];
    chain.onResult((x) => results.push(x));
    const frame = encodeNonceReply(9, 0x01020304, 0, replyResultHeader(chipModel('bm1397'), id, 0), 0);
    device.write(frame);
    device.write(frame);
    await waitUntil(() => chain.stats().duplicates === 1, 2000, 'the duplicate');
    assert.equal(results.length, 1);
    assert.equal(results[0].nonce, 0x04030201);
  } finally {
    await chain.close();
    await emulator.close();
  }
});

test('setTicketDifficulty programs a power of two; setFrequency ramps, never jumps, and rewrites HCN', async () => {
  const { sleep, waits } = recordingSleep();
  const r = await rig('bm1366', 2, {}, { sleep, delayScale: 1 });
  try {
    await r.chain.init(485);
    assert.equal(r.chain.setTicketDifficulty(1000), 512);
    const writes: string[] = [];
    const write = r.host.write.bind(r.host);
    r.host.write = (b: Uint8Array) => {
      writes.push(Buffer.from(b).toString('hex'));
      write(b);
    };
    waits.length = 0;
    assert.equal(await r.chain.setFrequency(550), 550);
    const pllWrites = writes.filter((w) => w.slice(10, 12) === '08');
    assert.equal(pllWrites.length, 11, '485 → 487.5, 493.75 … 550');
    assert.equal(waits.length, 11);
    assert.equal(writes.at(-1)?.slice(10, 12), '10', 'HCN rewritten for the new frequency');
    await waitUntil(
      () => r.emulator.status().perChip.every((c) => c.frequencyMhz === 550 && c.ticketDifficulty === 512),
      2000,
      'chips at 550 MHz',
    );
    assert.equal(await r.chain.setFrequency(500), 500);
    assert.equal(r.chain.expectedHashrateGhs(), (500 * 894 * 2) / 1000);
  } finally {
    await r.close();
  }
});

test('readRegister from a chip that stopped answering times out with the count', async () => {
  const r = await rig('bm1366', 2, {}, { readTimeoutMs: 50 });
  try {
    await r.chain.init();
    r.emulator.setFaults({ silentChips: [1] });
    await assert.rejects(
      r.chain.readRegister(REG.CHIP_ID),
      (e: unknown) => e instanceof ReadTimeoutError && /1 of 2 chip/.test(e.message),
    );
    const one = await r.chain.readRegister(REG.CHIP_ID, 0);
    assert.equal(one[0].value, 0x13660000);
  } finally {
    await r.close();
  }
});

test('line noise: dropped and flipped bytes cost frames, never a bad result', async () => {
  const r = await rig('bm1366', 1, {
    difficultyScale: 2 ** -28,
    hashrateHs: 600_000,
    faults: { dropByteProbability: 0.003, garbleByteProbability: 0.003 },
    seed: 99,
  });
  try {
    await r.chain.enumerate();
    await r.chain.init();
    const work = randomWork(new Prng(16));
    r.chain.sendWork(work);
    let n = 0;
    r.chain.onResult((x) => {
      n++;
      assert.ok(resultMeets(work, x, 256 * 2 ** -28), JSON.stringify(x));
    });
    await waitUntil(() => n >= 150, 10_000, '150 results through noise');
    const s = r.chain.stats();
    assert.ok(s.crcErrors + s.droppedBytes > 0, 'the noise was seen');
  } finally {
    await r.close();
  }
});

test('fault injection: an injected bad nonce is delivered (the engine must catch it) and fails verification', async () => {
  const r = await rig('bm1370', 1, { difficultyScale: 2 ** -26, hashrateHs: 600_000 });
  try {
    await r.chain.init();
    const work = randomWork(new Prng(17));
    r.chain.sendWork(work);
    const results: ChipResult[] = [];
    r.chain.onResult((x) => results.push(x));
    await waitUntil(() => results.length >= 2, 5000, 'good results');
    r.emulator.injectBadNonce(0);
    const mark = results.length;
    await waitUntil(() => results.length >= mark + 3, 5000, 'results after the injection');
    const verdicts = results.map((x) => resultMeets(work, x, 256 * 2 ** -26));
    assert.equal(verdicts.filter((v) => !v).length, 1);
    assert.equal(verdicts.slice(0, mark).every(Boolean), true);
  } finally {
    await r.close();
  }
});

test('results() iterates; a closed chain refuses work with ChainClosedError', async () => {
  const r = await rig('bm1366', 1, { difficultyScale: 2 ** -26, hashrateHs: 600_000 });
  await r.chain.init();
  r.chain.sendWork(randomWork(new Prng(18)));
  const it = r.chain.results();
  const first = await it.next();
  assert.equal(first.done, false);
  await it.return?.();
  await r.close();
  assert.throws(() => r.chain.sendWork(randomWork(new Prng(19))), ChainClosedError);
});

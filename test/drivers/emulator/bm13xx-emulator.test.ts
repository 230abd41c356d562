import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm13xxChain } from '../../../drivers/asic/bm13xx-chain.js';
import { chipModel } from '../../../drivers/asic/chip-model.js';
import {
  encodeChainInactive,
  encodeReadRegister,
  encodeSetAddress,
  encodeWriteRegister,
} from '../../../drivers/asic/command.js';
import { encodePllRegister, solvePll } from '../../../drivers/asic/pll.js';
import { REG } from '../../../drivers/asic/registers.js';
import { decodeResponse } from '../../../drivers/asic/response.js';
import { ResponseFramer } from '../../../drivers/asic/response-framer.js';
import { encodeVersionRollingRegister } from '../../../drivers/asic/version-rolling.js';
import { EmulatedChain, type EmulatorOptions } from '../../../drivers/emulator/bm13xx-emulator.js';
import { excessByte, findHashWords } from '../../../drivers/emulator/chip-search.js';
import { createMemoryTransportPair, type MemoryTransport } from '../../../drivers/transport/memory-transport.js';
import { sha256Midstate, stateWordsToBytes } from '../../../src/bitcoin/index.js';
import { bytesToHex, bytesToHexReversed } from '../../../src/util/hex.js';
import { hex, resultMeets, stratumPrevHashToHeader, waitUntil } from '../../support/bm13xx.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

/** A bare host: writes frames, collects raw reply frames (9 or 11 bytes) as hex. */
class RawHost {
  readonly replies: string[] = [];
  private readonly framer: ResponseFramer;
  constructor(
    readonly transport: MemoryTransport,
    size: 9 | 11,
  ) {
    this.framer = new ResponseFramer(size, (b, o, n) => this.replies.push(bytesToHex(b.subarray(o, o + n))));
    transport.onData((c) => {
      this.framer.push(c);
      this.framer.flush();
    });
  }
  set size(n: 9 | 11) {
    this.framer.frameBytes = n;
  }
  send(...frames: Uint8Array[]): void {
    for (const f of frames) this.transport.write(f);
  }
  async expect(count: number, what: string): Promise<string[]> {
    await waitUntil(() => this.replies.length >= count, 3000, what);
    return this.replies.splice(0, count);
  }
}

function setup(options: EmulatorOptions, size: 9 | 11 = 11): { chain: EmulatedChain; host: RawHost } {
  const [h, d] = createMemoryTransportPair();
  const chain = new EmulatedChain(options);
  chain.attach(d);
  return { chain, host: new RawHost(h, size) };
}

test('a fresh BM1370 answers in 9 bytes (AA 55 00 00 C1 00 00 18 02), then 11 once rolling is on', async () => {
  const { chain, host } = setup({ model: 'bm1370', chips: 1, workers: 0 }, 9);
  try {
    host.send(encodeReadRegister('all', REG.MISC_CONTROL));
    assert.deepEqual(await host.expect(1, 'MISC_CONTROL'), ['aa550000c100001802']);
    host.send(encodeWriteRegister('all', REG.VERSION_ROLLING, encodeVersionRollingRegister(0x1fffe000)));
    host.size = 11;
    host.send(encodeReadRegister('all', REG.CHIP_ID));
    assert.deepEqual(await host.expect(1, 'CHIP_ID'), ['aa55137000000000000010']);
  } finally {
    await chain.close();
  }
});

test('BM1397 chip id is AA 55 13 97 18 00 00 00 06; broadcast reads answer in chain order with each address', async () => {
  const { chain, host } = setup({ model: 'bm1397', chips: 3, workers: 0 }, 9);
  try {
    host.send(encodeReadRegister('all', REG.CHIP_ID));
    assert.deepEqual(await host.expect(3, 'chip ids'), new Array(3).fill('aa5513971800000006'));
    host.send(encodeChainInactive(), encodeSetAddress(0x00), encodeSetAddress(0x55), encodeSetAddress(0xaa));
    host.send(encodeReadRegister('all', REG.CHIP_ID));
    const ids = (await host.expect(3, 'addressed chip ids')).map((r) => decodeResponse(hex(r)));
    assert.deepEqual(
      ids.map((r) => (r.kind === 'register' ? [r.value & 0xff, r.chipAddress] : null)),
      [
        [0x00, 0x00],
        [0x55, 0x55],
        [0xaa, 0xaa],
      ],
    );
  } finally {
    await chain.close();
  }
});

test('per-chip commands reach only the addressed chip; unaddressed chips ignore them', async () => {
  const { chain, host } = setup({ model: 'bm1366', chips: 2, workers: 0 });
  try {
    host.send(encodeWriteRegister('all', REG.VERSION_ROLLING, 0x9000ffff));
    host.send(encodeChainInactive());
    // nobody has an address yet: a read for address 0 gets no answer
    host.send(encodeReadRegister(0x00, REG.CHIP_ID));
    host.send(encodeSetAddress(0x00), encodeSetAddress(0x80));
    host.send(encodeWriteRegister(0x80, REG.TICKET_MASK, 0x000000ff));
    host.send(encodeReadRegister('all', REG.TICKET_MASK));
    const r = (await host.expect(2, 'ticket masks')).map((x) => decodeResponse(hex(x)));
    assert.deepEqual(
      r.map((x) => (x.kind === 'register' ? [x.chipAddress, x.value] : null)),
      [
        [0x00, 0],
        [0x80, 0xff],
      ],
    );
    assert.equal(host.replies.length, 0, 'the early per-chip read was ignored');
    assert.equal(chain.status().perChip[1].ticketDifficulty, 256);
  } finally {
    await chain.close();
  }
});

test('a frame with a bad CRC is ignored, garbage between frames is skipped', async () => {
  const { chain, host } = setup({ model: 'bm1366', chips: 1, workers: 0 });
  try {
    host.send(encodeWriteRegister('all', REG.VERSION_ROLLING, 0x9000ffff));
    const bad = encodeWriteRegister('all', REG.TICKET_MASK, 0x000000ff);
    bad[10] ^= 1;
    host.send(hex('00ff55aa1234'), bad, hex('aa55'), encodeReadRegister('all', REG.TICKET_MASK));
    const [reply] = await host.expect(1, 'ticket mask');
    const r = decodeResponse(hex(reply));
    assert.equal(r.kind === 'register' && r.value, 0);
    assert.ok(chain.status().badCommandFrames >= 1);
  } finally {
    await chain.close();
  }
});

test('baud register writes set the line rate: BM1366 0x28 ← 11300200 → 1,041,667; BM1397 0x18 ← 6031 → 3,125,000', async () => {
  const a = setup({ model: 'bm1366', chips: 1, workers: 0 });
  const b = setup({ model: 'bm1397', chips: 1, workers: 0 }, 9);
  try {
    assert.equal(a.chain.status().lineBaud, 115_741);
    a.host.send(encodeWriteRegister('all', REG.FAST_UART_CONFIGURATION, 0x11300200));
    b.host.send(encodeWriteRegister('all', REG.MISC_CONTROL, 0x00006031));
    await waitUntil(() => a.chain.status().lineBaud === 1_041_667, 1000, 'BM1366 baud');
    await waitUntil(() => b.chain.status().lineBaud === 3_125_000, 1000, 'BM1397 baud');
  } finally {
    await a.chain.close();
    await b.chain.close();
  }
});

test('the real BM1370 round trip: the captured job frame in, the captured nonce reply out, byte for byte', {
  skip: vectorsMissing,
}, async () => {
  const v = readVectorJson<{
    jobFrameToChip: string;
    nonceResponseFromChip: string;
    expected: { nonce: string; rolledVersion: string };
  }>('bm13xx/bm1370-roundtrip-capture.json');
  const { chain, host } = setup({
    model: 'bm1370',
    chips: 1,
    workers: 0,
    difficultyScale: 1, // a real chip: report at the real ticket difficulty
    searchStart: {
      nonce: Number.parseInt(v.expected.nonce, 16),
      version: Number.parseInt(v.expected.rolledVersion, 16),
    },
  });
  try {
    host.send(
      encodeWriteRegister('all', REG.VERSION_ROLLING, 0x9000ffff),
      encodeWriteRegister('all', REG.MISC_CONTROL, 0xf000c100), // open core: reporting on
      encodeWriteRegister('all', REG.TICKET_MASK, 0x000000ff),
      hex(v.jobFrameToChip),
    );
    const [reply] = await host.expect(1, 'the captured nonce');
    assert.equal(reply, v.nonceResponseFromChip);
  } finally {
    await chain.close();
  }
});

test('BM1397: ESP-Miner\'s "known working" job (start nonce set, midstate 2) returns nonce 9b044c0a from midstate 2', {
  skip: vectorsMissing,
}, async () => {
  const j = readVectorJson<{ jobs: Array<{ jobFrameToChipComputedHere?: string }> }>(
    'bm13xx/esp-miner-bm13xx.json',
  ).jobs.find((x) => x.jobFrameToChipComputedHere);
  assert.ok(j?.jobFrameToChipComputedHere);
  const { chain, host } = setup({ model: 'bm1397', chips: 1, workers: 0, difficultyScale: 1 }, 9);
  try {
    host.send(encodeWriteRegister('all', REG.TICKET_MASK, 0x000000ff), hex(j.jobFrameToChipComputedHere));
    const [reply] = await host.expect(1, 'the expected nonce');
    const r = decodeResponse(hex(reply));
    assert.equal(r.kind, 'nonce');
    if (r.kind !== 'nonce') return;
    assert.equal(bytesToHex(hex(reply).subarray(2, 6)), '9b044c0a');
    assert.equal(r.resultHeader, 0x18 | 2, 'job 0x18, midstate index 2');
  } finally {
    await chain.close();
  }
});

test('a chip that stopped answering sends nothing; reset brings chips back to power-on state', async () => {
  const { chain, host } = setup({ model: 'bm1366', chips: 2, workers: 0, faults: { silentChips: [1] } }, 9);
  try {
    host.send(encodeReadRegister('all', REG.CHIP_ID));
    assert.equal((await host.expect(1, 'one chip id')).length, 1);
    host.send(encodeWriteRegister('all', REG.PLL0_PARAMETER, 0x40a00230));
    await waitUntil(() => chain.status().perChip[0].frequencyMhz === 500, 1000, 'PLL write');
    chain.reset();
    assert.equal(chain.status().perChip[0].frequencyMhz, 50);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(host.replies.length, 0);
  } finally {
    await chain.close();
  }
});

test('with a reference frequency the real rate follows each PLL (reset, 500 MHz, 250 MHz); without one it ignores the PLL', async () => {
  const pll250 = encodePllRegister(
    solvePll(250, chipModel('bm1366').fbDividerMin, chipModel('bm1366').fbDividerMax),
    chipModel('bm1366'),
  );
  for (const reference of [500, undefined]) {
    const { chain, host } = setup(
      { model: 'bm1366', chips: 2, workers: 0, hashrateHs: 1e6, referenceFrequencyMhz: reference },
      9,
    );
    try {
      const rate = (): number => chain.status().targetHashrateHs;
      const follows = reference !== undefined;
      assert.equal(chain.status().referenceFrequencyMhz, reference ?? null);
      assert.equal(rate(), follows ? 1e5 : 1e6, 'power-on PLL: 50 MHz');
      host.send(encodeWriteRegister('all', REG.PLL0_PARAMETER, 0x40a00230));
      await waitUntil(() => chain.status().perChip[1].frequencyMhz === 500, 1000, 'PLL write');
      assert.equal(rate(), 1e6);
      host.send(encodeWriteRegister('all', REG.PLL0_PARAMETER, pll250));
      await waitUntil(() => chain.status().perChip[1].frequencyMhz === 250, 1000, 'PLL write');
      assert.equal(rate(), follows ? 5e5 : 1e6);
      assert.equal(chain.targetHashrateHs(), rate());
      chain.reset();
      assert.equal(rate(), follows ? 1e5 : 1e6);
    } finally {
      await chain.close();
    }
  }
  assert.throws(
    () => new EmulatedChain({ model: 'bm1366', chips: 1, workers: 0, referenceFrequencyMhz: 0 }),
    /referenceFrequencyMhz must be a positive number/,
  );
});

test('excess-difficulty byte: whole bits above the ticket, in half-bit units (29588 over 256 → 12)', () => {
  assert.equal(excessByte(29588, 256), 12);
  assert.equal(excessByte(300, 256), 0);
  assert.equal(excessByte(512, 256), 2);
  assert.equal(excessByte(1e300, 1), 255);
});

test('emulator options are checked', () => {
  assert.throws(() => new EmulatedChain({ model: 'bm1366', chips: 0, workers: 0 }), /chips must be an integer/);
  assert.throws(
    () => new EmulatedChain({ model: 'bm1366', chips: 1, workers: 0, difficultyScale: 2 }),
    /difficultyScale/,
  );
  assert.throws(() => new EmulatedChain({ model: 'bm1366', chips: 1, workers: 0, hashrateHs: 0 }), /hashrateHs/);
  assert.equal(chipModel('bm1368').subcoresPerCore, 16);
});

test('findHashWords rehashes a find as the chip names it: the Bitaxe share (full header) and a BM1397 midstate', {
  skip: vectorsMissing,
}, () => {
  const v = readVectorJson<{
    stratum: { prevHashStratum: string; ntime: string; nbits: string; version: string };
    merkleRootHeaderOrder: string;
    expected: { blockHash: string };
  }>('bm13xx/bm1370-roundtrip-capture.json');
  const header = new Uint8Array(80);
  const view = new DataView(header.buffer);
  view.setUint32(0, Number.parseInt(v.stratum.version, 16), true);
  header.set(stratumPrevHashToHeader(v.stratum.prevHashStratum), 4);
  header.set(hex(v.merkleRootHeaderOrder), 36);
  view.setUint32(68, Number.parseInt(v.stratum.ntime, 16), true);
  view.setUint32(72, Number.parseInt(v.stratum.nbits, 16), true);
  // Reply AA 55 4C 03 52 75 …: nonce bytes 4C 03 52 75 (big-endian read 0x4c035275), version field 0x05A2.
  const words = findHashWords({ jobId: 0x68, header, startCounter: 0 }, 2, 0x05a2, 0x4c035275, new Uint32Array(8));
  assert.equal(bytesToHexReversed(stateWordsToBytes(words)), v.expected.blockHash);
  // The same header through the BM1397 path: its midstate and tail words give the same hash.
  const rolled = header.slice();
  new DataView(rolled.buffer).setUint32(0, 0x20b44000, true);
  const tail = (o: number): number => new DataView(rolled.buffer).getUint32(o, false);
  const viaMidstate = findHashWords(
    {
      jobId: 4,
      midstates: [new Uint32Array(8), sha256Midstate(rolled)],
      tailWords: [tail(64), tail(68), tail(72)],
      startCounter: 0,
    },
    1,
    0,
    0x4c035275,
    new Uint32Array(8),
  );
  assert.deepEqual(Array.from(viaMidstate), Array.from(words));
});

async function faultRun(
  faults: EmulatorOptions['faults'],
  inject: (chain: EmulatedChain) => void,
  count: number,
): Promise<boolean[]> {
  const [h, d] = createMemoryTransportPair();
  const emulator = new EmulatedChain({
    model: 'bm1366',
    chips: 1,
    workers: 0,
    difficultyScale: 2 ** -26,
    hashrateHs: 600_000,
    faults,
  });
  emulator.attach(d);
  const chain = new Bm13xxChain(h, { model: 'bm1366', delayScale: 0, enumerateSilenceMs: 20 });
  try {
    await chain.init();
    inject(emulator);
    const work = {
      version: 0x20000000,
      versionMask: 0x1fffe000,
      prevHash: new Uint8Array(32).fill(7),
      merkleRoot: new Uint8Array(32).fill(9),
      ntime: 0x66000000,
      nbits: 0x17034219,
    };
    const verdicts: boolean[] = [];
    chain.onResult((r) => {
      if (verdicts.length < count) verdicts.push(resultMeets(work, r, 256 * 2 ** -26));
    });
    chain.sendWork(work);
    await waitUntil(() => verdicts.length >= count, 10_000, `${count} results`);
    return verdicts;
  } finally {
    await chain.close();
    await emulator.close();
  }
}

test('faults.badNonceEvery: every Nth nonce is a well-formed frame that misses the target; the rest are real', async () => {
  const verdicts = await faultRun({ badNonceEvery: 3 }, () => {}, 12);
  assert.deepEqual(
    verdicts.map((ok, i) => (ok ? '.' : `bad@${i + 1}`)).filter((x) => x !== '.'),
    ['bad@3', 'bad@6', 'bad@9', 'bad@12'],
  );
});

test('injectBadNonce on an in-process emulator: the next nonces miss the target, later ones are real again', async () => {
  const verdicts = await faultRun({}, (e) => e.injectBadNonce(0, 2), 6);
  assert.deepEqual(verdicts, [false, false, true, true, true, true]);
  await assert.rejects(
    faultRun({}, (e) => e.injectBadNonce(3), 1),
    /no chip 3; the chain has 1/,
  );
});

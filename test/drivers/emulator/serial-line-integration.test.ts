/**
 * Integration over real parts: a socat pseudo-terminal pair, the real serialport binding on both ends, the chain
 * driver on one end and the emulated chain (hashing in a worker thread) on the other — and a real TCP socket.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm13xxChain } from '../../../drivers/asic/bm13xx-chain.js';
import { type ChipModelName, chipModel } from '../../../drivers/asic/chip-model.js';
import { EmulatedChain } from '../../../drivers/emulator/bm13xx-emulator.js';
import { serveOnTcp } from '../../../drivers/emulator/chain-endpoint.js';
import { SerialTransport } from '../../../drivers/transport/serial-transport.js';
import { createPtyPair } from '../../../drivers/transport/socat-pty.js';
import { TcpTransport } from '../../../drivers/transport/tcp-transport.js';
import type { ChipResult, Work } from '../../../src/mining/work.js';
import {
  displayHash,
  headerOf,
  hex,
  knownBlockFromVector,
  nonceStepsBefore,
  stratumPrevHashToHeader,
  waitUntil,
} from '../../support/bm13xx.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

function waitForNonce(chain: Bm13xxChain, nonce: number, timeoutMs: number): Promise<ChipResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`nonce 0x${nonce.toString(16)} did not come back within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = chain.onResult((r) => {
      if (r.nonce !== nonce) return;
      clearTimeout(timer);
      stop();
      resolve(r);
    });
  });
}

const cases: Array<[ChipModelName, number]> = [
  ['bm1366', 1],
  ['bm1366', 8],
  ['bm1397', 1],
  ['bm1397', 8],
];

for (const [model, chips] of cases) {
  test(`pty + serialport, ${model} × ${chips}: enumerate, init, baud switch, and block 839900's nonce comes back`, {
    skip: vectorsMissing,
  }, async () => {
    const kb = knownBlockFromVector(
      readVectorJson<{ bm1366KnownBlock: never }>('bm13xx/spec-crosscheck.json').bm1366KnownBlock,
    );
    // The BM1397 cannot roll: give it the block's version minus three steps of BIP320 rolling, so the block's
    // version is the fourth midstate the driver sends. The BM1366 rolls the same template's version itself.
    const work: Work = model === 'bm1397' ? { ...kb.work, version: 0x2a960000 } : kb.work;
    const pair = await createPtyPair();
    const device = await SerialTransport.open(pair.devicePath);
    const emulator = new EmulatedChain({
      model,
      chips,
      workers: 1,
      difficultyScale: 1, // report at the real ticket difficulty 256, like silicon
      searchStart: { nonce: nonceStepsBefore(kb.nonce, 3), version: kb.version },
    });
    emulator.attach(device);
    const host = await SerialTransport.open(pair.hostPath);
    const chain = new Bm13xxChain(host, { model, expectedChips: chips, delayScale: 0, enumerateSilenceMs: 250 });
    try {
      const info = await chain.enumerate();
      assert.equal(info.chipCount, chips);
      await chain.init();
      const fast = chipModel(model).fastBaud.baud;
      assert.equal(await chain.switchBaud(), fast);
      assert.equal(await host.kernelBaudRate(), fast, 'the host UART really switched');
      const chipBaud = model === 'bm1397' ? 3_125_000 : 1_041_667;
      await waitUntil(() => emulator.status().lineBaud === chipBaud, 2000, 'the chips to follow the baud write');
      const found = waitForNonce(chain, kb.nonce, 15_000);
      const jobId = chain.sendWork(work);
      const r = await found;
      assert.equal(r.jobId, jobId);
      assert.equal(r.version, kb.version);
      assert.equal(r.coreId, 11);
      // ESP-Miner's test had chip address 0xC2; on 8 chips spaced 0x20 that slice belongs to chip 6.
      assert.equal(r.chipIndex, chips === 1 ? 0 : 6);
      assert.equal(displayHash(headerOf(work, r.version, r.nonce)), kb.blockHash);
    } finally {
      await chain.close();
      await emulator.close();
      await device.close();
      await pair.close();
    }
  });
}

test('TCP (ser2net-style), BM1370: the Bitaxe Gamma round trip through the driver — same nonce, same share', {
  skip: vectorsMissing,
}, async () => {
  const v = readVectorJson<{
    stratum: { prevHashStratum: string; version: string; nbits: string; ntime: string; versionMask: string };
    merkleRootHeaderOrder: string;
    expected: { nonce: string; rolledVersion: string; blockHash: string };
  }>('bm13xx/bm1370-roundtrip-capture.json');
  const nonce = Number.parseInt(v.expected.nonce, 16);
  const version = Number.parseInt(v.expected.rolledVersion, 16);
  const emulator = new EmulatedChain({
    model: 'bm1370',
    chips: 1,
    workers: 1,
    difficultyScale: 1,
    searchStart: { nonce, version },
  });
  const endpoint = await serveOnTcp(emulator, 'tcp://127.0.0.1:0');
  const host = await TcpTransport.connect(endpoint.endpoint);
  const chain = new Bm13xxChain(host, { model: 'bm1370', expectedChips: 1, delayScale: 0, enumerateSilenceMs: 250 });
  try {
    await chain.init(525);
    await chain.switchBaud();
    const work: Work = {
      version: Number.parseInt(v.stratum.version, 16),
      versionMask: Number.parseInt(v.stratum.versionMask, 16),
      prevHash: stratumPrevHashToHeader(v.stratum.prevHashStratum),
      merkleRoot: hex(v.merkleRootHeaderOrder),
      ntime: Number.parseInt(v.stratum.ntime, 16),
      nbits: Number.parseInt(v.stratum.nbits, 16),
    };
    const found = waitForNonce(chain, nonce, 15_000);
    chain.sendWork(work);
    const r = await found;
    assert.equal(r.version, version);
    assert.equal(r.coreId, 38);
    assert.equal(displayHash(headerOf(work, r.version, r.nonce)), v.expected.blockHash);
  } finally {
    await chain.close();
    await endpoint.close();
    await emulator.close();
  }
});

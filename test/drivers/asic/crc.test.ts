import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc5, crc16 } from '../../../drivers/asic/crc.js';
import { hex } from '../../support/bm13xx.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('CRC16/CCITT-FALSE check value of "123456789" is 0x29B1 (catalogued)', () => {
  assert.equal(crc16(ascii('123456789')), 0x29b1);
});

test('CRC5 check value of "123456789" is 0x0F (the spec computed it bit-serially)', () => {
  assert.equal(crc5(ascii('123456789')), 0x0f);
});

/** Bit-serial CRC5 straight from the definition, to cross-check the table-driven one on random input. */
function crc5BitSerial(bytes: Uint8Array): number {
  let r = 0x1f;
  for (const byte of bytes) {
    for (let i = 7; i >= 0; i--) {
      const fb = ((r >>> 4) & 1) ^ ((byte >>> i) & 1);
      r = (r << 1) & 0x1f;
      if (fb) r ^= 0x05;
    }
  }
  return r;
}

test('table CRC5 equals the bit-serial definition on 2,000 seeded random inputs', () => {
  let seed = 12345;
  for (let n = 0; n < 2000; n++) {
    const len = (n % 40) + 1;
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      b[i] = seed >>> 24;
    }
    assert.equal(crc5(b), crc5BitSerial(b), `input ${Buffer.from(b).toString('hex')}`);
  }
});

interface CrcVectors {
  crc: {
    crc5: { examples: Array<{ input: string; crc5: string }> };
    crc16: { examples: Array<{ frame: string; crc16: string }> };
  };
}

test('CRC5 and CRC16 examples of ESP-Miner packets (esp-miner-bm13xx.json)', { skip: vectorsMissing }, () => {
  const v = readVectorJson<CrcVectors>('bm13xx/esp-miner-bm13xx.json');
  assert.ok(v.crc.crc5.examples.length >= 10);
  for (const e of v.crc.crc5.examples) assert.equal(crc5(hex(e.input)), Number.parseInt(e.crc5, 16), e.input);
  assert.ok(v.crc.crc16.examples.length >= 2);
  for (const e of v.crc.crc16.examples) {
    const frame = hex(e.frame);
    assert.equal(crc16(frame, 2, frame.length - 2), Number.parseInt(e.crc16, 16));
  }
});

test('every captured response has a CRC5 residue of 0 over bytes 2..end', { skip: vectorsMissing }, () => {
  const sc = readVectorJson<{ responses: Array<{ hex: string; name: string }> }>('bm13xx/spec-crosscheck.json');
  const em = readVectorJson<{ responses: Array<{ hex: string }> }>('bm13xx/esp-miner-bm13xx.json');
  const rt = readVectorJson<{ nonceResponseFromChip: string }>('bm13xx/bm1370-roundtrip-capture.json');
  const all = [...sc.responses.map((r) => r.hex), ...em.responses.map((r) => r.hex), rt.nonceResponseFromChip];
  assert.ok(all.length >= 10);
  for (const h of all) {
    const b = hex(h);
    assert.equal(crc5(b, 2), 0, h);
    // and a flipped bit anywhere breaks it
    b[4] ^= 0x10;
    assert.notEqual(crc5(b, 2), 0, h);
  }
});

test('captured job frames carry the CRC16 of bytes 2..n-3', { skip: vectorsMissing }, () => {
  const sc = readVectorJson<{ jobFrames: Array<{ hex: string }> }>('bm13xx/spec-crosscheck.json');
  const rt = readVectorJson<{ jobFrameToChip: string }>('bm13xx/bm1370-roundtrip-capture.json');
  for (const h of [...sc.jobFrames.map((j) => j.hex), rt.jobFrameToChip]) {
    const b = hex(h);
    assert.equal(crc16(b, 2, b.length - 2), (b[b.length - 2] << 8) | b[b.length - 1], h.slice(0, 20));
  }
});

/**
 * cgminer's formulation of the same CRC, restated: five one-bit cells seeded with ones, fed `bits` message bits
 * most significant first (any bit count, so a reply can be checked up to its type bits).
 */
function fiveCellCrc5(bytes: Uint8Array, offset: number, bits: number): number {
  let [c0, c1, c2, c3, c4] = [1, 1, 1, 1, 1];
  for (let i = 0; i < bits; i++) {
    const bit = (bytes[offset + (i >> 3)] >> (7 - (i & 7))) & 1;
    const fed = c4 ^ bit;
    [c0, c1, c2, c3, c4] = [fed, c0, c1 ^ fed, c2, c3];
  }
  return (c4 << 4) | (c3 << 3) | (c2 << 2) | (c1 << 1) | c0;
}

test("cgminer's five-cell CRC5 agrees with ours: commands over whole bytes, replies up to their type bits", {
  skip: vectorsMissing,
}, () => {
  const sc = readVectorJson<{ responses: Array<{ hex: string }>; commandPackets: Array<{ hex: string }> }>(
    'bm13xx/spec-crosscheck.json',
  );
  assert.ok(sc.commandPackets.length >= 10);
  for (const p of sc.commandPackets) {
    const b = hex(p.hex);
    assert.equal(fiveCellCrc5(b, 2, 8 * (b.length - 3)), b[b.length - 1], p.hex);
    assert.equal(crc5(b, 2, b.length - 1), b[b.length - 1], p.hex);
  }
  for (const r of sc.responses) {
    const b = hex(r.hex);
    // cgminer's reply check: the CRC of everything after AA 55 up to the 3 type bits is the last byte's low 5 bits.
    assert.equal(fiveCellCrc5(b, 2, 8 * (b.length - 2) - 5), b[b.length - 1] & 0x1f, r.hex);
  }
});

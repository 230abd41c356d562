import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ChipModelName, chipModel } from '../../../drivers/asic/chip-model.js';
import { encodeWriteRegister } from '../../../drivers/asic/command.js';
import { PllError } from '../../../drivers/asic/errors.js';
import { decodePllRegister, encodePllRegister, frequencyFromPllRegister, solvePll } from '../../../drivers/asic/pll.js';
import { REG } from '../../../drivers/asic/registers.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface PllRow {
  chip: string;
  targetMHz: number;
  fbDivider: number;
  refdiv: number;
  postdiv1: number;
  postdiv2: number;
  actualMHz: number;
  register08Bytes?: string;
  registerWritePacket?: string;
  packet?: string;
}

test("ESP-Miner's PLL unit test: 450 MHz with FBDIV 60..200 → 72 / 2 / 2 / 1", { skip: vectorsMissing }, () => {
  const v = readVectorJson<{ cases: Array<PllRow & { fbDividerMin: number; fbDividerMax: number }> }>(
    'bm13xx/pll.json',
  );
  for (const c of v.cases) {
    const s = solvePll(c.targetMHz, c.fbDividerMin, c.fbDividerMax);
    assert.deepEqual(
      [s.fbDivider, s.refDivider, s.postDivider1, s.postDivider2],
      [c.fbDivider, c.refdiv, c.postdiv1, c.postdiv2],
    );
    assert.equal(s.frequencyMhz, c.actualMHz);
  }
});

test('PLL dividers, register 0x08 and the write packet for every listed frequency of every model', {
  skip: vectorsMissing,
}, () => {
  const rows = readVectorJson<{ pll: { rows: PllRow[] } }>('bm13xx/spec-crosscheck.json').pll.rows;
  const extra = readVectorJson<{ pll: PllRow[] }>('bm13xx/esp-miner-bm13xx.json').pll.filter((r) =>
    r.chip.startsWith('bm'),
  );
  const perModel = new Map<string, number>();
  for (const r of [...rows, ...extra]) {
    const model = chipModel(r.chip as ChipModelName);
    const s = solvePll(r.targetMHz, model.fbDividerMin, model.fbDividerMax);
    const what = `${r.chip} ${r.targetMHz} MHz`;
    assert.deepEqual(
      [s.fbDivider, s.refDivider, s.postDivider1, s.postDivider2],
      [r.fbDivider, r.refdiv, r.postdiv1, r.postdiv2],
      what,
    );
    assert.equal(s.frequencyMhz, r.actualMHz, what);
    const value = encodePllRegister(s, model);
    if (r.register08Bytes) assert.equal(value.toString(16).padStart(8, '0'), r.register08Bytes, what);
    const packet = r.packet ?? r.registerWritePacket;
    if (packet) assert.equal(bytesToHex(encodeWriteRegister('all', REG.PLL0_PARAMETER, value)), packet, what);
    // and back: MHz from the register value
    assert.equal(frequencyFromPllRegister(value, model), r.actualMHz, `${what} (reverse)`);
    perModel.set(r.chip, (perModel.get(r.chip) ?? 0) + 1);
  }
  for (const m of ['bm1397', 'bm1366', 'bm1368', 'bm1370'])
    assert.ok((perModel.get(m) ?? 0) >= 5, `${m}: ≥ 5 frequencies`);
});

test('older ESP-Miner dividers captured on a Gamma decode to their real frequencies (500 MHz ran 506.25)', {
  skip: vectorsMissing,
}, () => {
  const rows = readVectorJson<{
    pllOlderEspMinerCaptures: { rows: Array<{ capturedFbRefPostByte: string; capturedActualMHz: number }> };
  }>('bm13xx/spec-crosscheck.json').pllOlderEspMinerCaptures.rows;
  const bm1370 = chipModel('bm1370');
  for (const r of rows) {
    const value = Number.parseInt(`50${r.capturedFbRefPostByte}`, 16);
    assert.equal(frequencyFromPllRegister(value, bm1370), r.capturedActualMHz, r.capturedFbRefPostByte);
  }
});

test('BM1397 and BM1366 encode post dividers differently; the high-VCO flag is set at ≥ 2400 MHz', () => {
  const s = solvePll(485, 144, 235); // VCO 2425
  assert.equal(encodePllRegister(s, chipModel('bm1366')), 0x50c20240);
  assert.equal(encodePllRegister(s, chipModel('bm1397')), 0x40c20251);
  const d = decodePllRegister(0x40a00225, chipModel('bm1397')); // cgminer's 200 MHz capture
  assert.equal(d?.frequencyMhz, 200);
  assert.equal(decodePllRegister(0, chipModel('bm1370')), null);
});

test('a frequency no divider can reach is refused with the reason', () => {
  assert.throws(
    () => solvePll(5, 144, 235),
    (e: unknown) => e instanceof PllError && /no PLL setting reaches 5 MHz/.test(e.message),
  );
  assert.throws(() => solvePll(-1, 144, 235), PllError);
  assert.throws(() => solvePll(Number.NaN, 144, 235), PllError);
});

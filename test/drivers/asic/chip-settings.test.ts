import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ChipModelName,
  chipModel,
  expectedHashrateGhs,
  jobIdFromReply,
  jobIntervalMs,
  nonceOffsetsFor,
  subcoreFromReply,
} from '../../../drivers/asic/chip-model.js';
import { encodeWriteRegister } from '../../../drivers/asic/command.js';
import { frequencyRamp } from '../../../drivers/asic/frequency-ramp.js';
import { hashCountingNumber } from '../../../drivers/asic/hash-counting.js';
import { JobTable } from '../../../drivers/asic/job-table.js';
import { REG } from '../../../drivers/asic/registers.js';
import { decodeTicketMask, encodeTicketMask, ticketDifficultyFor } from '../../../drivers/asic/ticket-mask.js';
import {
  depositBits,
  encodeVersionRollingRegister,
  extractBits,
  versionAfter,
} from '../../../drivers/asic/version-rolling.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

function sc<T>(): T {
  return readVectorJson<T>('bm13xx/spec-crosscheck.json');
}

test('ticket mask: register bytes and effective difficulty for every row (cgminer and mujina agree)', {
  skip: vectorsMissing,
}, () => {
  const rows = sc<{
    ticketMask: {
      rows: Array<{ difficulty: number; effectiveDifficulty: number; registerBytes: string; packet: string }>;
    };
  }>().ticketMask.rows;
  for (const r of rows) {
    const value = encodeTicketMask(r.difficulty);
    assert.equal(value.toString(16).padStart(8, '0'), r.registerBytes, `difficulty ${r.difficulty}`);
    assert.equal(ticketDifficultyFor(r.difficulty), r.effectiveDifficulty);
    assert.equal(decodeTicketMask(value), r.effectiveDifficulty);
    assert.equal(bytesToHex(encodeWriteRegister('all', REG.TICKET_MASK, value)), r.packet);
  }
  assert.equal(ticketDifficultyFor(0.5), 1);
  assert.throws(() => ticketDifficultyFor(0), RangeError);
});

test('version rolling register and BM1397 midstate versions (ESP-Miner increment within the mask)', {
  skip: vectorsMissing,
}, () => {
  const v = sc<{
    versionRolling: {
      maskRegister: Array<{ poolMask: string; registerA4: string; packet: string }>;
      bm1397MidstateVersions_espMiner: { base: string; mask: string; versions: string[] };
      incrementBitmaskFromEspMinerTest: { start: string; mask: string; expectedSuccessive: string[] };
      incrementBitmaskCases: Array<{ value: string; mask: string; result: string }>;
    };
  }>().versionRolling;
  for (const r of v.maskRegister) {
    const reg = encodeVersionRollingRegister(Number.parseInt(r.poolMask, 16));
    assert.equal(reg.toString(16), r.registerA4);
    assert.equal(bytesToHex(encodeWriteRegister('all', REG.VERSION_ROLLING, reg)), r.packet);
  }
  const e = v.bm1397MidstateVersions_espMiner;
  const base = Number.parseInt(e.base, 16);
  const mask = Number.parseInt(e.mask, 16);
  assert.deepEqual(
    [0, 1, 2, 3].map((k) => versionAfter(base, mask, k).toString(16)),
    e.versions,
  );
  const t = v.incrementBitmaskFromEspMinerTest;
  const start = Number.parseInt(t.start, 16);
  assert.deepEqual(
    [1, 2, 3, 4].map((k) => versionAfter(start, Number.parseInt(t.mask, 16), k).toString(16).padStart(8, '0')),
    t.expectedSuccessive,
  );
  // Cases that do not overflow the field match ESP-Miner; on overflow hashaxe wraps inside the mask on purpose.
  for (const c of v.incrementBitmaskCases) {
    const got = versionAfter(Number.parseInt(c.value, 16), Number.parseInt(c.mask, 16), 1);
    if (c.value === '3fffe000')
      assert.equal(got, 0x20000000, 'wraps inside the mask (ESP-Miner carries out: 0x60000000)');
    else if (c.value === '0000000f') assert.equal(got, 0x00001000, 'carries to the next mask bit (ESP-Miner: 0x20)');
    else assert.equal(got.toString(16).padStart(8, '0'), c.result);
  }
});

test('bit deposit/extract are inverses on a non-contiguous mask', () => {
  const mask = 0x0000f00f;
  for (let v = 0; v < 256; v++) assert.equal(extractBits(depositBits(v, mask), mask), v);
  assert.equal(depositBits(0xffff, 0x1fffe000 >>> 13), 0xffff);
});

test('frequency ramps: 6.25 MHz steps from 50 MHz, exact target last, and downwards', { skip: vectorsMissing }, () => {
  const r = sc<{
    frequencyRamp: {
      examples: Record<string, { from: number; to: number; steps: number[] }>;
      downExample: { from: number; to: number; steps: Array<number | string> };
    };
  }>().frequencyRamp;
  for (const [chip, ex] of Object.entries(r.examples)) assert.deepEqual(frequencyRamp(ex.from, ex.to), ex.steps, chip);
  const down = frequencyRamp(r.downExample.from, r.downExample.to);
  const shown = r.downExample.steps;
  assert.deepEqual(down.slice(0, 5), shown.slice(0, 5));
  assert.deepEqual(down.slice(-3), shown.slice(-3));
  assert.deepEqual(frequencyRamp(485, 485), []);
  assert.deepEqual(frequencyRamp(485, 490), [490]);
  for (const steps of [frequencyRamp(50, 600), frequencyRamp(575, 62.5)]) {
    for (let i = 1; i < steps.length; i++) assert.ok(Math.abs(steps[i] - steps[i - 1]) <= 6.25 + 1e-9, 'never jumps');
  }
});

test('hash counting number for each board in the vectors', { skip: vectorsMissing }, () => {
  const rows = sc<{
    hashCountingNumber: {
      rows: Array<{ chip: string; chips: number; frequencyMHz: number; hcn: number; packet: string }>;
    };
  }>().hashCountingNumber.rows;
  for (const r of rows) {
    const m = chipModel(r.chip as ChipModelName);
    const hcn = hashCountingNumber(m.cores, r.chips, r.frequencyMHz, m.hashCountingErrataTicks ?? 0);
    assert.equal(hcn, r.hcn, `${r.chip} × ${r.chips} @ ${r.frequencyMHz}`);
    assert.equal(bytesToHex(encodeWriteRegister('all', REG.HASH_COUNTING_NUMBER, hcn)), r.packet);
  }
});

test("job ids follow each model's sequence, and replies map back to the id sent", { skip: vectorsMissing }, () => {
  const j = sc<{
    jobIds: Record<string, { sequence: number[] }> & {
      examples: Array<{ chip: string; sentJobByte: string; responseByte7: string; recovered: string; subcore: number }>;
    };
  }>().jobIds;
  for (const name of ['bm1397', 'bm1366', 'bm1368', 'bm1370'] as const) {
    const table = new JobTable(chipModel(name).jobIdStep);
    const seq = j[name].sequence.map(() => table.allocate().id);
    assert.deepEqual(seq, j[name].sequence, name);
  }
  for (const e of j.examples) {
    const m = chipModel(e.chip as ChipModelName);
    assert.equal(jobIdFromReply(m, Number.parseInt(e.responseByte7, 16)), Number.parseInt(e.recovered, 16));
    assert.equal(subcoreFromReply(m, Number.parseInt(e.responseByte7, 16)), e.subcore);
  }
});

test('job table: a recycled id resolves to the newest job; invalidation drops every slot', () => {
  const t = new JobTable(8);
  assert.equal(t.lookup(8), null, 'an id never sent names no job');
  const a = t.allocate();
  a.slot.baseVersion = 1;
  for (let i = 0; i < 15; i++) t.allocate();
  const again = t.allocate(); // 16 ids later: same id
  assert.equal(again.id, a.id);
  assert.equal(again.slot.generation, 2);
  again.slot.baseVersion = 2;
  assert.equal(t.lookup(a.id)?.baseVersion, 2);
  t.invalidateAll();
  assert.equal(t.lookup(a.id), null);
  assert.equal(t.lookup(0x99), null, 'bit 7 never names a slot');
  const fresh = t.allocate();
  assert.equal(t.lookup(fresh.id), fresh.slot, 'a job sent after the invalidation is live');
  assert.equal(t.lookup(a.id), null, 'the others stay invalid');
  t.invalidateAll();
  t.invalidateAll();
  assert.equal(t.lookup(fresh.id), null);
});

test('job intervals and expected hash rates (ESP-Miner)', { skip: vectorsMissing }, () => {
  const s = sc<{
    jobInterval: { rows: Array<{ chip: string; chips: number; frequencyMHz: number; jobIntervalMs: number }> };
    expectedHashrate: { rows: Array<{ chip: string; frequencyMHz: number; expectedGHs: number }> };
  }>();
  for (const r of s.jobInterval.rows) {
    const got = jobIntervalMs(chipModel(r.chip as ChipModelName), r.chips, r.frequencyMHz);
    assert.ok(Math.abs(got - r.jobIntervalMs) < 0.001, `${r.chip} × ${r.chips}: ${got}`);
  }
  for (const r of s.expectedHashrate.rows) {
    const got = expectedHashrateGhs(chipModel(r.chip as ChipModelName), r.frequencyMHz);
    assert.ok(Math.abs(got - r.expectedGHs) < 0.01, r.chip);
  }
  // ESP-Miner's timeout test: 1 × BM1397 at 450 MHz, 75 % of the sweep time → 27.962 ms
  assert.ok(Math.abs(jobIntervalMs(chipModel('bm1397'), 1, 450) * 0.75 - 27.962) < 0.001);
});

test('BM1370 nonce offsets split the counter evenly (factory values for a 65-chip S21 Pro)', () => {
  const o = nonceOffsetsFor(65);
  assert.equal(o[0], 0);
  assert.equal(o[1], 0x03f1);
  assert.equal(o[64], 0xfc10);
  assert.deepEqual(nonceOffsetsFor(2), [0, 0x8000]);
});

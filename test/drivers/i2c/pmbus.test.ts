import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeSlinear11,
  decodeUlinear16,
  encodeSlinear11,
  encodeSlinear11Int,
  encodeUlinear16,
  voutModeExponent,
} from '../../../drivers/i2c/pmbus.js';
import { Prng } from '../../support/prng.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface Peripherals {
  tps546: {
    slinear11: {
      rows: Array<{ field: string; value: number; slinear11: string; decodesTo: number; smbusWordBytesOnWire: string }>;
    };
    ulinear16: {
      rows: Array<{ field: string; volts: number; ulinear16_if_VOUT_MODE_0x17: string; decodesTo: number }>;
    };
  };
}

const hex4 = (w: number): string => w.toString(16).padStart(4, '0');
// ESP-Miner encodes kHz, °C and ms settings with its integer encoder, volts and amps with the float one.
const isIntegerSetting = (field: string): boolean => /kHz|\bC$| ms$/.test(field);

test('LINEAR11 encodings match the ESP-Miner TPS546 values', { skip: vectorsMissing }, () => {
  const v = readVectorJson<Peripherals>('bm13xx/bitaxe-peripherals.json');
  assert.ok(v.tps546.slinear11.rows.length >= 10);
  for (const row of v.tps546.slinear11.rows) {
    const word = isIntegerSetting(row.field) ? encodeSlinear11Int(row.value) : encodeSlinear11(row.value);
    assert.equal(hex4(word), row.slinear11, row.field);
    assert.equal(decodeSlinear11(Number.parseInt(row.slinear11, 16)), row.decodesTo, row.field);
    // On the wire an SMBus word is little-endian.
    assert.equal(`${hex4(word).slice(2)} ${hex4(word).slice(0, 2)}`, row.smbusWordBytesOnWire);
  }
});

test('ULINEAR16 VOUT encodings match at VOUT_MODE 0x17 (2^-9 V per step)', { skip: vectorsMissing }, () => {
  const v = readVectorJson<Peripherals>('bm13xx/bitaxe-peripherals.json');
  const e = voutModeExponent(0x17);
  assert.equal(e, -9);
  for (const row of v.tps546.ulinear16.rows) {
    assert.equal(hex4(encodeUlinear16(row.volts, e)), row.ulinear16_if_VOUT_MODE_0x17, row.field);
    assert.equal(decodeUlinear16(Number.parseInt(row.ulinear16_if_VOUT_MODE_0x17, 16), e), row.decodesTo);
  }
});

test('LINEAR11 round-trips within one mantissa step, negative values included (seeded)', () => {
  const rng = new Prng(546);
  for (let i = 0; i < 2000; i++) {
    const value = (rng.u32() / 2 ** 32 - 0.5) * 2 * 10 ** (rng.int(6) - 2);
    const word = encodeSlinear11(value);
    const back = decodeSlinear11(word);
    const exponent = ((word >> 11) << 27) >> 27;
    assert.ok(Math.abs(back - value) <= 2 ** exponent + 1e-12, `${value} → ${hex4(word)} → ${back}`);
    assert.ok(Math.abs(back) <= Math.abs(value) + 1e-12, 'truncates toward zero');
  }
  assert.equal(encodeSlinear11(0), 0);
  assert.equal(decodeSlinear11(0xfffe), -2 * 2 ** -1, 'exponent -1, mantissa -2');
  assert.throws(() => encodeSlinear11(Number.NaN), RangeError);
  assert.throws(() => encodeUlinear16(200, -9), RangeError);
  assert.throws(() => encodeSlinear11Int(-3), RangeError);
});

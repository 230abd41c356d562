import assert from 'node:assert/strict';
import { test } from 'node:test';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import {
  bytesToBigInt,
  ellswiftDecodeX,
  ellswiftEncode,
  isValidX,
  xswiftec,
  xswiftecInv,
} from '../../../../src/sv2/noise/ellswift.js';
import { createNoiseKeypair } from '../../../../src/sv2/noise/keys.js';
import { bip324EcdhSecret, ellswiftEcdhX } from '../../../../src/sv2/noise/xonly-ecdh.js';
import { bytesToHex, hexToBytes } from '../../../../src/util/hex.js';
import { parseCsv } from '../../../support/csv.js';
import { Prng } from '../../../support/prng.js';
import { readVectorJson, readVectorText, vectorsMissing } from '../../../support/vectors.js';

test('BIP324 ellswift_decode_test_vectors.csv: every encoding decodes to its x', { skip: vectorsMissing }, () => {
  const rows = parseCsv(readVectorText('bip324/ellswift_decode_test_vectors.csv'));
  assert.equal(rows.length, 76);
  for (const row of rows) {
    assert.equal(bytesToHex(ellswiftDecodeX(hexToBytes(row.ellswift))), row.x, row.comment);
  }
});

test('BIP324 xswiftec_inv_test_vectors.csv: every case gives the listed t or none', { skip: vectorsMissing }, () => {
  const rows = parseCsv(readVectorText('bip324/xswiftec_inv_test_vectors.csv'));
  assert.equal(rows.length, 32);
  let found = 0;
  for (const row of rows) {
    const u = bytesToBigInt(hexToBytes(row.u));
    const x = bytesToBigInt(hexToBytes(row.x));
    for (let c = 0; c < 8; c++) {
      const expected = row[`case${c}_t`];
      const t = xswiftecInv(x, u, c);
      if (expected === '') {
        assert.equal(t, null, `u=${row.u} case ${c}: ${row.comment}`);
      } else {
        assert.notEqual(t, null, `u=${row.u} case ${c}`);
        assert.equal(t!.toString(16).padStart(64, '0'), expected, `u=${row.u} case ${c}`);
        // And the forward map takes it back to x.
        assert.equal(xswiftec(u, t!), x);
        found++;
      }
    }
  }
  assert.equal(found, 98, 'every listed preimage checked (the other 158 of 256 cases: none, also checked)');
});

test('BIP324 packet_encoding_test_vectors.csv: decode, x-only ECDH and the tagged shared secret', {
  skip: vectorsMissing,
}, () => {
  const rows = parseCsv(readVectorText('bip324/packet_encoding_test_vectors.csv'));
  assert.equal(rows.length, 7);
  for (const row of rows) {
    const priv = hexToBytes(row.in_priv_ours);
    const ours = hexToBytes(row.in_ellswift_ours);
    const theirs = hexToBytes(row.in_ellswift_theirs);
    const ourX = secp256k1.Point.BASE.multiply(bytesToBigInt(priv)).toAffine().x;
    assert.equal(bytesToHex(ellswiftDecodeX(ours)), row.mid_x_ours, `row ${row.in_idx}: our encoding`);
    assert.equal(ourX.toString(16).padStart(64, '0'), row.mid_x_ours, `row ${row.in_idx}: our key`);
    assert.equal(bytesToHex(ellswiftDecodeX(theirs)), row.mid_x_theirs, `row ${row.in_idx}: their encoding`);
    assert.equal(bytesToHex(ellswiftEcdhX(priv, theirs)), row.mid_x_shared, `row ${row.in_idx}: shared x`);
    const secret = bip324EcdhSecret(priv, theirs, ours, row.in_initiating === '1');
    assert.equal(bytesToHex(secret), row.mid_shared_secret, `row ${row.in_idx}: shared secret`);
  }
});

interface NoiseFixed {
  inputs: Record<string, string>;
}

test('the encoder reproduces libsecp256k1/SRI deterministic encodings of the fixed-key handshake', {
  skip: vectorsMissing,
}, () => {
  const { inputs } = readVectorJson<NoiseFixed>('sv2/noise-handshake-fixed-keys.json');
  const zero = new Uint8Array(32);
  for (const [secretKey, ellKey] of [
    ['initiatorEphemeralSecret', 'initiatorEphemeralEllSwift'],
    ['responderEphemeralSecret', 'responderEphemeralEllSwift'],
    ['responderStaticSecret', 'responderStaticEllSwift'],
  ]) {
    const kp = createNoiseKeypair(hexToBytes(inputs[secretKey]), zero);
    assert.equal(bytesToHex(kp.secret), inputs[secretKey], `${secretKey} already has even Y`);
    assert.equal(bytesToHex(kp.ellswift), inputs[ellKey], ellKey);
  }
  const stat = createNoiseKeypair(hexToBytes(inputs.responderStaticSecret), zero);
  assert.equal(bytesToHex(stat.xOnly), inputs.responderStaticXOnly);
});

test('random encodings decode back to the key (500 seeded keys, both Y parities)', () => {
  const prng = new Prng(324);
  for (let i = 0; i < 500; i++) {
    const secret = prng.bytes(32);
    secret[0] &= 0x7f; // below n
    secret[31] |= 1; // non-zero
    const point = secp256k1.Point.BASE.multiply(bytesToBigInt(secret));
    const compressed = point.toBytes(true);
    const enc = ellswiftEncode(compressed, prng.bytes(32));
    const x = bytesToBigInt(ellswiftDecodeX(enc));
    assert.equal(x, point.toAffine().x);
    assert.equal((bytesToBigInt(enc, 32) & 1n) === 1n, compressed[0] === 3, 'parity of t carries Y');
  }
});

test('any 64 bytes decode to a valid x (seeded random inputs, including u, t ≥ p)', () => {
  const prng = new Prng(7);
  for (let i = 0; i < 300; i++) {
    const bytes = prng.bytes(64);
    if (i % 3 === 0) bytes.fill(0xff, 0, 28);
    assert.ok(isValidX(bytesToBigInt(ellswiftDecodeX(bytes))));
  }
});

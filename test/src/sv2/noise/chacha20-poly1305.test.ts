import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { readU32LE } from '../../../../src/bitcoin/header.js';
import { chachaXor } from '../../../../src/sv2/noise/chacha20.js';
import { ChaCha20Poly1305 } from '../../../../src/sv2/noise/chacha20-poly1305.js';
import { Poly1305 } from '../../../../src/sv2/noise/poly1305.js';
import { bytesToHex } from '../../../../src/util/hex.js';
import { Prng } from '../../../support/prng.js';

/** The 12-byte nonce the three words stand for. */
function nonceBytes(n0: number, n1: number, n2: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, n0, true);
  v.setUint32(4, n1, true);
  v.setUint32(8, n2, true);
  return b;
}

function keyWords(key: Uint8Array): Uint32Array {
  const w = new Uint32Array(key.length / 4);
  for (let i = 0; i < w.length; i++) w[i] = readU32LE(key, 4 * i);
  return w;
}

const P = (1n << 130n) - 5n;

function leToBig(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** Poly1305 straight from its definition, over whole 16-byte blocks (bit 128 set on each). */
function poly1305Reference(key: Uint8Array, blocks: Uint8Array): Uint8Array {
  const r = leToBig(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leToBig(key.subarray(16, 32));
  let h = 0n;
  for (let i = 0; i < blocks.length; i += 16) h = ((h + leToBig(blocks.subarray(i, i + 16)) + (1n << 128n)) * r) % P;
  let tag = (h + s) & ((1n << 128n) - 1n);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}

function poly1305(key: Uint8Array, blocks: Uint8Array): Uint8Array {
  const p = new Poly1305();
  p.reset(keyWords(key));
  for (let i = 0; i < blocks.length; i += 16) p.block(blocks, i);
  p.finish();
  return p.tag.slice();
}

test('ChaCha20-Poly1305 seals exactly as @noble/ciphers on 3,000 random keys, nonces, associated data and lengths', () => {
  const rng = new Prng(0x8439);
  const lengths = [0, 1, 6, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 4096, 65_535];
  for (let n = 0; n < 3000; n++) {
    const key = rng.bytes(32);
    const n0 = rng.u32();
    const n1 = rng.u32();
    const n2 = rng.u32();
    const ad = rng.bytes(n % 7 === 0 ? rng.int(70) : 0);
    const length = n < lengths.length ? lengths[n] : rng.int(300);
    const plain = rng.bytes(length);
    const expected = chacha20poly1305(key, nonceBytes(n0, n1, n2), ad).encrypt(plain);

    const buf = new Uint8Array(length + 16 + 5);
    buf.set(plain, 3);
    new ChaCha20Poly1305(key).seal(n0, n1, n2, ad, buf, 3, length);
    assert.equal(bytesToHex(buf.subarray(3, 3 + length + 16)), bytesToHex(expected), `case ${n}, ${length} bytes`);
    assert.deepEqual(
      [...buf.subarray(0, 3), ...buf.subarray(3 + length + 16)],
      [0, 0, 0, 0, 0],
      'nothing else written',
    );
  }
});

test('open: the right tag decrypts (in place or into another buffer); any flipped bit is refused and writes nothing', () => {
  const rng = new Prng(0x1305);
  for (let n = 0; n < 300; n++) {
    const key = rng.bytes(32);
    const aead = new ChaCha20Poly1305(key);
    const ad = rng.bytes(rng.int(40));
    const length = rng.int(200);
    const plain = rng.bytes(length);
    const sealed = chacha20poly1305(key, nonceBytes(0, n, 0), ad).encrypt(plain);

    const inPlace = sealed.slice();
    assert.equal(aead.open(0, n, 0, ad, inPlace, 0, length, inPlace, 0), true);
    assert.deepEqual(inPlace.subarray(0, length), plain);

    const out = new Uint8Array(length + 2);
    assert.equal(aead.open(0, n, 0, ad, sealed, 0, length, out, 1), true);
    assert.deepEqual(out.subarray(1, 1 + length), plain);

    const bit = rng.int((length + 16) * 8);
    const tampered = sealed.slice();
    tampered[bit >> 3] ^= 1 << (bit & 7);
    const untouched = new Uint8Array(length).fill(0xa5);
    assert.equal(aead.open(0, n, 0, ad, tampered, 0, length, untouched, 0), false, `bit ${bit} of ${length + 16}`);
    assert.ok(
      untouched.every((b) => b === 0xa5),
      'a refused message writes no plaintext',
    );
    assert.equal(
      aead.open(0, n + 1, 0, ad, sealed.slice(), 0, length, new Uint8Array(length), 0),
      false,
      'wrong nonce',
    );
    if (ad.length > 0) {
      const otherAd = ad.slice();
      otherAd[0] ^= 0x80;
      assert.equal(aead.open(0, n, 0, otherAd, sealed.slice(), 0, length, new Uint8Array(length), 0), false);
    }
  }
});

test('the ChaCha20 key stream matches @noble/ciphers from any block counter, across block boundaries', () => {
  const rng = new Prng(7);
  const block = new Uint32Array(16);
  for (let n = 0; n < 200; n++) {
    const key = rng.bytes(32);
    const [n0, n1, n2] = [rng.u32(), rng.u32(), rng.u32()];
    const counter = n === 0 ? 0xfffffff0 : rng.int(0xfffffff0);
    const data = rng.bytes(rng.int(300));
    const expected = chacha20(key, nonceBytes(n0, n1, n2), data, undefined, counter);
    const buf = data.slice();
    chachaXor(keyWords(key), counter, n0, n1, n2, buf, 0, buf.length, block);
    assert.equal(bytesToHex(buf), bytesToHex(expected), `case ${n}`);
  }
});

test('Poly1305 equals its definition on random keys and on the edges of the arithmetic', () => {
  const rng = new Prng(99);
  const ones = new Uint8Array(16 * 8).fill(0xff);
  const cases: Array<[Uint8Array, Uint8Array]> = [];
  for (let n = 0; n < 400; n++) cases.push([rng.bytes(32), rng.bytes(16 * (1 + rng.int(6)))]);
  // r with every bit the clamp allows, s all ones (the final addition carries through every byte).
  const maxR = new Uint8Array(32).fill(0xff);
  for (const [i, m] of [
    [3, 0x0f],
    [7, 0x0f],
    [11, 0x0f],
    [15, 0x0f],
    [4, 0xfc],
    [8, 0xfc],
    [12, 0xfc],
  ]) {
    maxR[i] &= m;
  }
  cases.push([maxR, ones], [maxR, new Uint8Array(32)], [new Uint8Array(32).fill(0xff), ones]);
  for (let n = 0; n < 100; n++) cases.push([rng.bytes(32), ones.subarray(0, 16 * (1 + (n % 8)))]);
  for (const [key, blocks] of cases) {
    assert.equal(bytesToHex(poly1305(key, blocks)), bytesToHex(poly1305Reference(key, blocks)));
  }
});

test('Poly1305 reduces an accumulator that lands on p .. p + 4 (the final conditional subtraction)', () => {
  // r = 1, s = 0: three blocks give h = m + 3·2^128 unreduced. m = 2^128 − 5 + j puts h at p + j, whose tag is j.
  const key = new Uint8Array(32);
  key[0] = 1;
  for (let j = 0; j < 5; j++) {
    const blocks = new Uint8Array(48);
    blocks.fill(0xff, 0, 16);
    blocks[0] = 0xfb + j;
    const tag = poly1305(key, blocks);
    assert.equal(bytesToHex(tag), bytesToHex(poly1305Reference(key, blocks)));
    assert.equal(leToBig(tag), BigInt(j));
  }
  // Just below p: the tag is p − 1 mod 2^128.
  const below = new Uint8Array(48);
  below.fill(0xff, 0, 16);
  below[0] = 0xfa;
  assert.equal(leToBig(poly1305(key, below)), (P - 1n) & ((1n << 128n) - 1n));
});

test('a keyed ChaCha20Poly1305 refuses a key that is not 32 bytes and a buffer with no room for the tag', () => {
  assert.throws(() => new ChaCha20Poly1305(new Uint8Array(16)), RangeError);
  const aead = new ChaCha20Poly1305(new Uint8Array(32));
  assert.throws(() => aead.seal(0, 0, 0, new Uint8Array(0), new Uint8Array(20), 0, 5), RangeError);
  assert.throws(
    () => aead.open(0, 0, 0, new Uint8Array(0), new Uint8Array(20), 0, 5, new Uint8Array(5), 0),
    RangeError,
  );
});

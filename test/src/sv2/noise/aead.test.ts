import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ChaChaPolyAead } from '../../../../src/sv2/noise/aead.js';
import { CipherState } from '../../../../src/sv2/noise/cipher-state.js';
import { NoiseError } from '../../../../src/sv2/noise/errors.js';
import { bytesToHex, hexToBytes } from '../../../../src/util/hex.js';
import { Prng } from '../../../support/prng.js';
import { repoRoot } from '../../../support/vectors.js';

interface Rfc8439Case {
  name: string;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertext: string;
  tag: string;
}
const rfc8439 = JSON.parse(readFileSync(join(repoRoot(), 'test/vectors/crypto/rfc8439-aead.json'), 'utf8')) as {
  cases: Rfc8439Case[];
};

/** The 96-bit nonce as the three little-endian words the AEAD takes. */
function nonceWords(nonce: Uint8Array): [number, number, number] {
  const v = new DataView(nonce.buffer, nonce.byteOffset, 12);
  return [v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)];
}

function nonceBytes(n0: number, n1: number, n2: number): Uint8Array {
  const b = new Uint8Array(12);
  const v = new DataView(b.buffer);
  v.setUint32(0, n0, true);
  v.setUint32(4, n1, true);
  v.setUint32(8, n2, true);
  return b;
}

test('the RFC 8439 AEAD vectors seal and open byte for byte (2.8.2 and A.5)', () => {
  assert.equal(rfc8439.cases.length, 2);
  for (const c of rfc8439.cases) {
    const [n0, n1, n2] = nonceWords(hexToBytes(c.nonce));
    const aead = new ChaChaPolyAead(hexToBytes(c.key));
    const plain = hexToBytes(c.plaintext);
    const buf = new Uint8Array(plain.length + 16);
    buf.set(plain);
    aead.seal(n0, n1, n2, hexToBytes(c.aad), buf, 0, plain.length);
    assert.equal(bytesToHex(buf), c.ciphertext + c.tag, c.name);

    const out = new Uint8Array(plain.length);
    assert.equal(aead.open(n0, n1, n2, hexToBytes(c.aad), buf, 0, plain.length, out, 0), true, c.name);
    assert.equal(bytesToHex(out), c.plaintext, c.name);
  }
});

test('Noise nonces: CipherState uses nonce (0, counter) and counts one per message, as the RFC AEAD would', () => {
  const key = new Uint8Array(32).map((_, i) => i + 1);
  const sender = new CipherState(key);
  const receiver = new CipherState(key);
  const ad = Uint8Array.of(1, 2, 3);
  for (let counter = 0; counter < 5; counter++) {
    const plain = new Uint8Array(counter * 7).fill(counter);
    const sealed = sender.encrypt(plain, ad);
    const expected = chacha20poly1305(key, nonceBytes(0, counter, 0), ad).encrypt(plain);
    assert.equal(bytesToHex(sealed), bytesToHex(expected), `message ${counter}`);
    assert.deepEqual(receiver.decrypt(sealed, ad), plain);
  }
  assert.equal(sender.nonceCounter, 5);
});

test('OpenSSL and @noble/ciphers agree on 2,000 random keys, nonces, associated data and lengths (0 to 65,535)', () => {
  const rng = new Prng(0x8439);
  const lengths = [0, 1, 6, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000, 4096, 65_519, 65_535];
  for (let n = 0; n < 2000; n++) {
    const key = rng.bytes(32);
    const [n0, n1, n2] = [rng.u32(), rng.u32(), rng.u32()];
    const ad = rng.bytes(n % 7 === 0 ? rng.int(70) : 0);
    const length = n < lengths.length ? lengths[n] : rng.int(300);
    const plain = rng.bytes(length);
    const expected = chacha20poly1305(key, nonceBytes(n0, n1, n2), ad).encrypt(plain);

    const buf = new Uint8Array(length + 16 + 5);
    buf.set(plain, 3);
    new ChaChaPolyAead(key).seal(n0, n1, n2, ad, buf, 3, length);
    assert.equal(bytesToHex(buf.subarray(3, 3 + length + 16)), bytesToHex(expected), `case ${n}, ${length} bytes`);
    assert.deepEqual([...buf.subarray(0, 3), ...buf.subarray(3 + length + 16)], [0, 0, 0, 0, 0], 'nothing else');
  }
});

test('open: the right tag decrypts (in place or into another buffer); any flipped bit is refused and writes nothing', () => {
  const rng = new Prng(0x1305);
  for (let n = 0; n < 300; n++) {
    const key = rng.bytes(32);
    const aead = new ChaChaPolyAead(key);
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
    assert.equal(aead.open(0, n + 1, 0, ad, sealed.slice(), 0, length, new Uint8Array(length), 0), false, 'nonce');
    if (ad.length > 0) {
      const otherAd = ad.slice();
      otherAd[0] ^= 0x80;
      assert.equal(aead.open(0, n, 0, otherAd, sealed.slice(), 0, length, new Uint8Array(length), 0), false, 'ad');
    }
  }
});

test('a prepared sealing context seals only its own nonce, once; other nonces still seal correctly', () => {
  const rng = new Prng(0xaead);
  const key = rng.bytes(32);
  const aead = new ChaChaPolyAead(key);
  const sealWith = (n1: number, plain: Uint8Array, ad = new Uint8Array(0)): string => {
    const buf = new Uint8Array(plain.length + 16);
    buf.set(plain);
    aead.seal(0, n1, 0, ad, buf, 0, plain.length);
    return bytesToHex(buf);
  };
  const expect = (n1: number, plain: Uint8Array, ad = new Uint8Array(0)): string =>
    bytesToHex(chacha20poly1305(key, nonceBytes(0, n1, 0), ad).encrypt(plain));
  const a = rng.bytes(24);
  const b = rng.bytes(6);
  aead.prepareSeal(0, 5, 0);
  aead.prepareSeal(0, 6, 0);
  assert.equal(sealWith(6, a), expect(6, a), 'the second prepared nonce first');
  assert.equal(sealWith(7, a), expect(7, a), 'a nonce nobody prepared');
  assert.equal(sealWith(5, b, Uint8Array.of(9, 9)), expect(5, b, Uint8Array.of(9, 9)), 'prepared, with AAD');
  assert.equal(sealWith(5, a), expect(5, a), 'the same nonce again: a fresh context, not the used one');
  for (let n = 10; n < 20; n++) aead.prepareSeal(0, n, 0);
  assert.equal(sealWith(18, a), expect(18, a), 'only the latest two are kept; they still match');
  assert.equal(sealWith(12, b), expect(12, b), 'an evicted nonce seals from scratch');
});

test('a sending CipherState readies its next nonces after the turn and they seal the same bytes', async () => {
  const key = new Uint8Array(32).map((_, i) => 255 - i);
  const sender = new CipherState(key);
  const receiver = new CipherState(key);
  for (let frame = 0; frame < 6; frame++) {
    const header = new Uint8Array(6 + 16).fill(frame);
    const payload = new Uint8Array(24 + 16).fill(frame + 1);
    sender.encryptInPlace(header, 0, 6);
    if (frame % 3 !== 2) sender.encryptInPlace(payload, 0, 24);
    assert.deepEqual(receiver.decrypt(header), new Uint8Array(6).fill(frame));
    if (frame % 3 !== 2) assert.deepEqual(receiver.decrypt(payload), new Uint8Array(24).fill(frame + 1));
    await new Promise((resolve) => setImmediate(resolve));
  }
});

test('a tampered frame is a NoiseError naming the failure; the AEAD refuses a short key and a buffer with no tag room', () => {
  const key = new Uint8Array(32).fill(9);
  const sealed = new CipherState(key).encrypt(Uint8Array.of(1, 2, 3));
  sealed[0] ^= 1;
  assert.throws(
    () => new CipherState(key).decrypt(sealed),
    (err: unknown) => err instanceof NoiseError && err.code === 'frame-auth-failed',
  );
  assert.throws(() => new ChaChaPolyAead(new Uint8Array(16)), RangeError);
  const aead = new ChaChaPolyAead(key);
  assert.throws(() => aead.seal(0, 0, 0, new Uint8Array(0), new Uint8Array(20), 0, 5), RangeError);
  assert.throws(
    () => aead.open(0, 0, 0, new Uint8Array(0), new Uint8Array(20), 0, 5, new Uint8Array(5), 0),
    RangeError,
  );
});

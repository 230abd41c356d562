import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { FRAME_HEADER_BYTES } from '../../../../src/sv2/codec/frame-header.js';
import {
  AuthorityKeyError,
  encodeAuthorityKey,
  encodeSecretKey,
  parseAuthorityKey,
  parseSecretKey,
} from '../../../../src/sv2/noise/authority-key.js';
import { base58CheckDecode, base58CheckEncode } from '../../../../src/sv2/noise/base58check.js';
import {
  CERTIFICATE_BYTES,
  certificateDigest,
  DEFAULT_CERTIFICATE_LEEWAY_SEC,
} from '../../../../src/sv2/noise/certificate.js';
import { AEAD_TAG_BYTES } from '../../../../src/sv2/noise/cipher-state.js';
import { ELLSWIFT_BYTES } from '../../../../src/sv2/noise/ellswift.js';
import {
  ENCRYPTED_HEADER_BYTES,
  MAX_CIPHERTEXT_CHUNK,
  MAX_PLAINTEXT_CHUNK,
} from '../../../../src/sv2/noise/frame-cipher.js';
import {
  ENCRYPTED_CERTIFICATE_BYTES,
  ENCRYPTED_KEY_BYTES,
  INITIATOR_MESSAGE_BYTES,
  NoiseInitiator,
  RESPONDER_MESSAGE_BYTES,
} from '../../../../src/sv2/noise/handshake.js';
import { createNoiseKeypair } from '../../../../src/sv2/noise/keys.js';
import { NOISE_PROTOCOL_NAME, SymmetricState } from '../../../../src/sv2/noise/symmetric-state.js';
import { bytesToHex, hexToBytes } from '../../../../src/util/hex.js';
import { parseCsv } from '../../../support/csv.js';
import { readVectorJson, readVectorText, vectorsMissing } from '../../../support/vectors.js';

test('BIP340 test-vectors.csv: every signing and verification case (the certificate primitive)', {
  skip: vectorsMissing,
}, () => {
  const rows = parseCsv(readVectorText('bip340/test-vectors.csv'));
  assert.equal(rows.length, 19);
  let signed = 0;
  for (const row of rows) {
    const msg = hexToBytes(row.message);
    const sig = hexToBytes(row.signature);
    const pub = hexToBytes(row['public key']);
    if (row['secret key'] !== '') {
      const sk = hexToBytes(row['secret key']);
      assert.equal(bytesToHex(schnorr.getPublicKey(sk)), row['public key'].toLowerCase(), `#${row.index} pubkey`);
      assert.equal(
        bytesToHex(schnorr.sign(msg, sk, hexToBytes(row.aux_rand))),
        row.signature.toLowerCase(),
        `#${row.index}`,
      );
      signed++;
    }
    const expected = row['verification result'] === 'TRUE';
    let ok: boolean;
    try {
      ok = schnorr.verify(sig, msg, pub);
    } catch {
      ok = false;
    }
    assert.equal(ok, expected, `#${row.index}: ${row.comment}`);
  }
  assert.equal(signed, 8, 'every row with a secret key signed');
});

interface Constants {
  constants: Array<{ name: string; value?: number | string; hex?: string; ascii?: string }>;
  authorityKeyPair: Record<string, string>;
}

test('noise-constants.json: every constant (name and hash, sizes, certificate digest, parity), the SRI key pair', {
  skip: vectorsMissing,
}, () => {
  const c = readVectorJson<Constants>('sv2/noise-constants.json');
  const sizes: Record<string, number> = {
    AEAD_MAC_LEN: AEAD_TAG_BYTES,
    ELLSWIFT_ENCODING_SIZE: ELLSWIFT_BYTES,
    ENCRYPTED_ELLSWIFT_ENCODING_SIZE: ENCRYPTED_KEY_BYTES,
    SIGNATURE_NOISE_MESSAGE_SIZE: CERTIFICATE_BYTES,
    ENCRYPTED_SIGNATURE_NOISE_MESSAGE_SIZE: ENCRYPTED_CERTIFICATE_BYTES,
    INITIATOR_EXPECTED_HANDSHAKE_MESSAGE_SIZE: RESPONDER_MESSAGE_BYTES,
    SV2_FRAME_HEADER_SIZE: FRAME_HEADER_BYTES,
    SV2_FRAME_CHUNK_SIZE: MAX_CIPHERTEXT_CHUNK,
  };
  const checked: string[] = [];
  for (const k of c.constants) {
    switch (k.name) {
      case 'protocolName':
        assert.equal(NOISE_PROTOCOL_NAME, k.ascii);
        assert.equal(bytesToHex(new TextEncoder().encode(NOISE_PROTOCOL_NAME)), k.hex);
        break;
      case 'NOISE_HASHED_PROTOCOL_NAME_CHACHA':
        assert.equal(bytesToHex(sha256(new TextEncoder().encode(NOISE_PROTOCOL_NAME))), k.hex);
        assert.equal(bytesToHex(new SymmetricState().ck), k.hex, 'the initial chaining key');
        break;
      case 'NOISE_FRAME_HEADER_SIZE': {
        // An SRI leftover: nothing on the wire carries it; the initiator's first message is the bare 64-byte key.
        assert.equal(k.value, 2);
        const init = new NoiseInitiator({ authorityKey: null, nowSec: () => 0 });
        assert.equal(init.start().length, INITIATOR_MESSAGE_BYTES);
        assert.equal(INITIATOR_MESSAGE_BYTES, 64);
        break;
      }
      case 'certificateSignedMessage': {
        // sha256(version u16 | valid_from u32 | not_valid_after u32 | static x-only key), all little-endian.
        const key = new Uint8Array(32).map((_, i) => i);
        const expected = sha256(Uint8Array.of(0x02, 0x01, 0x10, 0x20, 0x30, 0x40, 0xa0, 0xb0, 0xc0, 0xd0, ...key));
        assert.equal(bytesToHex(certificateDigest(0x0102, 0x40302010, 0xd0c0b0a0, key)), bytesToHex(expected));
        assert.match(String((k as { meaning?: string }).meaning), /10 s of clock leeway/);
        assert.equal(DEFAULT_CERTIFICATE_LEEWAY_SEC, 10);
        break;
      }
      case 'parity':
        assert.equal(k.value, 'even');
        for (let i = 1; i <= 8; i++) {
          // Secrets 1..8 include odd-Y points; each key pair comes out with an even Y.
          const kp = createNoiseKeypair(Uint8Array.of(...new Uint8Array(31), i), new Uint8Array(32));
          const y = secp256k1.Point.BASE.multiply(BigInt(`0x${bytesToHex(kp.secret)}`)).toAffine().y;
          assert.equal(y & 1n, 0n, `secret ${i}`);
        }
        break;
      case 'ecdh':
        // The BIP324 tagged x-only ECDH, initiator = party A: exercised against packet_encoding_test_vectors.csv
        // (ellswift.test.ts) and step by step in the fixed-key transcript (handshake-vectors.test.ts).
        assert.match(String((k as { meaning?: string }).meaning), /party A/);
        break;
      default:
        assert.ok(k.name in sizes, `constant ${k.name} is not checked by this test`);
        assert.equal(sizes[k.name], k.value, k.name);
    }
    checked.push(k.name);
  }
  assert.equal(checked.length, 14);
  assert.equal(MAX_PLAINTEXT_CHUNK, 65519);
  assert.equal(ENCRYPTED_HEADER_BYTES, 22);

  const kp = c.authorityKeyPair;
  const pub = parseAuthorityKey(kp.publicKeyBase58);
  assert.equal(bytesToHex(pub), kp.publicKeyXOnly);
  assert.equal(bytesToHex(base58CheckDecode(kp.publicKeyBase58)), kp.publicKeyDecoded);
  assert.equal(kp.publicKeyDecoded.slice(0, 4), kp.publicKeyVersionLE);
  assert.equal(encodeAuthorityKey(pub), kp.publicKeyBase58);
  const secret = parseSecretKey(kp.privateKeyBase58);
  assert.equal(bytesToHex(secret), kp.privateKey);
  assert.equal(encodeSecretKey(secret), kp.privateKeyBase58);
  const point = secp256k1.Point.BASE.multiply(BigInt(`0x${kp.privateKey}`)).toAffine();
  assert.equal(point.x.toString(16).padStart(64, '0'), kp.publicKeyXOnly);
  assert.equal(point.y & 1n, 0n, 'even Y');
});

test('authority keys: the old un-prefixed form is recognised and the error gives the converted key', () => {
  // Braiins' pre-2024 string and the spec's test key in the current format are the same 32 bytes.
  const legacy = 'u95GEReVMjK6k5YqiSFNqqTnKU4ypU2Wm8awa6tmbmDmk1bWt';
  const current = '9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh';
  assert.equal(bytesToHex(parseAuthorityKey(current)), bytesToHex(base58CheckDecode(legacy)));
  assert.ok(bytesToHex(parseAuthorityKey(current)).startsWith('76637000979c'));
  assert.throws(
    () => parseAuthorityKey(legacy),
    (e: unknown) => e instanceof AuthorityKeyError && /pre-2024/.test(e.message) && e.message.includes(current),
  );
});

test('authority keys: typos, wrong lengths, wrong versions and off-curve keys each get their own message', () => {
  const good = '9auqWEzQDVyd2oe1JVGFLMLHZtCo2FFqZwtKA5gd9xbuEu7PH72';
  const cases: Array<[string, RegExp]> = [
    [`${good.slice(0, -1)}3`, /checksum/],
    ['9auqWEzQ0Vyd', /not base58.*"0"/],
    [base58CheckEncode(new Uint8Array(20)), /20 bytes; expected 34/],
    [base58CheckEncode(Uint8Array.of(2, 0, ...new Uint8Array(32).fill(1))), /version 2/],
    // x = 5 is not on secp256k1 (5³ + 7 = 132 is not a square mod p).
    [base58CheckEncode(Uint8Array.of(1, 0, ...new Uint8Array(31), 5)), /not a point/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(
      () => parseAuthorityKey(text),
      (e: unknown) => e instanceof AuthorityKeyError && reason.test(e.message),
      text,
    );
  }
});

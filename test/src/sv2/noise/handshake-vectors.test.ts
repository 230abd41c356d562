import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeFrame } from '../../../../src/sv2/codec/frame.js';
import { NewExtendedMiningJob } from '../../../../src/sv2/messages/mining.js';
import { decodeFrameBytes } from '../../../../src/sv2/messages/registry.js';
import { parseAuthorityKey, parseSecretKey } from '../../../../src/sv2/noise/authority-key.js';
import { decodeCertificate, signCertificate, verifyCertificate } from '../../../../src/sv2/noise/certificate.js';
import { CipherState } from '../../../../src/sv2/noise/cipher-state.js';
import { CertificateError, NoiseError } from '../../../../src/sv2/noise/errors.js';
import {
  EncryptedFrameReader,
  EncryptedFrameWriter,
  encryptedFrameLength,
  encryptFrame,
} from '../../../../src/sv2/noise/frame-cipher.js';
import { NoiseInitiator, NoiseResponder, RESPONDER_MESSAGE_BYTES } from '../../../../src/sv2/noise/handshake.js';
import { createNoiseKeypair } from '../../../../src/sv2/noise/keys.js';
import { NOISE_PROTOCOL_NAME, SymmetricState } from '../../../../src/sv2/noise/symmetric-state.js';
import { bip324EcdhSecret, ellswiftEcdhX } from '../../../../src/sv2/noise/xonly-ecdh.js';
import { bytesToHex, hexToBytes } from '../../../../src/util/hex.js';
import { readVectorJson, vectorsMissing } from '../../../support/vectors.js';

type Step = Record<string, string>;
interface FixedKeys {
  inputs: Record<string, string> & {
    certificate: {
      version: number;
      validFrom: number;
      notValidAfter: number;
      signedMessage: string;
      signedDigest: string;
    };
    verifierNow: number;
  };
  steps: Step[];
  handshake: Record<string, string>;
  transport: Array<{
    sender: string;
    message: string;
    plainFrame: string;
    encryptedFrame: string;
    nonceHeader: number;
    noncePayload: number;
  }>;
  chunkedFrame: {
    key: string;
    plainFrameLength: number;
    payloadLength: number;
    plainFrameSha256: string;
    encryptedLength: number;
    encryptedSha256: string;
    encryptedFirst64: string;
    encryptedLast64: string;
  };
}

const v = vectorsMissing ? null : readVectorJson<FixedKeys>('sv2/noise-handshake-fixed-keys.json');
const ZERO32 = new Uint8Array(32);

function parties(): { initiator: NoiseInitiator; responder: NoiseResponder } {
  const i = v!.inputs;
  const authority = parseAuthorityKey(i.authorityPublicKeyBase58);
  const authoritySecret = parseSecretKey(i.authoritySecretKeyBase58);
  const staticKey = createNoiseKeypair(hexToBytes(i.responderStaticSecret), ZERO32);
  const initiator = new NoiseInitiator({
    authorityKey: authority,
    nowSec: () => v!.inputs.verifierNow,
    ephemeral: createNoiseKeypair(hexToBytes(i.initiatorEphemeralSecret), ZERO32),
  });
  const responder = new NoiseResponder({
    staticKey,
    ephemeral: createNoiseKeypair(hexToBytes(i.responderEphemeralSecret), ZERO32),
    certificate: () => signCertificate(v!.inputs.certificate, staticKey.xOnly, authoritySecret, ZERO32),
  });
  return { initiator, responder };
}

test('fixed-key handshake: both messages, every h/ck/k and the split keys match the vector', {
  skip: vectorsMissing,
}, () => {
  const steps = v!.steps;
  assert.equal(bytesToHex(sha256(new TextEncoder().encode(NOISE_PROTOCOL_NAME))), steps[0].ck);
  const { initiator, responder } = parties();
  const is = initiator.symmetricState;
  assert.equal(bytesToHex(is.ck), steps[0].ck);
  assert.equal(bytesToHex(is.h), steps[0].h);
  const m1 = initiator.start();
  assert.equal(bytesToHex(m1), v!.handshake.message1InitiatorToResponder);
  assert.equal(bytesToHex(is.h), steps[2].h, 'after MixHash(e) and the empty EncryptAndHash');
  const r = responder.respond(m1);
  assert.equal(r.message.length, RESPONDER_MESSAGE_BYTES);
  assert.equal(RESPONDER_MESSAGE_BYTES, 234, 'the real act-2 size, not the 170 of the spec prose');
  assert.equal(bytesToHex(r.message), v!.handshake.message2ResponderToInitiator);
  assert.equal(bytesToHex(responder.symmetricState.h), v!.handshake.finalH);
  assert.equal(bytesToHex(responder.symmetricState.ck), v!.handshake.finalCk);
  // Intermediate ciphertexts appear verbatim inside message 2.
  assert.equal(bytesToHex(r.message.subarray(64, 144)), steps[5].ciphertext);
  assert.equal(bytesToHex(r.message.subarray(144)), steps[7].ciphertext);
  const done = initiator.finish(r.message);
  assert.equal(bytesToHex(is.h), v!.handshake.finalH);
  assert.equal(bytesToHex(is.ck), v!.handshake.finalCk);
  assert.equal(bytesToHex(is.key!), steps[6].k);
  assert.equal(bytesToHex(done.serverStaticKey), v!.inputs.responderStaticXOnly);
  assert.equal(bytesToHex(r.handshakeHash), bytesToHex(done.handshakeHash));
  // Split: probe each cipher by encrypting the same block with a key built from the vector.
  const probe = new Uint8Array(8);
  const pairs: Array<[CipherState, string]> = [
    [done.send, v!.handshake.initiatorSendKey],
    [done.receive, v!.handshake.initiatorReceiveKey],
    [r.send, v!.handshake.responderSendKey],
    [r.receive, v!.handshake.responderReceiveKey],
  ];
  for (const [cipher, key] of pairs) {
    assert.equal(bytesToHex(cipher.encrypt(probe)), bytesToHex(new CipherState(hexToBytes(key)).encrypt(probe)));
  }
});

test('fixed-key handshake replayed step by step: every ECDH x, secret, ck, k, ciphertext and h', {
  skip: vectorsMissing,
}, () => {
  const i = v!.inputs;
  const st = v!.steps;
  const ei = hexToBytes(i.initiatorEphemeralEllSwift);
  const er = createNoiseKeypair(hexToBytes(i.responderEphemeralSecret), ZERO32);
  const rs = createNoiseKeypair(hexToBytes(i.responderStaticSecret), ZERO32);
  const s = new SymmetricState();
  s.mixHash(ei);
  assert.equal(bytesToHex(s.h), st[1].h);
  s.encryptAndHash(new Uint8Array(0));
  assert.equal(bytesToHex(s.h), st[2].h);
  s.mixHash(er.ellswift);
  assert.equal(bytesToHex(s.h), st[3].h);
  assert.equal(bytesToHex(ellswiftEcdhX(er.secret, ei)), st[4].ecdh_x);
  const ee = bip324EcdhSecret(er.secret, ei, er.ellswift, false);
  assert.equal(bytesToHex(ee), st[4].ecdh);
  s.mixKey(ee);
  assert.equal(bytesToHex(s.ck), st[4].ck);
  assert.equal(bytesToHex(s.key!), st[4].k);
  assert.equal(bytesToHex(s.encryptAndHash(rs.ellswift)), st[5].ciphertext);
  assert.equal(bytesToHex(s.h), st[5].h);
  assert.equal(bytesToHex(ellswiftEcdhX(rs.secret, ei)), st[6].ecdh_x);
  const es = bip324EcdhSecret(rs.secret, ei, rs.ellswift, false);
  assert.equal(bytesToHex(es), st[6].ecdh);
  // The initiator computes the same secret from its side.
  assert.equal(bytesToHex(bip324EcdhSecret(hexToBytes(i.initiatorEphemeralSecret), rs.ellswift, ei, true)), st[6].ecdh);
  s.mixKey(es);
  assert.equal(bytesToHex(s.ck), st[6].ck);
  assert.equal(bytesToHex(s.key!), st[6].k);
  assert.equal(bytesToHex(s.encryptAndHash(hexToBytes(v!.handshake.signatureNoiseMessage))), st[7].ciphertext);
  assert.equal(bytesToHex(s.h), st[7].h);
  const [k1, k2] = s.split();
  assert.equal(bytesToHex(k1), st[8].k1);
  assert.equal(bytesToHex(k2), st[8].k2);
});

test('certificate: the signed message, digest and signature are byte-exact; verification passes at verifierNow', {
  skip: vectorsMissing,
}, () => {
  const i = v!.inputs;
  const staticKey = createNoiseKeypair(hexToBytes(i.responderStaticSecret), ZERO32);
  const cert = signCertificate(i.certificate, staticKey.xOnly, parseSecretKey(i.authoritySecretKeyBase58), ZERO32);
  const expected = decodeCertificate(hexToBytes(v!.handshake.signatureNoiseMessage));
  assert.deepEqual(cert, expected);
  assert.equal(expected.validFrom, i.certificate.validFrom);
  verifyCertificate(cert, staticKey.xOnly, parseAuthorityKey(i.authorityPublicKeyBase58), i.verifierNow);
  // The digest the vector lists is what the signature verifies against.
  assert.equal(bytesToHex(sha256(hexToBytes(i.certificate.signedMessage))), i.certificate.signedDigest);
});

test('encrypted transport: the 8 session frames encrypt and decrypt byte for byte', { skip: vectorsMissing }, () => {
  const { initiator, responder } = parties();
  const r = responder.respond(initiator.start());
  const done = initiator.finish(r.message);
  const sender = { initiator: done.send, responder: r.send };
  const readers = {
    initiator: new EncryptedFrameReader(r.receive, 1 << 20),
    responder: new EncryptedFrameReader(done.receive, 1 << 20),
  };
  for (const f of v!.transport) {
    const side = f.sender as 'initiator' | 'responder';
    const cipher = sender[side];
    assert.equal(cipher.nonceCounter, f.nonceHeader, `${f.message}: header nonce`);
    const enc = encryptFrame(cipher, hexToBytes(f.plainFrame));
    assert.equal(bytesToHex(enc), f.encryptedFrame, f.message);
    assert.equal(enc.length, encryptedFrameLength(hexToBytes(f.plainFrame).length - 6));
    // The peer's reader, fed one byte at a time, gets the plaintext back.
    const reader = readers[side];
    let frame = null;
    for (const b of enc) {
      assert.equal(frame, null, 'no frame before the last byte');
      reader.push(Uint8Array.of(b));
      frame = reader.next();
    }
    assert.ok(frame);
    const plain = hexToBytes(f.plainFrame);
    assert.equal(bytesToHex(frame.payload), bytesToHex(plain.subarray(6)));
    assert.equal(decodeFrameBytes(plain).def.name, f.message);
  }
});

test('encrypted transport: EncryptedFrameWriter produces the same bytes as the vector', {
  skip: vectorsMissing,
}, () => {
  const { initiator, responder } = parties();
  const r = responder.respond(initiator.start());
  const done = initiator.finish(r.message);
  const writers = { initiator: new EncryptedFrameWriter(done.send), responder: new EncryptedFrameWriter(r.send) };
  for (const f of v!.transport) {
    const decoded = decodeFrameBytes(hexToBytes(f.plainFrame));
    const enc = writers[f.sender as 'initiator' | 'responder'].write(decoded.def, decoded.value);
    assert.equal(bytesToHex(enc), f.encryptedFrame, f.message);
  }
});

test('a frame over 65519 payload bytes is split in 65535-byte chunks exactly as the vector', {
  skip: vectorsMissing,
}, () => {
  const c = v!.chunkedFrame;
  const prefix = new Uint8Array(40000).map((_, i) => i % 251);
  const suffix = new Uint8Array(40000).map((_, i) => (7 * i) % 253);
  const plain = buildChunkedPlain(prefix, suffix);
  assert.equal(plain.length, c.plainFrameLength);
  assert.equal(bytesToHex(sha256(plain)), c.plainFrameSha256);
  const enc = encryptFrame(new CipherState(hexToBytes(c.key)), plain);
  assert.equal(enc.length, c.encryptedLength);
  assert.equal(bytesToHex(sha256(enc)), c.encryptedSha256);
  assert.equal(bytesToHex(enc.subarray(0, 64)), c.encryptedFirst64);
  assert.equal(bytesToHex(enc.subarray(enc.length - 64)), c.encryptedLast64);
  const reader = new EncryptedFrameReader(new CipherState(hexToBytes(c.key)), 1 << 20);
  reader.push(enc.subarray(0, 30000));
  assert.equal(reader.next(), null);
  reader.push(enc.subarray(30000));
  const frame = reader.next();
  assert.ok(frame);
  assert.equal(bytesToHex(sha256(frame.payload)), bytesToHex(sha256(plain.subarray(6))));
});

test('one flipped bit anywhere in an encrypted frame fails authentication with a typed error', {
  skip: vectorsMissing,
}, () => {
  const f = v!.transport[6];
  const enc = hexToBytes(f.encryptedFrame);
  for (let bit = 0; bit < enc.length * 8; bit += 7) {
    const { initiator, responder } = parties();
    const r = responder.respond(initiator.start());
    initiator.finish(r.message);
    // Bring the responder's receive cipher to the frame's nonce.
    const reader = new EncryptedFrameReader(r.receive, 1 << 20);
    for (const earlier of v!.transport.filter((t, i) => i < 6 && t.sender === 'initiator')) {
      reader.push(hexToBytes(earlier.encryptedFrame));
      assert.ok(reader.next());
    }
    const bad = enc.slice();
    bad[bit >> 3] ^= 1 << (bit & 7);
    reader.push(bad);
    assert.throws(
      () => reader.next(),
      (e: unknown) => e instanceof NoiseError && e.code === 'frame-auth-failed',
    );
  }
});

test('certificate checks: expired, not yet valid, wrong authority — each a CertificateError with the skew', {
  skip: vectorsMissing,
}, () => {
  const i = v!.inputs;
  const staticKey = createNoiseKeypair(hexToBytes(i.responderStaticSecret), ZERO32);
  const cert = decodeCertificate(hexToBytes(v!.handshake.signatureNoiseMessage));
  const authority = parseAuthorityKey(i.authorityPublicKeyBase58);
  // Leeway 10 s: notValidAfter + 10 is still fine, + 11 is expired by 1 s.
  verifyCertificate(cert, staticKey.xOnly, authority, cert.notValidAfter + 10);
  assert.throws(
    () => verifyCertificate(cert, staticKey.xOnly, authority, cert.notValidAfter + 11),
    (e: unknown) => e instanceof CertificateError && e.code === 'certificate-expired' && e.skewSeconds === 1,
  );
  verifyCertificate(cert, staticKey.xOnly, authority, cert.validFrom - 10);
  assert.throws(
    () => verifyCertificate(cert, staticKey.xOnly, authority, cert.validFrom - 100),
    (e: unknown) =>
      e instanceof CertificateError &&
      e.code === 'certificate-not-yet-valid' &&
      e.skewSeconds === -90 &&
      /clock/.test(e.message),
  );
  // A configurable leeway.
  verifyCertificate(cert, staticKey.xOnly, authority, cert.validFrom - 100, 100);
  const other = createNoiseKeypair(undefined, ZERO32).xOnly;
  assert.throws(
    () => verifyCertificate(cert, staticKey.xOnly, other, i.verifierNow),
    (e: unknown) => e instanceof CertificateError && e.code === 'certificate-signature' && /authority/.test(e.message),
  );
  // Signed for a different server key: same failure.
  assert.throws(
    () => verifyCertificate(cert, other, authority, i.verifierNow),
    (e: unknown) => e instanceof CertificateError && e.code === 'certificate-signature',
  );
});

test('handshake: one flipped bit in either handshake message makes the initiator fail with a typed error', {
  skip: vectorsMissing,
}, () => {
  let failures = 0;
  for (let bit = 0; bit < (64 + 234) * 8; bit += 5) {
    const { initiator, responder } = parties();
    const m1 = initiator.start().slice();
    if (bit < 512) m1[bit >> 3] ^= 1 << (bit & 7);
    const r = responder.respond(m1);
    const m2 = r.message.slice();
    if (bit >= 512) {
      const b = bit - 512;
      m2[b >> 3] ^= 1 << (b & 7);
    }
    assert.throws(
      () => initiator.finish(m2),
      (e: unknown) => e instanceof NoiseError && e.code === 'handshake-auth-failed',
      `bit ${bit}`,
    );
    failures++;
  }
  assert.ok(failures > 400);
});

/**
 * The vector's chunked frame is a NewExtendedMiningJob (channel 1, job 2, active with min_ntime 1745596930,
 * version 0x20000000, rolling allowed, empty path) with two 40 000-byte coinbase halves; its sha256 is in the
 * vector, so building it with our encoder checks the encoder too.
 */
function buildChunkedPlain(prefix: Uint8Array, suffix: Uint8Array): Uint8Array {
  return encodeFrame(NewExtendedMiningJob, {
    channelId: 1,
    jobId: 2,
    minNtime: 1745596930,
    version: 0x20000000,
    versionRollingAllowed: true,
    merklePath: [],
    coinbaseTxPrefix: prefix,
    coinbaseTxSuffix: suffix,
  });
}

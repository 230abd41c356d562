import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { JsonValue } from '../../../../src/sv2/codec/field-types.js';
import { encodeFrame } from '../../../../src/sv2/codec/frame.js';
import { NewExtendedMiningJob } from '../../../../src/sv2/messages/mining.js';
import { decodeFrameBytes } from '../../../../src/sv2/messages/registry.js';
import { parseAuthorityKey, parseSecretKey } from '../../../../src/sv2/noise/authority-key.js';
import {
  certificateDigest,
  DEFAULT_CERTIFICATE_LEEWAY_SEC,
  decodeCertificate,
  signCertificate,
  verifyCertificate,
} from '../../../../src/sv2/noise/certificate.js';
import { CipherState } from '../../../../src/sv2/noise/cipher-state.js';
import { CertificateError, NoiseError } from '../../../../src/sv2/noise/errors.js';
import {
  EncryptedFrameReader,
  EncryptedFrameWriter,
  encryptedFrameLength,
  encryptFrame,
} from '../../../../src/sv2/noise/frame-cipher.js';
import { NoiseInitiator, NoiseResponder, RESPONDER_MESSAGE_BYTES } from '../../../../src/sv2/noise/handshake.js';
import { createNoiseKeypair, type NoiseKeypair } from '../../../../src/sv2/noise/keys.js';
import { NOISE_PROTOCOL_NAME, SymmetricState } from '../../../../src/sv2/noise/symmetric-state.js';
import { bip324EcdhSecret, ellswiftEcdhX } from '../../../../src/sv2/noise/xonly-ecdh.js';
import { bytesToHex, hexToBytes } from '../../../../src/util/hex.js';
import { normaliseF32 } from '../../../support/sv2-vectors.js';
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
      schnorrAuxRand: string;
    };
    verifierNow: number;
    timeLeewaySeconds: number;
  };
  steps: Step[];
  handshake: Record<string, string>;
  transport: Array<{
    sender: string;
    message: string;
    fields: Record<string, JsonValue>;
    plainFrame: string;
    encryptedLength: number;
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

interface FixedKeyPairs {
  authority: Uint8Array;
  authoritySecret: Uint8Array;
  staticKey: NoiseKeypair;
  initiatorEphemeral: NoiseKeypair;
  responderEphemeral: NoiseKeypair;
}

let cachedKeys: FixedKeyPairs | null = null;

/** The vector's key pairs, built once (each ElligatorSwift encoding costs a few milliseconds). */
function fixedKeys(): FixedKeyPairs {
  if (cachedKeys === null) {
    const i = v!.inputs;
    cachedKeys = {
      authority: parseAuthorityKey(i.authorityPublicKeyBase58),
      authoritySecret: parseSecretKey(i.authoritySecretKeyBase58),
      staticKey: createNoiseKeypair(hexToBytes(i.responderStaticSecret), ZERO32),
      initiatorEphemeral: createNoiseKeypair(hexToBytes(i.initiatorEphemeralSecret), ZERO32),
      responderEphemeral: createNoiseKeypair(hexToBytes(i.responderEphemeralSecret), ZERO32),
    };
  }
  return cachedKeys;
}

function newInitiator(): NoiseInitiator {
  const k = fixedKeys();
  return new NoiseInitiator({
    authorityKey: k.authority,
    nowSec: () => v!.inputs.verifierNow,
    ephemeral: k.initiatorEphemeral,
  });
}

function newResponder(): NoiseResponder {
  const k = fixedKeys();
  return new NoiseResponder({
    staticKey: k.staticKey,
    ephemeral: k.responderEphemeral,
    certificate: () => signCertificate(v!.inputs.certificate, k.staticKey.xOnly, k.authoritySecret, ZERO32),
  });
}

function parties(): { initiator: NoiseInitiator; responder: NoiseResponder } {
  return { initiator: newInitiator(), responder: newResponder() };
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
  // The message and digest the vector lists are what we sign: version | valid_from | not_valid_after | key.
  const c = i.certificate;
  assert.equal(c.signedMessage, v!.handshake.signatureNoiseMessage.slice(0, 20) + i.responderStaticXOnly);
  assert.equal(bytesToHex(sha256(hexToBytes(c.signedMessage))), c.signedDigest);
  assert.equal(bytesToHex(certificateDigest(c.version, c.validFrom, c.notValidAfter, staticKey.xOnly)), c.signedDigest);
  assert.equal(c.schnorrAuxRand, bytesToHex(ZERO32));
  assert.ok(schnorr.verify(cert.signature, hexToBytes(c.signedDigest), parseAuthorityKey(i.authorityPublicKeyBase58)));
  // The rest of the inputs: the key pair in raw form, the protocol name and SRI's leeway.
  assert.equal(bytesToHex(parseAuthorityKey(i.authorityPublicKeyBase58)), i.authorityPublicKeyXOnly);
  assert.equal(bytesToHex(parseSecretKey(i.authoritySecretKeyBase58)), i.authoritySecretKey);
  assert.equal(i.protocolName, NOISE_PROTOCOL_NAME);
  assert.equal(i.timeLeewaySeconds, DEFAULT_CERTIFICATE_LEEWAY_SEC);
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
    assert.equal(enc.length, f.encryptedLength, `${f.message}: encrypted length`);
    assert.equal(enc.length, encryptedFrameLength(hexToBytes(f.plainFrame).length - 6));
    // Header and payload each took one nonce (no payload, no second nonce).
    assert.equal(cipher.nonceCounter, f.noncePayload + 1, `${f.message}: payload nonce`);
    assert.equal(f.noncePayload, f.nonceHeader + 1);
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
    const decoded = decodeFrameBytes(plain);
    assert.equal(decoded.def.name, f.message);
    assert.deepEqual(
      decoded.def.toJson(decoded.value),
      normaliseF32(
        f.fields,
        decoded.def.fields.filter((x) => x.type.name === 'F32').map((x) => x.wireName),
      ),
      `${f.message}: fields`,
    );
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

test('one flipped bit anywhere in any of the 8 encrypted session frames fails authentication (every bit)', {
  skip: vectorsMissing,
}, () => {
  const keys = {
    initiator: hexToBytes(v!.handshake.initiatorSendKey),
    responder: hexToBytes(v!.handshake.responderSendKey),
  };
  const scratch = new Uint8Array(0);
  let flips = 0;
  for (const f of v!.transport) {
    const enc = hexToBytes(f.encryptedFrame);
    for (let bit = 0; bit < enc.length * 8; bit++) {
      // The receiver's cipher at the frame's header nonce (each nonce advanced by one throwaway encryption).
      const cipher = new CipherState(keys[f.sender as 'initiator' | 'responder']);
      for (let n = 0; n < f.nonceHeader; n++) cipher.encrypt(scratch);
      const reader = new EncryptedFrameReader(cipher, 1 << 20);
      const bad = enc.slice();
      bad[bit >> 3] ^= 1 << (bit & 7);
      reader.push(bad);
      assert.throws(
        () => reader.next(),
        (e: unknown) => e instanceof NoiseError && e.code === 'frame-auth-failed',
        `${f.message}: bit ${bit}`,
      );
      flips++;
    }
    // And unflipped, the same reader setup decrypts it (the test is not failing for another reason).
    const cipher = new CipherState(keys[f.sender as 'initiator' | 'responder']);
    for (let n = 0; n < f.nonceHeader; n++) cipher.encrypt(scratch);
    const reader = new EncryptedFrameReader(cipher, 1 << 20);
    reader.push(enc);
    assert.equal(bytesToHex(reader.next()!.payload), f.plainFrame.slice(12));
  }
  assert.equal(
    flips,
    v!.transport.reduce((n, f) => n + f.encryptedLength * 8, 0),
  );
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

test('handshake: a flipped bit in any byte of either handshake message makes the initiator fail, typed', {
  skip: vectorsMissing,
}, () => {
  const authFailed = (e: unknown): boolean => e instanceof NoiseError && e.code === 'handshake-auth-failed';
  const m1 = newInitiator().start().slice();
  const m2 = newResponder().respond(m1).message;
  let flips = 0;
  // Message 1 (the initiator's ephemeral key): the responder accepts any 64 bytes as a key, so the two sides
  // derive different secrets and the initiator's first decryption fails.
  for (let byte = 0; byte < m1.length; byte++) {
    const initiator = newInitiator();
    const sent = initiator.start().slice();
    sent[byte] ^= 1 << (byte & 7);
    const answer = newResponder().respond(sent).message;
    assert.throws(() => initiator.finish(answer), authFailed, `message 1 byte ${byte}`);
    flips++;
  }
  // Message 2 (ephemeral | encrypted static key | encrypted certificate): one bit in every byte.
  for (let byte = 0; byte < m2.length; byte++) {
    const initiator = newInitiator();
    initiator.start();
    const bad = m2.slice();
    bad[byte] ^= 1 << (byte & 7);
    assert.throws(() => initiator.finish(bad), authFailed, `message 2 byte ${byte}`);
    flips++;
  }
  assert.equal(flips, 64 + 234);
  // The unflipped exchange completes with the same parties.
  const initiator = newInitiator();
  initiator.start();
  assert.equal(bytesToHex(initiator.finish(m2).serverStaticKey), v!.inputs.responderStaticXOnly);
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

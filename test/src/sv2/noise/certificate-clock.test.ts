/**
 * A Pi boots without a real-time clock: a certificate outside its window while this machine says its clock is
 * not synchronised is "our clock", not "the certificate" (certificate.ts), and only when the signature is good.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClockSyncCheck, signCertificate, verifyCertificate } from '../../../../src/sv2/noise/certificate.js';
import { CertificateError } from '../../../../src/sv2/noise/errors.js';
import { createNoiseKeypair } from '../../../../src/sv2/noise/keys.js';

const authority = createNoiseKeypair();
const server = createNoiseKeypair();
const POOL_NOW = 1_767_225_600; // 2026-01-01: the pool's clock
const cert = signCertificate({ validFrom: POOL_NOW, notValidAfter: POOL_NOW + 3600 }, server.xOnly, authority.secret);
const BOOT_CLOCK = 1_735_689_600; // 2025-01-01: where a Pi without an RTC might wake up

function codeOf(now: number, sync?: ClockSyncCheck, authorityKey = authority.xOnly): string {
  try {
    verifyCertificate(cert, server.xOnly, authorityKey, now, 10, sync);
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof CertificateError);
    return err.code;
  }
}

test('a certificate "from the future" while the clock is not synchronised: clock-not-synchronised, saying so', () => {
  assert.equal(
    codeOf(BOOT_CLOCK, () => false),
    'clock-not-synchronised',
  );
  try {
    verifyCertificate(cert, server.xOnly, authority.xOnly, BOOT_CLOCK, 10, () => false);
  } catch (err) {
    assert.ok(err instanceof CertificateError);
    assert.match(err.message, /this machine's clock is not synchronised yet \(it reads 2025-01-01T00:00:00Z/);
    assert.match(err.message, /valid 2026-01-01T00:00:00Z to 2026-01-01T01:00:00Z and correctly signed/);
    assert.equal(err.skewSeconds, BOOT_CLOCK - (POOL_NOW - 10));
  }
  // A clock left ahead (saved by a machine whose clock ran fast) reads the certificate as expired: same story.
  assert.equal(
    codeOf(POOL_NOW + 86_400, () => false),
    'clock-not-synchronised',
  );
});

test('a synchronised or unknown clock keeps the plain window errors; a good time needs no check at all', () => {
  assert.equal(
    codeOf(BOOT_CLOCK, () => true),
    'certificate-not-yet-valid',
  );
  assert.equal(
    codeOf(BOOT_CLOCK, () => null),
    'certificate-not-yet-valid',
  );
  assert.equal(codeOf(BOOT_CLOCK), 'certificate-not-yet-valid');
  assert.equal(
    codeOf(POOL_NOW + 86_400, () => true),
    'certificate-expired',
  );
  let asked = 0;
  assert.equal(
    codeOf(POOL_NOW + 60, () => {
      asked++;
      return false;
    }),
    'ok',
  );
  assert.equal(asked, 0, 'the clock is asked only when the window check fails');
});

test('an unsynchronised clock never excuses a bad signature', () => {
  const other = createNoiseKeypair();
  assert.equal(
    codeOf(BOOT_CLOCK, () => false, other.xOnly),
    'certificate-signature',
  );
});

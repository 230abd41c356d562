/**
 * The responder's certificate (SIGNATURE_NOISE_MESSAGE, 74 bytes): `version U16 | valid_from U32 |
 * not_valid_after U32 | BIP340 signature (64)`, all little-endian. The authority signs
 * SHA-256(version ‖ valid_from ‖ not_valid_after ‖ server static x-only key) — that 32-byte digest is the BIP340
 * message, hashed no further. The initiator checks it against the authority key it was configured with.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '../../util/hex.js';
import { encodeAuthorityKey } from './authority-key.js';
import { CertificateError } from './errors.js';

export const CERTIFICATE_BYTES = 74;
/** SRI's clock leeway on both ends of the validity window. */
export const DEFAULT_CERTIFICATE_LEEWAY_SEC = 10;

export interface SignatureNoiseMessage {
  version: number;
  /** Unix seconds. */
  validFrom: number;
  /** Unix seconds. */
  notValidAfter: number;
  signature: Uint8Array;
}

export function encodeCertificate(cert: SignatureNoiseMessage): Uint8Array {
  const out = new Uint8Array(CERTIFICATE_BYTES);
  writeHeader(out, cert.version, cert.validFrom, cert.notValidAfter);
  if (cert.signature.length !== 64) throw new RangeError('a BIP340 signature is 64 bytes');
  out.set(cert.signature, 10);
  return out;
}

export function decodeCertificate(bytes: Uint8Array): SignatureNoiseMessage {
  if (bytes.length !== CERTIFICATE_BYTES) {
    throw new RangeError(`a SignatureNoiseMessage is ${CERTIFICATE_BYTES} bytes, got ${bytes.length}`);
  }
  return {
    version: bytes[0] | (bytes[1] << 8),
    validFrom: (bytes[2] | (bytes[3] << 8) | (bytes[4] << 16) | (bytes[5] << 24)) >>> 0,
    notValidAfter: (bytes[6] | (bytes[7] << 8) | (bytes[8] << 16) | (bytes[9] << 24)) >>> 0,
    signature: bytes.slice(10, 74),
  };
}

function writeHeader(out: Uint8Array, version: number, validFrom: number, notValidAfter: number): void {
  out[0] = version;
  out[1] = version >>> 8;
  for (let i = 0; i < 4; i++) {
    out[2 + i] = validFrom >>> (8 * i);
    out[6 + i] = notValidAfter >>> (8 * i);
  }
}

/** The 32 bytes the authority signs. */
export function certificateDigest(
  version: number,
  validFrom: number,
  notValidAfter: number,
  serverStaticXOnly: Uint8Array,
): Uint8Array {
  const m = new Uint8Array(42);
  writeHeader(m, version, validFrom, notValidAfter);
  m.set(serverStaticXOnly, 10);
  return sha256(m);
}

/** Signs a certificate for `serverStaticXOnly`. `auxRand` defaults to fresh randomness (BIP340's advice). */
export function signCertificate(
  fields: { version?: number; validFrom: number; notValidAfter: number },
  serverStaticXOnly: Uint8Array,
  authoritySecret: Uint8Array,
  auxRand?: Uint8Array,
): SignatureNoiseMessage {
  const version = fields.version ?? 0;
  const digest = certificateDigest(version, fields.validFrom, fields.notValidAfter, serverStaticXOnly);
  return {
    version,
    validFrom: fields.validFrom,
    notValidAfter: fields.notValidAfter,
    signature: schnorr.sign(digest, authoritySecret, auxRand),
  };
}

/**
 * Whether this machine's clock has been synchronised (NTP) since it booted: true, false, or null when the
 * system cannot say. A Raspberry Pi has no real-time clock and boots at the time it last saved; until NTP sets
 * it, a certificate may look "not yet valid" (or expired) only because our clock is wrong. The daemon reads
 * the system's flag (firmware/daemon/clock-sync.ts); tests inject one.
 */
export type ClockSyncCheck = () => boolean | null;

/**
 * Checks the certificate: time window first (with `leewaySec` on both ends, as SRI), then the signature over
 * the server's static key. Throws CertificateError saying which check failed and by how much the clock is off.
 *
 * When the window check fails and `clockSynchronised` says this machine's clock is not synchronised, the
 * signature is checked anyway and, when it is good, the error is 'clock-not-synchronised' instead: not the
 * pool's fault, and not a reason to leave it. Unknown (null, or no check) keeps the plain window errors.
 */
export function verifyCertificate(
  cert: SignatureNoiseMessage,
  serverStaticXOnly: Uint8Array,
  authorityXOnly: Uint8Array,
  nowSec: number,
  leewaySec = DEFAULT_CERTIFICATE_LEEWAY_SEC,
  clockSynchronised?: ClockSyncCheck,
): void {
  const now = Math.floor(nowSec);
  const windowError = certificateWindowError(cert, now, leewaySec);
  if (windowError !== null) {
    if (clockSynchronised?.() !== false) throw windowError;
    verifySignature(cert, serverStaticXOnly, authorityXOnly);
    throw new CertificateError(
      'clock-not-synchronised',
      `this machine's clock is not synchronised yet (it reads ${iso(now)}; the pool's certificate is valid ` +
        `${iso(cert.validFrom)} to ${iso(cert.notValidAfter)} and correctly signed): waiting for NTP to set ` +
        `the clock before the pool can be trusted`,
      windowError.skewSeconds,
    );
  }
  verifySignature(cert, serverStaticXOnly, authorityXOnly);
}

/** The window check alone: null when `now` is inside it (leeway included). */
function certificateWindowError(cert: SignatureNoiseMessage, now: number, leewaySec: number): CertificateError | null {
  if (now < cert.validFrom - leewaySec) {
    const skew = cert.validFrom - leewaySec - now;
    return new CertificateError(
      'certificate-not-yet-valid',
      `pool certificate is not valid until ${iso(cert.validFrom)}, ${skew} s after this machine's clock ` +
        `(${iso(now)}, leeway ${leewaySec} s): check the clock (NTP) on this device or the pool`,
      -skew,
    );
  }
  if (now > cert.notValidAfter + leewaySec) {
    const skew = now - cert.notValidAfter - leewaySec;
    return new CertificateError(
      'certificate-expired',
      `pool certificate expired at ${iso(cert.notValidAfter)}, ${skew} s before this machine's clock ` +
        `(${iso(now)}, leeway ${leewaySec} s): check the clock (NTP) on this device, or the pool is serving a stale certificate`,
      skew,
    );
  }
  return null;
}

function verifySignature(cert: SignatureNoiseMessage, serverStaticXOnly: Uint8Array, authorityXOnly: Uint8Array): void {
  const digest = certificateDigest(cert.version, cert.validFrom, cert.notValidAfter, serverStaticXOnly);
  if (!schnorr.verify(cert.signature, digest, authorityXOnly)) {
    throw new CertificateError(
      'certificate-signature',
      `pool certificate for server key ${bytesToHex(serverStaticXOnly).slice(0, 16)}… is not signed by authority ` +
        `${encodeAuthorityKey(authorityXOnly)}: wrong authority key configured, or not the pool you meant to reach`,
    );
  }
}

function iso(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

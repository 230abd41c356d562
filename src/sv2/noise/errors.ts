/** Errors of the Noise layer: every one is fatal for its connection, none for the process. */

export type NoiseErrorCode =
  | 'handshake-length'
  | 'handshake-auth-failed'
  | 'frame-auth-failed'
  | 'nonce-exhausted'
  | 'certificate-signature'
  | 'certificate-not-yet-valid'
  | 'certificate-expired'
  | 'clock-not-synchronised';

export class NoiseError extends Error {
  override readonly name: string = 'NoiseError';
  constructor(
    readonly code: NoiseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The server's certificate did not check out. For time failures `skewSeconds` says how far outside the
 * validity window (leeway included) the local clock is: positive = the certificate expired that long ago,
 * negative = it only becomes valid that far in the future. 'clock-not-synchronised' is a time failure while
 * this machine says its own clock has not been synchronised yet (a Pi has no RTC): the certificate is
 * genuine, our clock is what is wrong, and the same pool should be tried again once the clock is set.
 */
export class CertificateError extends NoiseError {
  override readonly name = 'CertificateError';
  constructor(
    code: 'certificate-signature' | 'certificate-not-yet-valid' | 'certificate-expired' | 'clock-not-synchronised',
    message: string,
    readonly skewSeconds: number | null = null,
  ) {
    super(code, message);
  }
}

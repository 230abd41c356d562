/** Errors of the Noise layer: every one is fatal for its connection, none for the process. */

export type NoiseErrorCode =
  | 'handshake-length'
  | 'handshake-auth-failed'
  | 'frame-auth-failed'
  | 'nonce-exhausted'
  | 'certificate-signature'
  | 'certificate-not-yet-valid'
  | 'certificate-expired';

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
 * negative = it only becomes valid that far in the future.
 */
export class CertificateError extends NoiseError {
  override readonly name = 'CertificateError';
  constructor(
    code: 'certificate-signature' | 'certificate-not-yet-valid' | 'certificate-expired',
    message: string,
    readonly skewSeconds: number | null = null,
  ) {
    super(code, message);
  }
}

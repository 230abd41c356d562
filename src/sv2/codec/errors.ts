/**
 * Errors of the SV2 binary codec. Decoding untrusted bytes throws only `Sv2ProtocolError`; encoding a value
 * that cannot be represented (a 300-byte STR0_255, a negative U32) throws `Sv2EncodeError`, which is a bug or
 * a bad config in the caller, never the peer's fault.
 */

/** What was wrong with the bytes; stable strings for statistics and tests. */
export type Sv2ProtocolErrorCode =
  | 'truncated'
  | 'trailing-bytes'
  | 'length-exceeds-max'
  | 'bad-option-tag'
  | 'frame-too-large'
  | 'unknown-message'
  | 'unexpected-message'
  | 'bad-frame';

/** The peer sent bytes that are not a valid SV2 frame or message. The message names the field and the offset. */
export class Sv2ProtocolError extends Error {
  override readonly name = 'Sv2ProtocolError';
  constructor(
    readonly code: Sv2ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A value handed to an encoder does not fit its SV2 type (names the field and the limit). */
export class Sv2EncodeError extends RangeError {
  override readonly name = 'Sv2EncodeError';
}

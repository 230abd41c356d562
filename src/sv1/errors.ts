/**
 * What can be wrong with a Stratum V1 line, typed so a caller can decide: drop the connection (the stream or the
 * pool is unusable) or ignore the one message (it is malformed but the rest may be fine).
 */

export type Sv1ProtocolErrorCode =
  /** The line is not JSON, or not a JSON object. */
  | 'invalid-json'
  /** A JSON object that is neither a request, a notification nor a response. */
  | 'not-a-message'
  /** A known method with parameters that do not fit its table entry (the message names the field). */
  | 'bad-params'
  /** A result of the wrong shape for the request it answers. */
  | 'bad-result'
  /** A line longer than the reader takes. */
  | 'line-too-long';

export class Sv1ProtocolError extends Error {
  override readonly name = 'Sv1ProtocolError';
  constructor(
    readonly code: Sv1ProtocolErrorCode,
    message: string,
    /** The parameter or result field at fault (`mining.notify prevhash`), when there is one. */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** Errors the BM13xx drivers throw. Each message says what was expected and what to check. */

/** Base class: anything that went wrong talking to a chain. */
export class AsicError extends Error {
  override readonly name: string = 'AsicError';
}

/** The chain answered with a different number of chips than the board says it has. */
export class ChipCountError extends AsicError {
  override readonly name = 'ChipCountError';
  constructor(
    readonly expected: number,
    readonly found: number,
    detail: string,
  ) {
    super(detail);
  }
}

/** A chip answered with a chip id that is not the model the driver was built for. */
export class ChipIdError extends AsicError {
  override readonly name = 'ChipIdError';
}

/** No PLL divider setting reaches the requested frequency within the model's divider limits. */
export class PllError extends AsicError {
  override readonly name = 'PllError';
}

/** A register read got no (or not enough) answers in time. */
export class ReadTimeoutError extends AsicError {
  override readonly name = 'ReadTimeoutError';
}

/** A frame could not be decoded (wrong preamble, length, header or CRC); the message names the field. */
export class FrameError extends AsicError {
  override readonly name = 'FrameError';
}

/** The transport under the chain closed or failed. */
export class ChainClosedError extends AsicError {
  override readonly name = 'ChainClosedError';
}

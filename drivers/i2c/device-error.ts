import { hex2 } from './i2c-bus.js';

/**
 * A device answered but what it said is unusable: a diode fault code, a wrong identity, a value out of the
 * part's range. The message names the part and address so a log line is enough to find the problem.
 */
export class DeviceFaultError extends Error {
  override readonly name = 'DeviceFaultError';
  constructor(
    readonly part: string,
    readonly address: number,
    readonly detail: string,
  ) {
    super(`${part} at 0x${hex2(address)}: ${detail}`);
  }
}

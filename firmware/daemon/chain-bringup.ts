/**
 * Bringing a chain up after the board has powered it and released reset: back to the power-on baud on the host
 * side (after a reset the chips listen at it again), enumerate, the model's init sequence with its frequency
 * ramp, then the switch to the fast baud. The board control runs this after every power-on.
 */
import type { Bm13xxChain } from '../../drivers/asic/bm13xx-chain.js';
import type { Transport } from '../../drivers/transport/transport.js';

export interface BringUpResult {
  chipCount: number;
  frequencyMhz: number;
  baud: number;
  tookMs: number;
}

export async function bringUpChain(
  chain: Bm13xxChain,
  transport: Transport,
  options: { initialBaud: number; frequencyMhz: number },
): Promise<BringUpResult> {
  const started = Date.now();
  chain.invalidateJobs();
  if (transport.canSetBaud && transport.baudRate !== options.initialBaud) {
    await transport.setBaudRate(options.initialBaud);
  }
  await transport.flushInput();
  const info = await chain.enumerate();
  await chain.init(options.frequencyMhz);
  const baud = await chain.switchBaud();
  return { chipCount: info.chipCount, frequencyMhz: chain.frequencyMhz, baud, tookMs: Date.now() - started };
}

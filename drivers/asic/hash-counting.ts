/**
 * HASH_COUNTING_NUMBER (register 0x10, BM1366 family): how long, in 25 MHz reference ticks, each core sweeps its
 * nonce window before the chip moves to the next batch of rolled versions (mujina). Each core tries two nonces
 * per hash clock, so a value of N ticks sweeps 2 × N × f / 25 MHz nonces.
 *
 * ESP-Miner sizes the window to a core's whole slice: ⌊2^32 / nextPow2(cores) / nextPow2(chips) × 25 / f × 0.5⌋,
 * minus 268 ticks on the BM1370 (its driver's errata allowance), computed in the same mixed float/double
 * precision as the ESP32 code so the register values match byte for byte.
 */

export function nextPowerOfTwo(n: number): number {
  if (n <= 1) return 1;
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Register 0x10 value ESP-Miner writes for this chain. */
export function hashCountingNumber(cores: number, chips: number, frequencyMhz: number, errataTicks = 0): number {
  const space = Math.fround(2 ** 32 / nextPowerOfTwo(cores) / nextPowerOfTwo(chips));
  const max = ((space * 25) / Math.fround(frequencyMhz)) * Math.fround(0.5);
  return Math.max(0, Math.floor(max - errataTicks));
}

/** Nonces one core sweeps per version batch at this register value and frequency. */
export function sweepWindowNonces(hcn: number, frequencyMhz: number): number {
  return Math.floor((2 * hcn * frequencyMhz) / 25);
}

/**
 * What the board control needs from the ASIC driver to change the chips' clock. The driver implements it
 * (structurally: drivers/ may not import firmware/) and does the ramp itself in the chip's safe steps
 * (ESP-Miner: 6.25 MHz multiples, 100 ms apart). The board control has already checked the board's limits.
 */
export interface AsicClockControl {
  /** Ramps every chip to `mhz`; resolves with the frequency the PLL achieved (MHz). */
  setFrequency(mhz: number): Promise<number>;
}

/**
 * What the daemon knows of its chips by itself, without board control: it enumerates them and sets their PLL, so
 * the frequency and the silicon rate it implies are known even when nothing reads the board's sensors
 * (`--peripherals none`). With board control the API takes these from the board's telemetry instead.
 */
export interface ChainStatus {
  /** Enumerated and initialised: the chips can hash. */
  running: boolean;
  /** The frequency the daemon sets at bring-up (MHz). */
  frequencySetMhz: number;
  /** What the PLL achieved, while the chips run. */
  frequencyActualMhz: number | null;
  /** What silicon hashes at the applied frequency (GH/s); 0 while the chips are down. */
  expectedHashrateGhs: number;
}

export interface ChainStatusProvider {
  chainStatus(): ChainStatus;
}

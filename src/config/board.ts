/**
 * A board definition: what is on the hashboard and what it may safely be asked to do. Loaded from
 * `boards/<name>.json` (or any path) and validated by `board-validate.ts`; every number here has already
 * been range-checked, so code that reads a BoardDefinition may trust it.
 *
 * Pin numbers and devices describe the Raspberry Pi side (BCM GPIO line numbers, /dev/serial0, I2C bus 1):
 * the ESP32 pins of ESP-Miner's Bitaxe firmware do not apply to a Pi.
 */

export type AsicModel = 'BM1397' | 'BM1366' | 'BM1368' | 'BM1370';

export const ASIC_MODELS: readonly AsicModel[] = ['BM1397', 'BM1366', 'BM1368', 'BM1370'];

/**
 * Per-model figures ESP-Miner uses for the expected hash rate (frequency × small cores × chips / 1000 GH/s)
 * and the AxeOS `smallCoreCount` field. Its counts are a few short of cores × sub-cores; kept as published.
 */
export const ASIC_SMALL_CORES: Readonly<Record<AsicModel, number>> = {
  BM1397: 672,
  BM1366: 894,
  BM1368: 1276,
  BM1370: 2040,
};

/** A GPIO output line on the Pi, by BCM number; `activeLow` says which physical level asserts it. */
export interface GpioLineDefinition {
  readonly line: number;
  readonly activeLow: boolean;
}

export type FanDefinition =
  | { readonly part: 'EMC2101'; readonly address: number }
  | { readonly part: 'EMC2302'; readonly address: number; readonly fans: 1 | 2 }
  /** EMC2103: one PWM fan with a tachometer (Gamma Turbo). */
  | { readonly part: 'EMC2103'; readonly address: number }
  /** A fan on the Pi's own hardware PWM (sysfs /sys/class/pwm), no tachometer. */
  | { readonly part: 'pwm-sysfs'; readonly chip: number; readonly channel: number; readonly frequencyHz: number };

export type TempSensorDefinition =
  | {
      readonly part: 'EMC2101';
      readonly address: number;
      /** `external`: the ASIC's die diode; `internal`: the EMC2101's own sensor beside the ASIC. */
      readonly channel: 'internal' | 'external';
      readonly offsetC: number;
      /** EMC2101 register 0x17 / 0x18 values to write at init (Gamma boards), or null to leave defaults. */
      readonly idealityFactor: number | null;
      readonly betaCompensation: number | null;
    }
  | {
      readonly part: 'EMC2103';
      readonly address: number;
      /**
       * Which EMC2103 input this ASIC's temperature is read from: an external diode (`external1`,
       * `external2`) or the chip's own sensor (`internal`). The order of the asicTemp entries is the ASIC
       * order, so a board that wires ASIC 1 to diode 2 (ESP-Miner's "temp_flip") lists `external2` first.
       */
      readonly channel: Emc2103Channel;
      readonly offsetC: number;
    }
  | { readonly part: 'TMP1075' | 'LM75'; readonly address: number; readonly offsetC: number };

export type Emc2103Channel = 'internal' | 'external1' | 'external2';

export const EMC2103_CHANNELS: readonly Emc2103Channel[] = ['internal', 'external1', 'external2'];

/**
 * TPS546 init profiles, restated from ESP-Miner's per-family regulator configuration: `5v-single` (Max, Ultra,
 * Supra, Gamma, Gamma Duo), `12v-3domain` (Hex, Supra Hex), `12v-stacked` (Gamma Turbo: two TPS546 modules
 * stacked as one two-phase regulator on a 12 V input).
 */
export type Tps546Profile = '5v-single' | '12v-3domain' | '12v-stacked';

export type RegulatorDefinition =
  | { readonly part: 'DS4432U'; readonly address: number }
  | {
      readonly part: 'TPS546';
      readonly address: number;
      readonly profile: Tps546Profile;
      /** Chips' core supplies in series: the regulator outputs core mV × domains. */
      readonly voltageDomains: number;
    }
  /** No adjustable regulator (PiAxe: a fixed 1.2 V buck); voltage limits must equal this value. */
  | { readonly part: 'fixed'; readonly voltageMv: number };

export type PowerMonitorDefinition =
  | { readonly part: 'INA260'; readonly address: number }
  | { readonly part: 'TPS546' };

export interface RangeMhz {
  readonly min: number;
  readonly max: number;
}

export interface BoardDefinition {
  /** File name without `.json`; what `loadBoard('bitaxe-ultra')` takes and what error messages show. */
  readonly name: string;
  readonly title: string;
  /** ESP-Miner device family (AxeOS `deviceModel`), e.g. "Ultra". */
  readonly family: string;
  /** ESP-Miner board version this file follows (AxeOS `boardVersion`), e.g. "204". */
  readonly boardVersion: string;
  readonly notes: readonly string[];
  readonly asic: { readonly model: AsicModel; readonly count: number };
  readonly uart: { readonly device: string; readonly baud: number; readonly fastBaud: number };
  readonly gpio: {
    /** Character-device chip for the libgpiod backend, or "auto" to find lines by name (GPIO<n>). */
    readonly chip: string;
    readonly reset: GpioLineDefinition;
    /** Core-power enable line, or null when the board has none (power follows the regulator). */
    readonly powerEnable: GpioLineDefinition | null;
  };
  readonly i2c: { readonly bus: number };
  readonly peripherals: {
    readonly fan: FanDefinition;
    /** ASIC temperature sensors; the hottest one drives the fan and the overheat cut. */
    readonly asicTemp: readonly TempSensorDefinition[];
    readonly regulator: RegulatorDefinition;
    readonly powerMonitor: PowerMonitorDefinition | null;
  };
  readonly defaults: {
    readonly frequencyMhz: number;
    readonly voltageMv: number;
    readonly fanTargetC: number;
    readonly minFanPercent: number;
  };
  /** What the AxeOS UI offers; informational (the API accepts any value within `limits`). */
  readonly options: { readonly frequencyMhz: readonly number[]; readonly voltageMv: readonly number[] };
  readonly limits: {
    readonly frequencyMhz: RangeMhz;
    readonly voltageMv: { readonly min: number; readonly max: number };
    /** ASIC temperature above which power is cut and the board latched off. */
    readonly asicTempC: { readonly max: number };
    /** Regulator temperature above which power is cut (boards with a TPS546). */
    readonly vrTempC: { readonly max: number };
    /**
     * The lowest fixed (manual) fan speed accepted (%): below it the chips can overheat at the board's highest
     * voltage and frequency. Auto mode is not bound by it (the PID follows the temperature).
     */
    readonly manualFanPercent: { readonly min: number };
  };
  readonly power: {
    /** AxeOS `maxPower`: the UI's power scale (W). */
    readonly maxW: number;
    /** Added to the TPS546 output power to estimate the whole board (W), as ESP-Miner does. */
    readonly offsetW: number;
    /** AxeOS `nominalVoltage` (V) of the input supply. */
    readonly nominalInputV: number;
  };
}

/** Expected hash rate (GH/s) at a frequency, as AxeOS computes `expectedHashrate`. */
export function expectedHashrateGhs(board: BoardDefinition, frequencyMhz: number): number {
  return (frequencyMhz * ASIC_SMALL_CORES[board.asic.model] * board.asic.count) / 1000;
}

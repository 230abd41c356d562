/**
 * The board control's vocabulary, shared by its parts (power sequencer, thermal guard, fan loop) and its
 * users (daemon, API): settings, faults, telemetry, events, the safety policy and its defaults.
 */
export type FanMode = 'auto' | 'manual';

/** A fan settings change; absent fields stay as they are. */
export interface FanChange {
  mode?: FanMode;
  percent?: number;
  targetC?: number;
  minPercent?: number;
}

/** What the operator asked for; every value has passed the board's limits. */
export interface BoardSettings {
  frequencyMhz: number;
  voltageMv: number;
  fanMode: FanMode;
  /** Manual fan speed (%), used when fanMode is manual. */
  fanPercent: number;
  /** Auto mode: ASIC temperature the PID holds (°C). */
  fanTargetC: number;
  /** Auto mode: the PID's lowest output (%). */
  minFanPercent: number;
}

/** Why the fan runs at the speed it does, most urgent first. */
export type FanReason = 'overheat' | 'hardware-fault' | 'sensor-fault' | 'manual' | 'power-off' | 'startup' | 'auto';

export type PowerState = 'off' | 'starting' | 'on' | 'stopping';

export interface Fault {
  reason: string;
  atMs: number;
}

/** A temperature sensor that failed (temperature unknown) or froze (temperature suspect). */
export interface SensorFault extends Fault {
  sensor: string;
  kind: 'failed' | 'stuck';
}

export interface OverheatFault extends Fault {
  sensor: string;
  tempC: number;
  limitC: number;
}

/** A point-in-time view of the board for the API, the CLI and logs. */
export interface BoardTelemetry {
  board: string;
  asicModel: string;
  asicCount: number;
  power: PowerState;
  /** Powered and out of reset: the chips can hash. */
  asicRunning: boolean;
  resetAsserted: boolean;
  /** One entry per ASIC sensor (°C, offsets applied); null when the last read failed. */
  asicTempsC: Array<number | null>;
  /** Hottest valid ASIC temperature. */
  asicTempC: number | null;
  vrTempC: number | null;
  /** Fan speed commanded now (%). */
  fanPercent: number;
  fanReason: FanReason;
  fanRpm: number[];
  inputVoltageMv: number | null;
  currentMa: number | null;
  powerW: number | null;
  voltageSetMv: number;
  /** Core mV per chip: measured (TPS546) or inferred from the DAC setting (DS4432U); null while off. */
  voltageActualMv: number | null;
  voltageMeasured: boolean;
  frequencySetMhz: number;
  /** What the PLL achieved, while the chips run. */
  frequencyActualMhz: number | null;
  expectedHashrateGhs: number;
  settings: BoardSettings;
  overheat: OverheatFault | null;
  sensorFault: SensorFault | null;
  /** Regulator-reported conditions (TPS546 STATUS_WORD), or null. */
  powerFault: string | null;
  /** A latched stop for a reason other than temperature (fan control failed, sensor dead too long). */
  hardwareFault: Fault | null;
  warnings: string[];
  updatedAtMs: number;
}

export type BoardEvent =
  | { type: 'power'; on: boolean; reason: string }
  | { type: 'overheat'; reason: string }
  | { type: 'hardware-fault'; reason: string }
  | { type: 'sensor-fault'; reason: string | null };

export interface BoardLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const stderrLog: BoardLog = {
  info: (m) => process.stderr.write(`hashaxe board: ${m}\n`),
  warn: (m) => process.stderr.write(`hashaxe board: warning: ${m}\n`),
  error: (m) => process.stderr.write(`hashaxe board: error: ${m}\n`),
};

/** Timing and thresholds of the safety logic; defaults follow ESP-Miner where it has one. */
export interface SafetyPolicy {
  /** Control loop period (ESP-Miner: 100 ms); also the PID's sample time. */
  controlPeriodMs: number;
  /** Temperature unreadable (failed reads, implausible values) this long while powered → power cut, latched. A stuck reading forces the fan to 100 % but does not cut. */
  sensorFailCutMs: number;
  /** A reading frozen this long while fan or power moved → stuck sensor. */
  stuckAfterMs: number;
  stuckFanDeltaPercent: number;
  stuckPowerDeltaRatio: number;
  /** Readings outside this window are not temperatures (°C). */
  plausibleMinC: number;
  plausibleMaxC: number;
  /** Restart after overheat only once this far under the limit (°C). */
  restartHysteresisC: number;
  voltageStepMv: number;
  voltageStepDelayMs: number;
  /** Power-on: regulator settle before releasing reset (ESP-Miner 500 ms), reset pulse and settle (100/100 ms). */
  powerSettleMs: number;
  resetPulseMs: number;
  resetSettleMs: number;
  /** Graceful power-off waits at most this long for the frequency ramp-down. */
  rampDownTimeoutMs: number;
  /** Re-write the fan setting this often even if unchanged (a browned-out controller forgets it). */
  fanRewriteMs: number;
  startupFanPercent: number;
  poweredOffFanPercent: number;
  emaAlpha: number;
  pid: { kp: number; ki: number; kd: number };
}

export const DEFAULT_POLICY: SafetyPolicy = {
  controlPeriodMs: 100,
  sensorFailCutMs: 10_000,
  stuckAfterMs: 60_000,
  stuckFanDeltaPercent: 10,
  stuckPowerDeltaRatio: 0.15,
  plausibleMinC: -20,
  plausibleMaxC: 150,
  restartHysteresisC: 10,
  voltageStepMv: 25,
  voltageStepDelayMs: 50,
  powerSettleMs: 500,
  resetPulseMs: 100,
  resetSettleMs: 100,
  rampDownTimeoutMs: 10_000,
  fanRewriteMs: 5_000,
  startupFanPercent: 70,
  poweredOffFanPercent: 30,
  emaAlpha: 0.2,
  pid: { kp: 5, ki: 0.1, kd: 2 },
};

/** The board cannot do that now (latched fault, still hot, sensor dead); the message says why. */
export class BoardStateError extends Error {
  override readonly name = 'BoardStateError';
}

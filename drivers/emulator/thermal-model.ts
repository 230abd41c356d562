import type { AsicModel } from '../../src/config/board.js';

/**
 * A lumped thermal model of a hashboard, so control loops are tested against physics rather than constants.
 *
 * Chip power (per chip), CMOS dynamic power with a static share:
 *   P = Pnom × (V / Vnom)² × (s + (1 − s) × f / fnom)      while powered and clocked (reset released)
 *   P = Pnom × (V / Vnom)² × s                              while powered but held in reset
 * with s = 0.1. Pnom at the model's default frequency/voltage is an assumption derived from ESP-Miner's
 * self-test power targets minus its 5 W "rest of the board" offset: BM1397 7 W (425 MHz, 1.40 V), BM1366 7 W
 * (485 MHz, 1.20 V), BM1368 7 W (490 MHz, 1.166 V), BM1370 14 W (525 MHz, 1.15 V). Leakage's rise with
 * temperature is not modelled.
 *
 * Heat path: die → heatsink (R_jc, no capacity: the die follows at once) → air (a heatsink node with capacity
 * C). Sink-to-air conductance = natural convection + forced convection ∝ (fan RPM / max)^0.8. The resistances
 * scale with the nominal power so every board lands in the same regime: with nominal power at 100 % fan the
 * die sits ~20 °C over ambient, at ~35 % fan ~35 °C over (near the 60 °C default target with 25 °C air), and
 * with the fan stopped it passes any overheat limit. The fan spins toward RPM = max × duty (stalling below
 * 10 %) with a 1 s lag. The regulator's temperature rises with its conversion loss (90 % efficiency) and
 * with the heatsink (about 30 °C over the board at nominal load), with a 30 s lag.
 */
export interface ThermalParams {
  ambientC: number;
  chipCount: number;
  nominalChipPowerW: number;
  nominalFrequencyMhz: number;
  nominalVoltageMv: number;
  staticFraction: number;
  junctionToSinkKPerW: number;
  naturalSinkKPerW: number;
  /** Sink-to-air conductance added by the fan at full speed (W/K). */
  fanConductanceWPerK: number;
  heatCapacityJPerK: number;
  fanMaxRpm: number;
  fanStallPercent: number;
  fanTimeConstantS: number;
  vrEfficiency: number;
  /** Regulator temperature rise per watt of loss (K/W). */
  vrKPerW: number;
  vrTimeConstantS: number;
}

export const NOMINAL_CHIP: Readonly<Record<AsicModel, { powerW: number; frequencyMhz: number; voltageMv: number }>> = {
  BM1397: { powerW: 7, frequencyMhz: 425, voltageMv: 1400 },
  BM1366: { powerW: 7, frequencyMhz: 485, voltageMv: 1200 },
  BM1368: { powerW: 7, frequencyMhz: 490, voltageMv: 1166 },
  BM1370: { powerW: 14, frequencyMhz: 525, voltageMv: 1150 },
};

export function thermalParamsFor(
  model: AsicModel,
  chipCount: number,
  overrides: Partial<ThermalParams> = {},
): ThermalParams {
  const nominal = NOMINAL_CHIP[model];
  const p0 = nominal.powerW * chipCount;
  return {
    ambientC: 25,
    chipCount,
    nominalChipPowerW: nominal.powerW,
    nominalFrequencyMhz: nominal.frequencyMhz,
    nominalVoltageMv: nominal.voltageMv,
    staticFraction: 0.1,
    junctionToSinkKPerW: 5 / p0,
    naturalSinkKPerW: 120 / p0,
    fanConductanceWPerK: p0 / 15 - p0 / 120,
    heatCapacityJPerK: 3.5 * p0,
    fanMaxRpm: 6000,
    fanStallPercent: 10,
    fanTimeConstantS: 1,
    vrEfficiency: 0.9,
    vrKPerW: 270 / p0,
    vrTimeConstantS: 30,
    ...overrides,
  };
}

export interface ThermalInputs {
  /** Core supply on. */
  powered: boolean;
  /** Reset released, so the chips clock and hash. */
  clocked: boolean;
  frequencyMhz: number;
  coreVoltageMv: number;
  /** Fan drive 0..100 % (PWM duty). */
  fanPercent: number;
}

export class ThermalModel {
  sinkC: number;
  vrC: number;
  fanRpm = 0;
  /** Fault injection: the fan cannot turn (blocked or dead); RPM decays to 0. */
  fanBlocked = false;
  /** Fault injection: pin the die / regulator temperature to a value (null = physics). */
  overrideDieC: number | null = null;
  overrideVrC: number | null = null;
  private powerW = 0;

  constructor(readonly params: ThermalParams) {
    this.sinkC = params.ambientC;
    this.vrC = params.ambientC;
  }

  /** Total chip power (W) for these inputs. */
  chipPowerW(inputs: ThermalInputs): number {
    if (!inputs.powered || inputs.coreVoltageMv <= 0) return 0;
    const p = this.params;
    const v = inputs.coreVoltageMv / p.nominalVoltageMv;
    const share = inputs.clocked
      ? p.staticFraction + (1 - p.staticFraction) * (inputs.frequencyMhz / p.nominalFrequencyMhz)
      : p.staticFraction;
    return p.nominalChipPowerW * v * v * share * p.chipCount;
  }

  /** Power dissipated in the last step (W). */
  get lastPowerW(): number {
    return this.powerW;
  }

  dieC(): number {
    return this.overrideDieC ?? this.sinkC + this.powerW * this.params.junctionToSinkKPerW;
  }

  vrTempC(): number {
    return this.overrideVrC ?? this.vrC;
  }

  /** Sink-to-air resistance (K/W) at the current fan speed. */
  sinkToAirKPerW(): number {
    const p = this.params;
    const airflow = Math.min(1, this.fanRpm / p.fanMaxRpm) ** 0.8;
    return 1 / (1 / p.naturalSinkKPerW + p.fanConductanceWPerK * airflow);
  }

  step(dtS: number, inputs: ThermalInputs): void {
    const p = this.params;
    const target =
      this.fanBlocked || inputs.fanPercent < p.fanStallPercent
        ? 0
        : (p.fanMaxRpm * Math.min(100, inputs.fanPercent)) / 100;
    this.fanRpm += (target - this.fanRpm) * (1 - Math.exp(-dtS / p.fanTimeConstantS));
    if (this.fanRpm < 1) this.fanRpm = 0;
    this.powerW = this.chipPowerW(inputs);
    const toAir = (this.sinkC - p.ambientC) / this.sinkToAirKPerW();
    this.sinkC += ((this.powerW - toAir) * dtS) / p.heatCapacityJPerK;
    const loss = this.powerW * (1 / p.vrEfficiency - 1);
    const vrTarget = p.ambientC + 0.5 * (this.sinkC - p.ambientC) + loss * p.vrKPerW;
    this.vrC += (vrTarget - this.vrC) * (1 - Math.exp(-dtS / p.vrTimeConstantS));
  }
}

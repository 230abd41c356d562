/**
 * The fan PID as ESP-Miner runs it (its main/thermal/PID.c, an Arduino-PID port), restated:
 * proportional on error, derivative on measurement, fixed sample time folded into the gains (ki·Ts, kd/Ts),
 * "reverse" action (a hotter input raises the output) by negating the gains, the integral clamped to the
 * output limits, and on output saturation the excess taken back out of the integral. Switching to
 * automatic seeds the integral with the current output, so the handover does not bump.
 */
export interface PidOptions {
  kp: number;
  ki: number;
  kd: number;
  sampleTimeMs: number;
  outMin: number;
  outMax: number;
  /** Reverse: output rises when the input rises above the setpoint (cooling). */
  reverse: boolean;
}

export class PidController {
  private kp: number;
  private ki: number;
  private kd: number;
  private outMin: number;
  private outMax: number;
  private outputSum = 0;
  private lastInput = 0;
  private auto = false;

  constructor(options: PidOptions) {
    const ts = options.sampleTimeMs / 1000;
    const sign = options.reverse ? -1 : 1;
    this.kp = sign * options.kp;
    this.ki = sign * options.ki * ts;
    this.kd = (sign * options.kd) / ts;
    this.outMin = options.outMin;
    this.outMax = options.outMax;
  }

  get isAutomatic(): boolean {
    return this.auto;
  }

  /** Enters automatic mode from `currentOutput` and `input` (bumpless), or leaves it. */
  setAutomatic(on: boolean, currentOutput = 0, input = 0): void {
    if (on && !this.auto) {
      this.outputSum = Math.min(this.outMax, Math.max(this.outMin, currentOutput));
      this.lastInput = input;
    }
    this.auto = on;
  }

  setOutputLimits(min: number, max: number): void {
    if (min >= max) return;
    this.outMin = min;
    this.outMax = max;
    this.outputSum = Math.min(max, Math.max(min, this.outputSum));
  }

  /** One sample: returns the new output. */
  compute(input: number, setpoint: number): number {
    const error = setpoint - input;
    const dInput = input - this.lastInput;
    this.outputSum += this.ki * error;
    this.outputSum = Math.min(this.outMax, Math.max(this.outMin, this.outputSum));
    let output = this.kp * error + this.outputSum - this.kd * dInput;
    if (output > this.outMax) {
      this.outputSum -= output - this.outMax;
      output = this.outMax;
    } else if (output < this.outMin) {
      this.outputSum += this.outMin - output;
      output = this.outMin;
    }
    this.lastInput = input;
    return output;
  }
}

/**
 * Frequency changes never jump (ESP-Miner's frequency transition, restated): from the current frequency, step
 * through the multiples of 6.25 MHz towards the target (floor of both ends when going up, ceiling when going down),
 * then finish on the exact target if it is not a multiple. A change under one step is written directly.
 */

export const RAMP_STEP_MHZ = 6.25;
const EPSILON = 0.0001;

/** The frequencies to write, in order, to go from `fromMhz` to `toMhz` (empty when already there). */
export function frequencyRamp(fromMhz: number, toMhz: number): number[] {
  if (Math.abs(fromMhz - toMhz) < EPSILON) return [];
  if (Math.abs(toMhz - fromMhz) < RAMP_STEP_MHZ) return [toMhz];
  const up = toMhz > fromMhz;
  const round = up ? Math.floor : Math.ceil;
  let step = round(fromMhz / RAMP_STEP_MHZ);
  const last = round(toMhz / RAMP_STEP_MHZ);
  const out: number[] = [];
  let current = fromMhz;
  while (up ? step < last : step > last) {
    step += up ? 1 : -1;
    current = step * RAMP_STEP_MHZ;
    out.push(current);
  }
  if (Math.abs(current - toMhz) > EPSILON) out.push(toMhz);
  return out;
}

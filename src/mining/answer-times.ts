/**
 * How long this pool takes to answer, from its own history, and so how long an answer may be waited for before its
 * absence means something.
 *
 * Only one-to-one answers are samples, each timed from the request it answers (as ESP-Miner times each request id):
 * a liveness probe's answer, a V1 mining.submit's answer, an SV2 SubmitShares.Error, and the share an SV2
 * SubmitShares.Success names as `last_sequence_number` (the one that closed the batch). The other shares of a
 * batch are not: their wait is the batch filling up at the device's share rate, not the pool thinking.
 *
 * The allowance is ALLOWANCE_FACTOR times the slowest of the last SAMPLES answers, held between a floor (a pool
 * answering in 2 ms may still stall for a garbage collection or a busy second) and a ceiling (so a frozen pool is
 * still noticed in time however slow it once was). With no sample yet it is the ceiling.
 */
export const ANSWER_SAMPLES = 32;
export const ALLOWANCE_FACTOR = 4;
export const MIN_ALLOWANCE_MS = 5_000;
export const MAX_ALLOWANCE_MS = 15_000;

export class AnswerTimes {
  private readonly samples = new Float64Array(ANSWER_SAMPLES);
  private count = 0;

  constructor(
    private readonly minAllowanceMs = MIN_ALLOWANCE_MS,
    private readonly maxAllowanceMs = MAX_ALLOWANCE_MS,
  ) {
    if (!(minAllowanceMs > 0 && maxAllowanceMs >= minAllowanceMs)) {
      throw new RangeError(`answer allowance bounds must be 0 < min ≤ max, got ${minAllowanceMs}..${maxAllowanceMs}`);
    }
  }

  /** One request answered `ms` after it was sent. */
  add(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    this.samples[this.count % ANSWER_SAMPLES] = ms;
    this.count++;
  }

  get sampleCount(): number {
    return Math.min(this.count, ANSWER_SAMPLES);
  }

  /** The slowest of the recent answers (null before the first). */
  slowestMs(): number | null {
    const n = this.sampleCount;
    if (n === 0) return null;
    let max = 0;
    for (let i = 0; i < n; i++) if (this.samples[i] > max) max = this.samples[i];
    return max;
  }

  /** How long to wait for an answer before its absence counts. */
  allowanceMs(): number {
    const slowest = this.slowestMs();
    if (slowest === null) return this.maxAllowanceMs;
    return Math.min(this.maxAllowanceMs, Math.max(this.minAllowanceMs, ALLOWANCE_FACTOR * slowest));
  }
}

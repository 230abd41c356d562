/**
 * mining.submit requests waiting for their answer, by request id. V1 answers each submit by its id, in any order
 * (public-pool handles the lines of one read concurrently), so every answer resolves exactly one share. Only an
 * answer whose id is a pending (or recently timed-out) submit counts as a share answer: ESP-Miner once counted a
 * pool's acknowledgement of its pong as an accepted share.
 *
 * A submit with no answer after the share timeout is given up (`timeout`) but remembered (the last
 * MAX_LATE_ANSWERS): a late answer then moves it to accepted or rejected, marked late. Submits in flight when the
 * connection drops are `lost`.
 */
import type { AnsweredShare } from '../../mining/job.js';

export interface PendingSubmit {
  id: number;
  jobId: string;
  /** The target the share was judged against (its job's). */
  target: bigint;
  submittedAtMs: number;
}

export interface SubmitStats {
  submitted: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  timedOut: number;
  lost: number;
  pending: number;
  /** Round-trip of answered submits over the last LATENCY_SAMPLES. */
  latencyMs: { p50: number; p99: number; max: number; samples: number };
}

export const MAX_LATE_ANSWERS = 1024;
export const LATENCY_SAMPLES = 1024;

export class PendingSubmits {
  private readonly pending = new Map<number, PendingSubmit>();
  private readonly timedOutSubmits = new Map<number, PendingSubmit>();
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latencyCount = 0;
  private submitted = 0;
  private accepted = 0;
  private rejected = 0;
  private readonly rejectedByReason: Record<string, number> = {};
  private timedOut = 0;
  private lost = 0;

  get size(): number {
    return this.pending.size;
  }

  /** True when `id` is a submit this table waits for (or gave up on recently). */
  has(id: number): boolean {
    return this.pending.has(id) || this.timedOutSubmits.has(id);
  }

  add(submit: PendingSubmit): void {
    this.pending.set(submit.id, submit);
    this.submitted++;
  }

  /**
   * The pool answered submit `id`. Returns the share it resolves (null when the id is no submit of ours), whether
   * it had already been given up as timed out, and how long the answer took.
   */
  answer(
    id: number,
    accepted: boolean,
    reason: string | null,
    nowMs: number,
  ): (AnsweredShare & { latencyMs: number }) | null {
    let submit = this.pending.get(id);
    let late = false;
    if (submit !== undefined) {
      this.pending.delete(id);
    } else {
      submit = this.timedOutSubmits.get(id);
      if (submit === undefined) return null;
      this.timedOutSubmits.delete(id);
      this.timedOut--;
      late = true;
    }
    const latency = Math.max(0, nowMs - submit.submittedAtMs);
    this.latencies[this.latencyCount % LATENCY_SAMPLES] = latency;
    this.latencyCount++;
    if (accepted) {
      this.accepted++;
    } else {
      this.rejected++;
      const key = reason ?? 'rejected without a reason';
      this.rejectedByReason[key] = (this.rejectedByReason[key] ?? 0) + 1;
    }
    return { target: submit.target, late, latencyMs: latency };
  }

  /** Gives up on submits older than `timeoutMs`; returns how many. */
  expire(nowMs: number, timeoutMs: number): number {
    let n = 0;
    for (const [id, submit] of this.pending) {
      if (nowMs - submit.submittedAtMs < timeoutMs) continue;
      this.pending.delete(id);
      this.timedOutSubmits.set(id, submit);
      if (this.timedOutSubmits.size > MAX_LATE_ANSWERS) {
        this.timedOutSubmits.delete(this.timedOutSubmits.keys().next().value as number);
      }
      this.timedOut++;
      n++;
    }
    return n;
  }

  /** The connection dropped: every pending submit's fate is unknown, and no late answer can come. */
  loseAll(): number {
    const n = this.pending.size;
    this.lost += n;
    this.pending.clear();
    this.timedOutSubmits.clear();
    return n;
  }

  stats(): SubmitStats {
    const n = Math.min(this.latencyCount, LATENCY_SAMPLES);
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const q = (p: number): number => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]);
    return {
      submitted: this.submitted,
      accepted: this.accepted,
      rejected: this.rejected,
      rejectedByReason: { ...this.rejectedByReason },
      timedOut: this.timedOut,
      lost: this.lost,
      pending: this.pending.size,
      latencyMs: { p50: q(0.5), p99: q(0.99), max: n === 0 ? 0 : sorted[n - 1], samples: n },
    };
  }
}

/**
 * Shares submitted and not yet answered, by channel and sequence number, so the engine can report accepted /
 * rejected by reason and the round-trip latency. SubmitShares.Success acknowledges every pending share up to a
 * sequence number (pools batch them); SubmitShares.Error answers one. Unanswered shares time out — late,
 * because a batch may still be open — and shares in flight when the connection drops are `lost`.
 *
 * A timed-out share is still remembered (the last MAX_LATE_ANSWERS per channel): an SRI pool acknowledges every
 * `share_batch_size` shares (10 in its example config), which at its 6 shares a minute is every 100 s, longer
 * than a share timeout. When the answer does come, the share is resolved again as accepted or rejected with
 * `late` set and leaves the timed-out count, so the figures end up as the pool has them.
 */

export interface SubmittedShare {
  channelId: number;
  sequenceNumber: number;
  jobId: number;
  nonce: number;
  ntime: number;
  version: number;
  /** The job's target when it was submitted. */
  target: bigint;
  submittedAtMs: number;
}

export type ShareOutcome = 'accepted' | 'rejected' | 'timeout' | 'lost';

export interface ResolvedShare extends SubmittedShare {
  outcome: ShareOutcome;
  /** Answered after it had already been given up as `timeout` (and counted so until now). */
  late: boolean;
  /** The pool's error code for rejected shares, else null. */
  errorCode: string | null;
  /** Time from submit to the answer (for timeouts and losses: to when it was given up). */
  latencyMs: number;
}

export interface ShareStats {
  submitted: number;
  accepted: number;
  rejected: number;
  rejectedByCode: Record<string, number>;
  timedOut: number;
  lost: number;
  pending: number;
  /** Round-trip latency of answered shares (accepted or rejected), over the last `LATENCY_SAMPLES`. */
  latencyMs: { p50: number; p99: number; max: number; samples: number };
}

export const LATENCY_SAMPLES = 1024;
/** Timed-out shares remembered per channel for a late answer. */
export const MAX_LATE_ANSWERS = 1024;

/** seq ≤ last in 32-bit serial-number arithmetic (sequence numbers wrap). */
function atOrBefore(seq: number, last: number): boolean {
  return (last - seq) >>> 0 < 0x80000000;
}

export class PendingShares {
  private readonly byChannel = new Map<number, Map<number, SubmittedShare>>();
  /** Timed out, by channel and sequence number, in the order they timed out. */
  private readonly timedOutByChannel = new Map<number, Map<number, SubmittedShare>>();
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latencyCount = 0;
  private submitted = 0;
  private accepted = 0;
  private rejected = 0;
  private readonly rejectedByCode: Record<string, number> = {};
  private timedOut = 0;
  private lost = 0;
  private pendingCount = 0;

  add(share: SubmittedShare): void {
    let ch = this.byChannel.get(share.channelId);
    if (ch === undefined) {
      ch = new Map();
      this.byChannel.set(share.channelId, ch);
    }
    ch.set(share.sequenceNumber, share);
    this.submitted++;
    this.pendingCount++;
  }

  get size(): number {
    return this.pendingCount;
  }

  private resolve(
    share: SubmittedShare,
    outcome: ShareOutcome,
    errorCode: string | null,
    nowMs: number,
  ): ResolvedShare {
    const latencyMs = Math.max(0, nowMs - share.submittedAtMs);
    if (outcome === 'accepted' || outcome === 'rejected') {
      this.latencies[this.latencyCount % LATENCY_SAMPLES] = latencyMs;
      this.latencyCount++;
    }
    this.pendingCount--;
    return { ...share, outcome, errorCode, latencyMs, late: false };
  }

  /** A timed-out share answered after all: it leaves the timed-out count for its real outcome. */
  private resolveLate(
    share: SubmittedShare,
    outcome: 'accepted' | 'rejected',
    errorCode: string | null,
    nowMs: number,
  ): ResolvedShare {
    this.timedOut--;
    return { ...share, outcome, errorCode, latencyMs: Math.max(0, nowMs - share.submittedAtMs), late: true };
  }

  /** SubmitShares.Success: everything pending up to `lastSequenceNumber` on the channel is accepted. */
  acceptUpTo(channelId: number, lastSequenceNumber: number, nowMs: number): ResolvedShare[] {
    const ch = this.byChannel.get(channelId);
    const out: ResolvedShare[] = [];
    if (ch === undefined) return out;
    for (const [seq, share] of ch) {
      if (!atOrBefore(seq, lastSequenceNumber)) continue;
      ch.delete(seq);
      this.accepted++;
      out.push(this.resolve(share, 'accepted', null, nowMs));
    }
    const late = this.timedOutByChannel.get(channelId);
    if (late !== undefined && late.size > 0) {
      for (const [seq, share] of late) {
        if (!atOrBefore(seq, lastSequenceNumber)) continue;
        late.delete(seq);
        this.accepted++;
        out.push(this.resolveLate(share, 'accepted', null, nowMs));
      }
    }
    return out;
  }

  /** SubmitShares.Error for one share; null when the sequence number is not pending (late or unknown). */
  reject(channelId: number, sequenceNumber: number, errorCode: string, nowMs: number): ResolvedShare | null {
    const ch = this.byChannel.get(channelId);
    const share = ch?.get(sequenceNumber);
    if (ch === undefined || share === undefined) {
      const late = this.timedOutByChannel.get(channelId);
      const given = late?.get(sequenceNumber);
      if (late === undefined || given === undefined) return null;
      late.delete(sequenceNumber);
      this.countRejected(errorCode);
      return this.resolveLate(given, 'rejected', errorCode, nowMs);
    }
    ch.delete(sequenceNumber);
    this.countRejected(errorCode);
    return this.resolve(share, 'rejected', errorCode, nowMs);
  }

  private countRejected(errorCode: string): void {
    this.rejected++;
    this.rejectedByCode[errorCode] = (this.rejectedByCode[errorCode] ?? 0) + 1;
  }

  /** Gives up on shares older than `timeoutMs`. */
  expire(nowMs: number, timeoutMs: number): ResolvedShare[] {
    const out: ResolvedShare[] = [];
    for (const [channelId, ch] of this.byChannel) {
      for (const [seq, share] of ch) {
        if (nowMs - share.submittedAtMs < timeoutMs) continue;
        ch.delete(seq);
        this.timedOut++;
        out.push(this.resolve(share, 'timeout', null, nowMs));
        this.rememberTimedOut(channelId, seq, share);
      }
    }
    return out;
  }

  private rememberTimedOut(channelId: number, seq: number, share: SubmittedShare): void {
    let late = this.timedOutByChannel.get(channelId);
    if (late === undefined) {
      late = new Map();
      this.timedOutByChannel.set(channelId, late);
    }
    late.set(seq, share);
    if (late.size > MAX_LATE_ANSWERS) late.delete(late.keys().next().value as number);
  }

  /** The connection dropped: every pending share's fate is unknown (and no late answer can come any more). */
  loseAll(nowMs: number): ResolvedShare[] {
    this.timedOutByChannel.clear();
    const out: ResolvedShare[] = [];
    for (const ch of this.byChannel.values()) {
      for (const share of ch.values()) {
        this.lost++;
        out.push(this.resolve(share, 'lost', null, nowMs));
      }
      ch.clear();
    }
    return out;
  }

  stats(): ShareStats {
    const n = Math.min(this.latencyCount, LATENCY_SAMPLES);
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    const q = (p: number): number => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]);
    return {
      submitted: this.submitted,
      accepted: this.accepted,
      rejected: this.rejected,
      rejectedByCode: { ...this.rejectedByCode },
      timedOut: this.timedOut,
      lost: this.lost,
      pending: this.pendingCount,
      latencyMs: { p50: q(0.5), p99: q(0.99), max: n === 0 ? 0 : sorted[n - 1], samples: n },
    };
  }
}

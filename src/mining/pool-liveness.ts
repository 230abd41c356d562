/**
 * Is the pool at the other end of a connection still alive? One rule for every upstream protocol: each client
 * feeds it what it hears and sends, calls `check` every `checkIntervalMs`, and does what it answers — send a
 * liveness probe, or close the connection as dead so the daemon fails over.
 *
 * Dead comes in four kinds:
 *
 * - frozen: the pool process stopped (SIGSTOP, a hung event loop) or the path to it is gone. TCP cannot tell:
 *   the kernel of a stopped process still accepts and acknowledges our bytes, keepalive probes included. Share
 *   answers cannot tell either: a pool that acknowledges every 10 shares of a device finding 6 a minute answers
 *   once in ~100 s. So the client asks. After a quiet spell with nothing at all from the pool — or as soon as the
 *   share that closes the pool's acknowledgement batch is overdue by the pool's own answer time
 *   (share-answer-watch.ts, answer-times.ts) — it sends a probe: a request the pool must answer and whose answer
 *   changes nothing (SV2: UpdateChannel naming a channel that is not ours, answered with UpdateChannel.Error; V1:
 *   mining.configure again, answered with its result). If neither the answer nor anything else arrives within the
 *   answer allowance (4 × the pool's slowest recent answer, within 5..15 s), the pool is frozen. Only a pool that
 *   has answered a probe is judged this way (the first goes out as soon as the connection gives work); one that
 *   ignores probes is left to the next rule, and to TCP keepalive for a dead host.
 * - silent: nothing at all (not even a ping) for `stallTimeoutMs`.
 * - no work: no job, prev hash, target or share answer for `workTimeoutMs`: a job feed that stopped behind a
 *   process that still answers pings and probes.
 * - unanswered shares: work still comes but shares are not answered (ShareAnswerWatch).
 *
 * The quiet spell is as long as the promise allows: frozenWithinMs − allowance − 2 check intervals (20 s for a
 * pool answering within the 5 s floor, 10 s at the 15 s cap), so a pool that talks often is rarely probed.
 *
 * Why a frozen pool is left within `frozenWithinMs` (27 s) of its last message: with nothing heard since T, a
 * probe goes out by T + quiet + one check interval, and the verdict falls at the first check after that probe's
 * allowance: T + quiet + allowance + 2 intervals = T + frozenWithinMs. Three more seconds leave room for the move
 * to the next pool within 30 s.
 *
 * Why a live pool is never called frozen, however it batches: the verdict needs a probe unanswered for the whole
 * allowance with nothing else heard meanwhile. Share answers, batch sizes and share rates do not enter it; a live
 * pool answers the probe in its usual time, which the allowance exceeds fourfold and by at least 5 s.
 */
import { AnswerTimes, MAX_ALLOWANCE_MS, MIN_ALLOWANCE_MS } from './answer-times.js';
import { ShareAnswerWatch } from './share-answer-watch.js';

/** The longest a frozen pool keeps the device after its last message, by default. */
export const FROZEN_WITHIN_MS = 27_000;
/** Probes a pool that answered probes before may miss (while clearly alive) before it counts as ignoring them. */
export const MAX_MISSED_PROBES = 3;
/** The shortest quiet spell before a probe (a configuration that leaves less is refused). */
export const MIN_QUIET_MS = 1000;

/** The knobs of the frozen rule (tests shorten them; the defaults keep the 27 s promise). */
export interface LivenessTuning {
  /** A frozen pool is judged within this long of its last message. Default 27 s; 0 = never probe. */
  frozenWithinMs?: number;
  /** Bounds of the answer allowance (answer-times.ts). Defaults 5 s and 15 s. */
  minAnswerAllowanceMs?: number;
  maxAnswerAllowanceMs?: number;
}

export interface PoolLivenessRules extends LivenessTuning {
  /** How often `check` runs (the promise counts two of them). */
  checkIntervalMs: number;
  /** Nothing at all heard for this long: `silent`. 0 = never. */
  stallTimeoutMs: number;
  /** No work for this long: `no-work`. 0 = never. */
  workTimeoutMs: number;
  /** See ShareAnswerWatch. 0 = never. */
  unansweredSharesTimeoutMs: number;
  /** What the probe is, for messages: "mining.configure". */
  probeName: string;
}

export type LivenessReason = 'frozen' | 'silent' | 'no-work' | 'unanswered-shares';

export interface LivenessVerdict {
  reason: LivenessReason;
  /** `frozen` and `silent`: since anything at all arrived; otherwise since the last work. */
  silentForMs: number;
  /** The last work (job, prev hash, target, share answer). */
  lastActivityAtMs: number;
  /** The last message of any kind. */
  lastHeardAtMs: number;
  /** Shares submitted since the pool last answered one. */
  unansweredShares: number;
  /** One line for the log and the connection's close reason. */
  message: string;
}

export type ProbeWhy = 'calibrate' | 'quiet' | 'share-overdue';

export type LivenessAction =
  | { kind: 'none' }
  | { kind: 'probe'; why: ProbeWhy }
  | { kind: 'dead'; verdict: LivenessVerdict };

/** Whether this pool answers the probe: unknown until it did (or, alive, did not). */
export type ProbeCapability = 'unknown' | 'answers' | 'ignores';

export interface LivenessSnapshot {
  probes: ProbeCapability;
  probeOutstanding: boolean;
  answerAllowanceMs: number;
  /** Quiet before the next probe, at the allowance now. */
  quietBeforeProbeMs: number;
  slowestAnswerMs: number | null;
  /** The largest acknowledgement batch seen (0 while unknown). */
  batchSize: number;
  unansweredShares: number;
  lastHeardAtMs: number;
  lastActivityAtMs: number;
}

interface OutstandingProbe {
  sentAtMs: number;
  allowanceMs: number;
}

const ALIVE: LivenessAction = { kind: 'none' };

export class PoolLiveness {
  private readonly answers: AnswerTimes;
  private readonly shares: ShareAnswerWatch;
  private readonly withinMs: number;
  private lastHeardMs = 0;
  private lastWorkMs = 0;
  private probe: OutstandingProbe | null = null;
  private capability: ProbeCapability = 'unknown';
  private missed = 0;
  private calibrate = false;
  /** A probe was already sent for the overdue share of this answer window. */
  private probedOverdueShare = false;

  /** Throws RangeError when the promise cannot be kept: the allowance's cap and two checks leave under 1 s quiet. */
  constructor(private readonly rules: PoolLivenessRules) {
    const maxAllowance = rules.maxAnswerAllowanceMs ?? MAX_ALLOWANCE_MS;
    this.answers = new AnswerTimes(rules.minAnswerAllowanceMs ?? MIN_ALLOWANCE_MS, maxAllowance);
    this.shares = new ShareAnswerWatch(rules.unansweredSharesTimeoutMs);
    this.withinMs = rules.frozenWithinMs ?? FROZEN_WITHIN_MS;
    if (this.withinMs > 0 && this.withinMs - maxAllowance - 2 * rules.checkIntervalMs < MIN_QUIET_MS) {
      throw new RangeError(
        `a frozen pool cannot be judged within ${this.withinMs} ms with answers awaited up to ${maxAllowance} ms ` +
          `and checks every ${rules.checkIntervalMs} ms`,
      );
    }
  }

  /**
   * A new connection gives work: its clocks start now, nothing is outstanding on it, and a pool not yet known to
   * answer probes gets one at the next check. What the pool answered before (times, batch size, probes) is kept.
   */
  connected(nowMs: number): void {
    this.lastHeardMs = nowMs;
    this.lastWorkMs = nowMs;
    this.probe = null;
    this.probedOverdueShare = false;
    this.shares.reset();
    this.calibrate = this.capability === 'unknown' && this.withinMs > 0;
  }

  /** Any message from the pool (a ping, a probe answer, a line we could not parse: the process is running). */
  heard(nowMs: number): void {
    if (nowMs > this.lastHeardMs) this.lastHeardMs = nowMs;
  }

  /** A job, prev hash, target, extranonce or channel change: the pool gives work. */
  work(nowMs: number): void {
    this.heard(nowMs);
    if (nowMs > this.lastWorkMs) this.lastWorkMs = nowMs;
  }

  shareSubmitted(nowMs: number): void {
    this.shares.submitted(nowMs);
  }

  /**
   * The pool answered shares: `acknowledged` of them at once (an SV2 Success's count; 0 for an SV2 Error; 1 for a
   * V1 answer), and `answerMs` the time the one share this answer names took (null when it names none of ours
   * still pending).
   */
  shareAnswered(nowMs: number, acknowledged: number, answerMs: number | null): void {
    this.work(nowMs);
    this.shares.answered(acknowledged);
    this.probedOverdueShare = false;
    if (answerMs !== null) this.answers.add(answerMs);
  }

  /** The client sent the probe `check` asked for. */
  probeSent(nowMs: number): void {
    this.probe = { sentAtMs: nowMs, allowanceMs: this.answers.allowanceMs() };
    this.calibrate = false;
  }

  /** The pool answered the outstanding probe. */
  probeAnswered(nowMs: number): void {
    this.heard(nowMs);
    const p = this.probe;
    if (p === null) return;
    this.probe = null;
    this.answers.add(nowMs - p.sentAtMs);
    this.capability = 'answers';
    this.missed = 0;
  }

  get probes(): ProbeCapability {
    return this.capability;
  }

  snapshot(): LivenessSnapshot {
    return {
      probes: this.capability,
      probeOutstanding: this.probe !== null,
      answerAllowanceMs: this.answers.allowanceMs(),
      quietBeforeProbeMs: this.quietMs(),
      slowestAnswerMs: this.answers.slowestMs(),
      batchSize: this.shares.batchSize,
      unansweredShares: this.shares.unansweredShares,
      lastHeardAtMs: this.lastHeardMs,
      lastActivityAtMs: this.lastWorkMs,
    };
  }

  /** One round: what to do now. */
  check(nowMs: number): LivenessAction {
    const frozen = this.judgeProbe(nowMs);
    if (frozen !== null) return frozen;
    const quietFor = nowMs - this.lastHeardMs;
    if (this.rules.stallTimeoutMs > 0 && quietFor >= this.rules.stallTimeoutMs) {
      return this.dead('silent', quietFor, `pool sent nothing at all for ${seconds(quietFor)} s`);
    }
    const sinceWork = nowMs - this.lastWorkMs;
    if (this.rules.workTimeoutMs > 0 && sinceWork >= this.rules.workTimeoutMs) {
      return this.dead(
        'no-work',
        sinceWork,
        `pool sent no job, target or share answer for ${seconds(sinceWork)} s (though it still talks)`,
      );
    }
    const unanswered = this.shares.check(nowMs);
    if (unanswered > 0) {
      return this.dead(
        'unanswered-shares',
        sinceWork,
        `pool answered none of the last ${unanswered} shares, though it still sends work`,
        unanswered,
      );
    }
    return this.nextProbe(nowMs);
  }

  /** Quiet before a probe: what the promise leaves after the allowance and two checks. */
  private quietMs(): number {
    return this.withinMs - this.answers.allowanceMs() - 2 * this.rules.checkIntervalMs;
  }

  /** The outstanding probe: answered in time (nothing to do), missed by a live pool, or the pool is frozen. */
  private judgeProbe(nowMs: number): LivenessAction | null {
    const p = this.probe;
    if (p === null || nowMs - p.sentAtMs < p.allowanceMs) return null;
    if (this.lastHeardMs > p.sentAtMs) {
      // Alive (something else came) but no answer: this pool may not answer probes at all.
      this.probe = null;
      if (this.capability === 'unknown' || ++this.missed >= MAX_MISSED_PROBES) this.capability = 'ignores';
      return null;
    }
    // Nothing at all since the probe. Only a pool known to answer probes is judged on that.
    if (this.capability !== 'answers') return null;
    const quietFor = nowMs - this.lastHeardMs;
    const slowest = this.answers.slowestMs();
    return this.dead(
      'frozen',
      quietFor,
      `pool froze: nothing from it for ${seconds(quietFor)} s, and no answer to a liveness probe ` +
        `(${this.rules.probeName}) within ${seconds(p.allowanceMs)} s` +
        (slowest !== null ? ` (its slowest answer of late: ${Math.round(slowest)} ms)` : ''),
    );
  }

  private nextProbe(nowMs: number): LivenessAction {
    if (this.probe !== null || this.capability === 'ignores' || this.withinMs <= 0) return ALIVE;
    if (this.calibrate) return { kind: 'probe', why: 'calibrate' };
    if (nowMs - this.lastHeardMs >= this.quietMs()) return { kind: 'probe', why: 'quiet' };
    if (!this.probedOverdueShare) {
      const owed = this.shares.owedSinceMs();
      if (owed !== null && nowMs - owed >= this.answers.allowanceMs()) {
        this.probedOverdueShare = true;
        return { kind: 'probe', why: 'share-overdue' };
      }
    }
    return ALIVE;
  }

  private dead(
    reason: LivenessReason,
    silentForMs: number,
    message: string,
    unansweredShares = this.shares.unansweredShares,
  ): LivenessAction {
    return {
      kind: 'dead',
      verdict: {
        reason,
        silentForMs,
        lastActivityAtMs: this.lastWorkMs,
        lastHeardAtMs: this.lastHeardMs,
        unansweredShares,
        message,
      },
    };
  }
}

/** A verdict as the daemon's failover log says it after the pool's URL: "froze: …", "connected but silent …". */
export function describeVerdict(v: LivenessVerdict): string {
  switch (v.reason) {
    case 'frozen':
      return v.message.replace(/^pool /, '');
    case 'silent':
      return `connected but silent for ${seconds(v.silentForMs)} s`;
    case 'no-work':
      return `connected but sent no job, target or share answer for ${seconds(v.silentForMs)} s`;
    case 'unanswered-shares':
      return `still sends work but answered none of the last ${v.unansweredShares} shares`;
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}

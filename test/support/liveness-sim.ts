/**
 * A discrete-event simulation of one pool connection as the liveness rule (src/mining/pool-liveness.ts) sees it,
 * on a simulated clock: a device submitting shares at random (a Poisson process at a given rate), a pool that
 * acknowledges them in batches, sends jobs on a timer and answers probes after a round trip drawn per request,
 * and the client's check once a second. The pool may freeze at a given moment: from then on it processes nothing
 * (answers already on the wire still arrive, as a stopped process's kernel would have sent them).
 */
import {
  type LivenessAction,
  type LivenessVerdict,
  PoolLiveness,
  type PoolLivenessRules,
} from '../../src/mining/pool-liveness.js';
import { Prng } from './prng.js';

export interface SimulatedPool {
  /** Accepted shares per SubmitShares.Success (SRI: 10); 1 for a V1 pool. */
  batch: number;
  /** New job every this many ms (null: never). */
  jobEveryMs: number | null;
  answersProbes: boolean;
  /** Round trip of one request, drawn per request (ms). */
  roundTripMs: (rng: Prng) => number;
}

export interface SimulationInput {
  pool: SimulatedPool;
  sharesPerMinute: number;
  durationMs: number;
  /** The pool stops processing anything at this moment (null: never). */
  freezeAtMs?: number | null;
  rules: PoolLivenessRules;
  checkIntervalMs?: number;
  seed: number;
}

export interface SimulationResult {
  /** The first dead verdict (the client closes the connection there), or null. */
  dead: { atMs: number; verdict: LivenessVerdict } | null;
  probes: Record<string, number>;
  probesAnswered: number;
  sharesSubmitted: number;
  acknowledgements: number;
  /** Longest stretch with nothing at all arriving from the pool. */
  longestQuietMs: number;
  /** When something last arrived from the pool. */
  lastArrivalMs: number;
}

type Event =
  | { at: number; kind: 'share' }
  | { at: number; kind: 'job-sent' }
  | { at: number; kind: 'arrive'; what: 'job' | 'probe-answer' | 'ack'; closingRttMs?: number; count?: number }
  | { at: number; kind: 'pool-receives'; what: 'share' | 'probe'; sentAt: number; rtt: number }
  | { at: number; kind: 'check' };

/** A binary heap by time (ties: arrivals before checks, so a check sees what arrived in the same millisecond). */
class Queue {
  private readonly items: Event[] = [];
  private static rank(e: Event): number {
    return e.kind === 'check' ? 1 : 0;
  }
  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && Queue.rank(a) < Queue.rank(b));
  }
  push(e: Event): void {
    const h = this.items;
    h.push(e);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): Event | undefined {
    const h = this.items;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop() as Event;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

export function simulate(input: SimulationInput): SimulationResult {
  const rng = new Prng(input.seed);
  const uniform = (): number => (rng.u32() + 0.5) / 4294967296;
  const meanGapMs = 60_000 / input.sharesPerMinute;
  const nextShareGap = (): number => -Math.log(uniform()) * meanGapMs;
  const check = input.checkIntervalMs ?? 1000;
  const freezeAt = input.freezeAtMs ?? Number.POSITIVE_INFINITY;
  const live = new PoolLiveness(input.rules);
  const q = new Queue();
  const result: SimulationResult = {
    dead: null,
    probes: {},
    probesAnswered: 0,
    sharesSubmitted: 0,
    acknowledgements: 0,
    longestQuietMs: 0,
    lastArrivalMs: 0,
  };
  let accepted = 0;
  const arrive = (now: number): void => {
    result.longestQuietMs = Math.max(result.longestQuietMs, now - result.lastArrivalMs);
    result.lastArrivalMs = now;
  };

  live.connected(0);
  q.push({ at: nextShareGap(), kind: 'share' });
  if (input.pool.jobEveryMs !== null) q.push({ at: input.pool.jobEveryMs, kind: 'job-sent' });
  q.push({ at: check, kind: 'check' });

  for (let e = q.pop(); e !== undefined && e.at <= input.durationMs; e = q.pop()) {
    const now = e.at;
    switch (e.kind) {
      case 'share': {
        live.shareSubmitted(now);
        result.sharesSubmitted++;
        const rtt = input.pool.roundTripMs(rng);
        q.push({ at: now + rtt / 2, kind: 'pool-receives', what: 'share', sentAt: now, rtt });
        q.push({ at: now + nextShareGap(), kind: 'share' });
        break;
      }
      case 'job-sent':
        if (now >= freezeAt) break;
        q.push({ at: now + input.pool.roundTripMs(rng) / 2, kind: 'arrive', what: 'job' });
        q.push({ at: now + (input.pool.jobEveryMs as number), kind: 'job-sent' });
        break;
      case 'pool-receives':
        if (now >= freezeAt) break;
        if (e.what === 'share') {
          accepted++;
          if (accepted % input.pool.batch === 0) {
            q.push({
              at: e.sentAt + e.rtt,
              kind: 'arrive',
              what: 'ack',
              closingRttMs: e.rtt,
              count: input.pool.batch,
            });
          }
        } else if (input.pool.answersProbes) {
          q.push({ at: e.sentAt + e.rtt, kind: 'arrive', what: 'probe-answer' });
        }
        break;
      case 'arrive':
        arrive(now);
        if (e.what === 'job') live.work(now);
        else if (e.what === 'ack') {
          result.acknowledgements++;
          live.shareAnswered(now, e.count as number, e.closingRttMs as number);
        } else {
          result.probesAnswered++;
          live.probeAnswered(now);
        }
        break;
      case 'check': {
        const action: LivenessAction = live.check(now);
        if (action.kind === 'dead') {
          result.dead = { atMs: now, verdict: action.verdict };
          return result;
        }
        if (action.kind === 'probe') {
          result.probes[action.why] = (result.probes[action.why] ?? 0) + 1;
          live.probeSent(now);
          const rtt = input.pool.roundTripMs(rng);
          q.push({ at: now + rtt / 2, kind: 'pool-receives', what: 'probe', sentAt: now, rtt });
        }
        q.push({ at: now + check, kind: 'check' });
        break;
      }
    }
  }
  return result;
}

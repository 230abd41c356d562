import assert from 'node:assert/strict';
import { test } from 'node:test';
import { merkleRootFromPath } from '../../../src/bitcoin/merkle.js';
import { sha256d } from '../../../src/bitcoin/sha256.js';
import { DIFF1_TARGET, difficultyOfStateWords, MAX_TARGET, targetToLimbs } from '../../../src/bitcoin/target.js';
import { versionAfter } from '../../../src/bitcoin/version-bits.js';
import { MiningEngine } from '../../../src/mining/engine.js';
import { HeaderTemplate } from '../../../src/mining/header-template.js';
import type { MiningJob } from '../../../src/mining/job.js';
import type { MiningChain } from '../../../src/mining/mining-chain.js';
import { ticketTarget } from '../../../src/mining/ticket.js';
import type { ChipResult, Work } from '../../../src/mining/work.js';
import { Prng } from '../../support/prng.js';

/** A chain that records what it is sent and lets the test play the chips. */
class FakeChain implements MiningChain {
  readonly chipCount = 4;
  readonly rollableVersionBits = 0x1fffe000;
  readonly sent: Array<{ id: number; work: Work }> = [];
  invalidations = 0;
  tickets: number[] = [];
  private nextId = 0;
  private listener: ((r: ChipResult) => void) | null = null;

  constructor(
    readonly chipRollsVersions = true,
    readonly versionsPerWork = 1,
  ) {}

  sendWork(work: Work): number {
    this.nextId = (this.nextId + 8) % 128;
    this.sent.push({ id: this.nextId, work });
    return this.nextId;
  }

  invalidateJobs(): void {
    this.invalidations++;
  }

  setTicketDifficulty(d: number): number {
    this.tickets.push(d);
    return d;
  }

  onResult(listener: (r: ChipResult) => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = null;
    };
  }

  report(r: ChipResult): void {
    this.listener?.(r);
  }

  get last(): { id: number; work: Work } {
    const x = this.sent.at(-1);
    assert.ok(x, 'work was sent');
    return x;
  }
}

interface Submitted {
  channelId: number;
  jobId: number | string;
  extranonce: Uint8Array | null;
  nonce: number;
  ntime: number;
  version: number;
}

function job(rng: Prng, jobId: number, target: bigint, nowMs = 0): MiningJob {
  return {
    channelId: 7,
    jobId,
    version: 0x20000000,
    versionRolling: { allowed: true, mask: 0x1fffe000 },
    header: { kind: 'merkle-root', merkleRoot: rng.bytes(32) },
    prevHash: rng.bytes(32),
    nbits: 0x1d00ffff,
    minNtime: 1_700_000_000,
    target,
    targetLimbs: targetToLimbs(target),
    activatedAtMs: nowMs,
  };
}

/** Nonces of `work` at `version` whose hash difficulty falls in [minDiff, maxDiff). */
function findNonces(work: Work, version: number, minDiff: number, maxDiff: number, count: number): number[] {
  const t = new HeaderTemplate(work);
  const words = new Uint32Array(8);
  const out: number[] = [];
  for (let n = 0; out.length < count && n < 5_000_000; n++) {
    t.hash(version, n, words);
    const d = difficultyOfStateWords(words);
    if (d >= minDiff && d < maxDiff) out.push(n);
  }
  assert.equal(out.length, count, 'test nonces found');
  return out;
}

// Effective ticket 2^-20 (1 chip unit at scale 2^-20): about one hash in 4096 passes it.
const SCALE = 2 ** -20;
const TICKET = SCALE;

function rig(options: { target?: bigint; chain?: FakeChain } = {}) {
  const chain = options.chain ?? new FakeChain();
  const submitted: Submitted[] = [];
  let now = 0;
  const engine = new MiningEngine({
    chain,
    submitter: {
      submitShare: (s) => {
        submitted.push({
          channelId: s.job.channelId,
          jobId: s.job.jobId,
          extranonce: s.extranonce,
          nonce: s.nonce,
          ntime: s.ntime,
          version: s.version,
        });
        return submitted.length - 1;
      },
    },
    hashrateHs: 1, // tiny: the ticket is set by the rate rule at its floor, 1 chip unit
    target: options.target ?? MAX_TARGET,
    difficultyScale: SCALE,
    refreshIntervalMs: 1000,
    now: () => now,
  });
  return { chain, engine, submitted, advance: (ms: number) => (now += ms), now: () => now };
}

test('a new prev hash goes to the chips in the same call, after every older job was invalidated', () => {
  const { chain, engine } = rig();
  const j = job(new Prng(1), 3, MAX_TARGET);
  engine.newTip(j);
  assert.equal(chain.invalidations, 1);
  assert.equal(chain.sent.length, 1);
  const w = chain.last.work;
  assert.equal(w.prevHash, j.prevHash, 'no copies on the dispatch path');
  assert.equal(w.merkleRoot, j.header.kind === 'merkle-root' ? j.header.merkleRoot : null);
  assert.equal(w.ntime, j.minNtime);
  assert.equal(w.nbits, j.nbits);
  assert.equal(w.version, j.version);
  assert.equal(w.versionMask, 0x1fffe000);
  assert.deepEqual(chain.tickets, [1], 'ticket programmed at start');
  assert.equal(engine.ticketChoice.effectiveDifficulty, TICKET);
});

test('a verified nonce above the channel target is submitted with the work’s ntime and the rolled version', () => {
  const target = DIFF1_TARGET * 2n ** 16n; // share difficulty 2^-16
  const { chain, engine, submitted } = rig({ target });
  const j = job(new Prng(2), 11, target);
  engine.newTip(j);
  const { id, work } = chain.last;
  const version = versionAfter(work.version, work.versionMask, 5);
  const [share] = findNonces(work, version, 2 ** -15, Number.POSITIVE_INFINITY, 1);
  const [weak] = findNonces(work, version, 2 ** -19, 2 ** -17, 1);
  chain.report({ jobId: id, nonce: weak, version, chipIndex: 1, coreId: 0 });
  assert.equal(submitted.length, 0, 'meets the ticket, not the share target');
  chain.report({ jobId: id, nonce: share, version, chipIndex: 2, coreId: 9 });
  assert.deepEqual(submitted, [
    { channelId: 7, jobId: 11, extranonce: null, nonce: share, ntime: work.ntime, version },
  ]);
  const s = engine.stats.snapshot();
  assert.equal(s.verifiedNonces, 2);
  assert.equal(s.hwErrors, 0);
  assert.deepEqual(
    s.chips.map((c) => c.nonces),
    [0, 1, 1, 0],
  );
  assert.ok(s.bestDifficulty >= 2 ** -15);
});

test('a nonce that does not hash to its ticket is a hardware error of its chip and is never submitted', () => {
  const { chain, engine, submitted } = rig();
  engine.newTip(job(new Prng(3), 1, MAX_TARGET));
  const { id, work } = chain.last;
  // Below the ticket's 2^-20 (but not by much, so a bug comparing the wrong way would show).
  const bad = findNonces(work, work.version, 0, 2 ** -21, 3);
  for (const nonce of bad) chain.report({ jobId: id, nonce, version: work.version, chipIndex: 3, coreId: 0 });
  const s = engine.stats.snapshot();
  assert.equal(s.hwErrors, 3);
  assert.deepEqual(
    s.chips.map((c) => c.hwErrors),
    [0, 0, 0, 3],
  );
  assert.equal(s.verifiedNonces, 0);
  assert.equal(submitted.length, 0);
  // The rebuilt header uses the version the chip reports: a good nonce reported with a wrong version is an error.
  const wrongVersion = versionAfter(work.version, work.versionMask, 1);
  const t = new HeaderTemplate(work);
  const words = new Uint32Array(8);
  const good = findNonces(work, work.version, 2 ** -19, Number.POSITIVE_INFINITY, 8).find((n) => {
    t.hash(wrongVersion, n, words);
    return difficultyOfStateWords(words) < 2 ** -20;
  });
  assert.ok(good !== undefined);
  chain.report({ jobId: id, nonce: good, version: wrongVersion, chipIndex: 0, coreId: 0 });
  assert.equal(engine.stats.snapshot().chips[0].hwErrors, 1);
  chain.report({ jobId: id, nonce: good, version: work.version, chipIndex: 0, coreId: 0 });
  assert.equal(engine.stats.snapshot().verifiedNonces, 1);
});

test('after a new prev hash a late nonce of the old block is verified but never submitted', () => {
  const { chain, engine, submitted } = rig();
  const rng = new Prng(4);
  engine.newTip(job(rng, 1, MAX_TARGET));
  const old = chain.last;
  const [nonce] = findNonces(old.work, old.work.version, 2 ** -19, Number.POSITIVE_INFINITY, 1);
  engine.newTip(job(rng, 2, MAX_TARGET));
  // The real driver drops results of invalidated ids; the engine does not rely on it.
  chain.report({ jobId: old.id, nonce, version: old.work.version, chipIndex: 0, coreId: 0 });
  assert.equal(submitted.length, 0);
  assert.equal(engine.stats.snapshot().sharesDroppedStale, 1);
  assert.equal(engine.counters.prevHashChanges, 2);
});

test('a job on the same block keeps earlier jobs valid: their shares still go out', () => {
  const { chain, engine, submitted } = rig();
  const rng = new Prng(5);
  engine.newTip(job(rng, 1, MAX_TARGET));
  const first = chain.last;
  const [nonce] = findNonces(first.work, first.work.version, 2 ** -19, Number.POSITIVE_INFINITY, 1);
  engine.activeJob({ ...job(rng, 2, MAX_TARGET), prevHash: first.work.prevHash });
  assert.equal(chain.sent.length, 2);
  assert.equal(chain.invalidations, 1, 'no invalidation for a job on the same block');
  chain.report({ jobId: first.id, nonce, version: first.work.version, chipIndex: 0, coreId: 0 });
  assert.equal(submitted.length, 1);
  assert.equal(submitted[0].jobId, 1);
});

test('shares are held to the stricter of the job’s target and the channel’s current one', () => {
  const easy = DIFF1_TARGET * 2n ** 19n; // difficulty 2^-19
  const { chain, engine, submitted } = rig({ target: easy });
  engine.newTip(job(new Prng(6), 1, easy));
  const { id, work } = chain.last;
  const [mid] = findNonces(work, work.version, 2 ** -19, 2 ** -17, 1);
  engine.setTarget(DIFF1_TARGET * 2n ** 17n); // the pool raised the difficulty to 2^-17
  chain.report({ jobId: id, nonce: mid, version: work.version, chipIndex: 0, coreId: 0 });
  assert.equal(submitted.length, 0, 'would be rejected by a pool that applies the new target');
  assert.equal(engine.stats.snapshot().verifiedNonces, 1);
});

test('a higher share difficulty leaves the ticket; a lower one pulls it down at once', () => {
  const chain = new FakeChain();
  const engine = new MiningEngine({
    chain,
    submitter: { submitShare: () => 0 },
    hashrateHs: 500e9,
    target: DIFF1_TARGET / 1000n,
    refreshIntervalMs: 1000,
  });
  assert.deepEqual(chain.tickets, [2]);
  engine.setTarget(DIFF1_TARGET / 100_000n);
  assert.deepEqual(chain.tickets, [2]);
  engine.setTarget(DIFF1_TARGET); // difficulty 1
  assert.deepEqual(chain.tickets, [2, 1]);
});

test('pause refuses results and keeps the job; resume sends it again; upstreamDown forgets it', () => {
  const { chain, engine, submitted, advance } = rig();
  engine.newTip(job(new Prng(7), 1, MAX_TARGET));
  const before = chain.last;
  const [nonce] = findNonces(before.work, before.work.version, 2 ** -19, Number.POSITIVE_INFINITY, 1);
  engine.pause();
  engine.refresh();
  assert.equal(chain.sent.length, 1, 'nothing sent while the chips are down');
  chain.report({ jobId: before.id, nonce, version: before.work.version, chipIndex: 0, coreId: 0 });
  assert.equal(submitted.length, 0);
  advance(1000);
  engine.resume();
  assert.equal(chain.sent.length, 2);
  assert.equal(chain.last.work.ntime, before.work.ntime + 1, 'new work: the chips must not repeat old headers');
  engine.upstreamDown();
  engine.refresh();
  engine.resume();
  assert.equal(chain.sent.length, 2, 'no job to send after the pool went away');
});

test('refresh hands BM1397-style chains fresh midstate versions, and chip-rolling chains a new ntime per second', () => {
  const bm1397 = rig({ chain: new FakeChain(false, 4) });
  bm1397.engine.newTip(job(new Prng(8), 1, MAX_TARGET));
  for (let i = 0; i < 5; i++) bm1397.engine.refresh();
  const versions = bm1397.chain.sent.map((s) => s.work.version);
  assert.deepEqual(
    versions,
    [0, 4, 8, 12, 16, 20].map((k) => versionAfter(0x20000000, 0x1fffe000, k)),
  );
  const bm1366 = rig();
  bm1366.engine.newTip(job(new Prng(9), 1, MAX_TARGET));
  bm1366.engine.refresh();
  assert.equal(bm1366.chain.sent.length, 1, 'same second: nothing new to send');
  assert.equal(bm1366.engine.counters.exhaustedRefreshes, 1);
  bm1366.advance(1000);
  bm1366.engine.refresh();
  assert.equal(bm1366.chain.last.work.ntime, 1_700_000_001);
});

test('hash rate is credited at the effective ticket per verified nonce', () => {
  const { chain, engine, advance } = rig();
  engine.newTip(job(new Prng(10), 1, MAX_TARGET));
  const { id, work } = chain.last;
  const nonces = findNonces(work, work.version, 2 ** -20, Number.POSITIVE_INFINITY, 40);
  for (const nonce of nonces) chain.report({ jobId: id, nonce, version: work.version, chipIndex: 0, coreId: 0 });
  advance(10_000);
  const s = engine.stats.snapshot();
  // 40 nonces × 2^-20 × 2^32 hashes over 10 s.
  assert.ok(Math.abs(s.hashrateGhs.avg * 1e9 - (40 * 2 ** 12) / 10) < 1e-6);
  assert.ok(ticketTarget(TICKET) > 0n);
});

test('a coinbase job: each piece is a fresh extranonce and merkle root, and a share names the extranonce it used', () => {
  const target = DIFF1_TARGET * 2n ** 16n;
  const { chain, engine, submitted } = rig({ target });
  const rng = new Prng(12);
  const prefix = rng.bytes(41);
  const suffix = rng.bytes(60);
  const merklePath = [rng.bytes(32), rng.bytes(32)];
  const j: MiningJob = {
    ...job(rng, 0, target),
    jobId: 'a1f',
    header: { kind: 'coinbase', prefix, extranonceSize: 4, suffix, merklePath },
  };
  engine.newTip(j);
  engine.refresh();
  engine.refresh();
  assert.equal(chain.sent.length, 3);
  const roots = new Set(chain.sent.map((x) => Buffer.from(x.work.merkleRoot).toString('hex')));
  assert.equal(roots.size, 3, 'three different merkle roots');
  assert.deepEqual(
    chain.sent.map((x) => [...(x.work.extranonce ?? [])]),
    [
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [2, 0, 0, 0],
    ],
  );
  for (const { work } of chain.sent) {
    const tx = Buffer.concat([prefix, work.extranonce ?? new Uint8Array(), suffix]);
    assert.deepEqual(work.merkleRoot, merkleRootFromPath(sha256d(tx), merklePath), 'the root of that coinbase');
  }
  const { id, work } = chain.sent[1];
  const [nonce] = findNonces(work, work.version, 2 ** -15, Number.POSITIVE_INFINITY, 1);
  chain.report({ jobId: id, nonce, version: work.version, chipIndex: 0, coreId: 0 });
  assert.equal(submitted.length, 1);
  assert.equal(submitted[0].jobId, 'a1f');
  assert.deepEqual([...(submitted[0].extranonce ?? [])], [1, 0, 0, 0]);
  assert.equal(submitted[0].ntime, work.ntime);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { targetToLimbs } from '../../../src/bitcoin/target.js';
import { MiningEngine } from '../../../src/mining/engine.js';
import { extranoncePartition } from '../../../src/mining/extranonce-partition.js';
import type { MiningJob } from '../../../src/mining/job.js';
import type { MiningChain } from '../../../src/mining/mining-chain.js';
import type { ChipResult, Work } from '../../../src/mining/work.js';
import { extranonceSpace } from '../../../src/mining/work-roller.js';
import { bytesToHex } from '../../../src/util/hex.js';

test('extranoncePartition: the boards’ runs are disjoint, cover the space, and bad shares are refused by name', () => {
  for (const size of [1, 2, 3, 4, 8]) {
    const space = extranonceSpace(size);
    for (const count of [1, 2, 3, 6, 7]) {
      const runs = Array.from({ length: count }, (_, index) => extranoncePartition(size, { index, count }));
      let next = 0;
      for (const r of runs) {
        assert.equal(r.start, next, `size ${size}, ${count} boards: runs follow each other`);
        assert.ok(r.count >= 1);
        next = r.start + r.count;
      }
      assert.equal(next, space, `size ${size}, ${count} boards: the whole space, nothing twice`);
    }
  }
  assert.throws(() => extranoncePartition(4, { index: 2, count: 2 }), /board index must be 0\.\.1, got 2/);
  assert.throws(() => extranoncePartition(4, { index: 0, count: 0 }), /board count must be ≥ 1/);
  assert.throws(() => extranoncePartition(1, { index: 0, count: 300 }), /300 boards cannot share a 1-byte extranonce/);
});

/** A chain that keeps what it is sent. */
class RecordingChain implements MiningChain {
  readonly chipCount = 1;
  readonly rollableVersionBits = 0x1fffe000;
  readonly chipRollsVersions = true;
  readonly versionsPerWork = 1;
  readonly sent: Work[] = [];
  sendWork(work: Work): number {
    this.sent.push(work);
    return (this.sent.length * 8) % 128;
  }
  invalidateJobs(): void {}
  setTicketDifficulty(d: number): number {
    return d;
  }
  onResult(_listener: (r: ChipResult) => void): () => void {
    return () => {};
  }
}

test('two boards behind one extended channel: each engine rolls its own run of the extranonce, never the other’s', () => {
  const target = 1n << 240n;
  const job: MiningJob = {
    channelId: 1,
    jobId: 1,
    version: 0x20000000,
    // BIP320 only: the chips roll every granted bit, so each piece of work is a new extranonce.
    versionRolling: { allowed: true, mask: 0x1fffe000 },
    header: {
      kind: 'coinbase',
      prefix: new Uint8Array(50).fill(1),
      extranonceSize: 2,
      suffix: new Uint8Array(60).fill(2),
      merklePath: [new Uint8Array(32).fill(3)],
    },
    prevHash: new Uint8Array(32).fill(4),
    nbits: 0x1d00ffff,
    minNtime: 1_700_000_000,
    target,
    targetLimbs: targetToLimbs(target),
    activatedAtMs: 0,
  };
  const seen: Array<Set<string>> = [];
  for (const index of [0, 1]) {
    const chain = new RecordingChain();
    const engine = new MiningEngine({
      chain,
      submitter: { submitShare: () => 0 },
      hashrateHs: 1e12,
      target,
      refreshIntervalMs: 60_000,
      extranonceShare: { index, count: 2 },
      now: () => 0,
    });
    engine.newTip(job);
    for (let i = 0; i < 2000; i++) engine.refresh();
    engine.stop();
    const values = new Set(chain.sent.map((w) => bytesToHex(w.extranonce ?? new Uint8Array())));
    assert.equal(values.size, chain.sent.length, 'a new extranonce for every piece of work');
    // Board 0 counts up from 0, board 1 from half the 2-byte space (little-endian counter: 0x8000 → "0080").
    assert.equal(bytesToHex(chain.sent[0].extranonce!), index === 0 ? '0000' : '0080');
    seen.push(values);
  }
  for (const v of seen[0]) assert.ok(!seen[1].has(v), `extranonce ${v} on both boards`);
});

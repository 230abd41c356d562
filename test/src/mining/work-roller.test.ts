import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionAfter } from '../../../src/bitcoin/version-bits.js';
import { type RollerSetup, WorkRoller } from '../../../src/mining/work-roller.js';

const BIP320 = 0x1fffe000;
const BIP323 = 0x1fffffe0;

function setup(over: Partial<RollerSetup>): RollerSetup {
  return {
    version: 0x20000000,
    minNtime: 1_700_000_000,
    grantedMask: BIP320,
    prevHash: new Uint8Array(32).fill(1),
    header: { kind: 'merkle-root', merkleRoot: new Uint8Array(32).fill(2) },
    nbits: 0x1d00ffff,
    activatedAtMs: 1_000_000,
    rollableVersionBits: BIP320,
    chipRollsVersions: true,
    versionsPerWork: 1,
    ...over,
  };
}

test('chips that roll the whole grant get a new ntime per piece, never ahead of min_ntime + elapsed seconds', () => {
  const r = new WorkRoller(setup({}));
  const t0 = 1_000_000;
  const first = r.next(t0);
  assert.ok(first);
  assert.equal(first.ntime, 1_700_000_000);
  assert.equal(first.versionMask, BIP320, 'the chips roll the granted bits');
  assert.equal(first.version, 0x20000000);
  assert.equal(r.next(t0 + 999), null, 'same ntime would repeat the same headers');
  const second = r.next(t0 + 1000);
  assert.equal(second?.ntime, 1_700_000_001);
  assert.equal(r.next(t0 + 1500), null);
  assert.equal(r.next(t0 + 5000)?.ntime, 1_700_000_002, 'one second at a time, not a jump');
  assert.equal(r.maxNtime(t0 + 5000), 1_700_000_005);
});

test('bits the pool grants beyond what the chips roll (BIP323 12..5) are stepped by the host first', () => {
  const r = new WorkRoller(setup({ grantedMask: BIP323 }));
  const seen = new Set<number>();
  for (let i = 0; i < 256; i++) {
    const w = r.next(1_000_000);
    assert.ok(w, `piece ${i}`);
    assert.equal(w.ntime, 1_700_000_000);
    assert.equal(w.versionMask, BIP320);
    assert.equal(w.version & ~(BIP323 & ~BIP320), 0x20000000, 'only the host bits move');
    seen.add(w.version);
  }
  assert.equal(seen.size, 256);
  assert.equal(r.next(1_000_000), null, '256 versions used at this ntime');
  assert.equal(r.next(1_001_000)?.ntime, 1_700_000_001);
});

test('host-rolled versions (BM1397, 4 midstates): consecutive pieces cover disjoint versions inside the grant', () => {
  const r = new WorkRoller(setup({ chipRollsVersions: false, versionsPerWork: 4 }));
  const covered = new Set<number>();
  for (let i = 0; i < 1000; i++) {
    const w = r.next(1_000_000);
    assert.ok(w);
    assert.equal(w.versionMask, BIP320);
    for (let k = 0; k < 4; k++) {
      const v = versionAfter(w.version, w.versionMask, k);
      assert.equal(v & ~BIP320, 0x20000000);
      assert.ok(!covered.has(v), `version 0x${v.toString(16)} twice`);
      covered.add(v);
    }
  }
  assert.equal(covered.size, 4000);
});

test('no rolling allowed: the job version exactly, and only ntime distinguishes pieces', () => {
  const r = new WorkRoller(setup({ grantedMask: 0, version: 0x20000004 }));
  const a = r.next(1_000_000);
  assert.equal(a?.version, 0x20000004);
  assert.equal(a?.versionMask, 0);
  assert.equal(r.next(1_000_500), null);
  assert.equal(r.next(1_002_000)?.version, 0x20000004);
});

test('a coinbase job rolls the extranonce under the versions, then ntime once the space is used', () => {
  const header = {
    kind: 'coinbase' as const,
    prefix: new Uint8Array(30).fill(7),
    extranonceSize: 1,
    suffix: new Uint8Array(40).fill(9),
    merklePath: [new Uint8Array(32).fill(3)],
  };
  const r = new WorkRoller(setup({ header, grantedMask: BIP323 }));
  const seen = new Set<string>();
  for (let i = 0; i < 256 * 256; i++) {
    const w = r.next(1_000_000);
    assert.ok(w, `piece ${i}`);
    assert.equal(w.ntime, 1_700_000_000);
    assert.equal(w.extranonce?.length, 1);
    const key = `${w.version}/${w.extranonce?.[0]}`;
    assert.ok(!seen.has(key), `${key} twice`);
    seen.add(key);
    if (i % 256 === 0) assert.equal(w.extranonce?.[0], i / 256, 'versions first, then the next extranonce');
  }
  assert.equal(r.next(1_000_000), null, 'every version × extranonce used at this ntime');
  const later = r.next(1_001_000);
  assert.equal(later?.ntime, 1_700_000_001);
  assert.equal(later?.extranonce?.[0], 0);
});

test('an extranonce partition stays inside its start and count', () => {
  const header = {
    kind: 'coinbase' as const,
    prefix: new Uint8Array(8),
    extranonceSize: 2,
    suffix: new Uint8Array(8),
    merklePath: [],
  };
  const r = new WorkRoller(setup({ header, extranonceStart: 0x0300, extranonceCount: 3 }));
  const values: number[] = [];
  for (let w = r.next(1_000_000); w !== null; w = r.next(1_000_000)) {
    values.push((w.extranonce?.[0] ?? 0) | ((w.extranonce?.[1] ?? 0) << 8));
  }
  assert.deepEqual(values, [0x0300, 0x0301, 0x0302]);
});

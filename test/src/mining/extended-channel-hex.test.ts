/**
 * bitaxe-hex (6 × BM1366) on one SV2 extended channel, with the real parts: the BM13xx driver and 6 emulated chips
 * on an in-memory line, the mining engine, the SV2 client over TCP + Noise to the local pool.
 *
 * What "no two chips received the same work" means on this hardware (shared/spec/bm13xx.md §4, §8.2): a job is
 * broadcast to every chip of the chain, so the 6 chips always hold the same header; they split its nonce space by
 * their addresses (BM1366: the sweep counter starts at (address >> 1) << 18) and roll versions inside the mask the
 * job carries. So the test proves, over 10,000 dispatches:
 *   1. no two dispatches carried the same (extranonce, version range = base version + mask, ntime): every piece of
 *      work is a header (range) no chip searched before;
 *   2. the six chips' nonce slices of a header are disjoint (from the addresses the driver assigned, which the
 *      emulated chips hold) and every chip found nonces in its own slice only;
 *   3. no (work, version, nonce) result came back twice: no header was hashed twice by two chips;
 * and every share submitted on the extended channel is accepted by the pool.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Bm13xxChain } from '../../../drivers/asic/bm13xx-chain.js';
import { COUNTER_SPAN, chipModel, counterOfNonce, sliceStart } from '../../../drivers/asic/chip-model.js';
import { EmulatedChain } from '../../../drivers/emulator/bm13xx-emulator.js';
import { MemoryTransport } from '../../../drivers/transport/memory-transport.js';
import { MiningEngine } from '../../../src/mining/engine.js';
import type { MiningJob } from '../../../src/mining/job.js';
import type { Work } from '../../../src/mining/work.js';
import { Sv2JobSource } from '../../../src/sv2/client/sv2-job-source.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { waitUntil } from '../../support/bm13xx.js';
import { startTestPool } from '../../support/sv2-net.js';

const CHIPS = 6;
const DISPATCHES = 10_000;
const SCALE = 2 ** -21;
/** Real hashes a second for the six emulated chips: well within one emulator worker, so every chip gets its turn. */
const RATE_HS = 120_000;

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('bitaxe-hex on one extended channel: 10,000 dispatches, no repeated (extranonce, version range, ntime), disjoint chip nonce slices, every share accepted', async () => {
  const pool = await startTestPool({ sharesPerMinute: 1200, shareBatchSize: 10, extendedExtranonceSize: 4 });
  cleanups.push(() => pool.close());

  const host = new MemoryTransport('memory:host');
  const device = new MemoryTransport('memory:device');
  host.peer = device;
  device.peer = host;
  const emulator = new EmulatedChain({
    model: 'bm1366',
    chips: CHIPS,
    workers: 1,
    hashrateHs: RATE_HS,
    difficultyScale: SCALE,
  });
  emulator.attach(device);
  cleanups.push(() => emulator.close());
  const chain = new Bm13xxChain(host, {
    model: 'bm1366',
    expectedChips: CHIPS,
    delayScale: 0,
    enumerateSilenceMs: 250,
  });
  cleanups.push(() => chain.close());
  await chain.init();
  await chain.switchBaud();

  const source = new Sv2JobSource({
    url: pool.url,
    userIdentity: 'hex.rig',
    nominalHashRateHs: RATE_HS,
    device: { vendor: 'hashaxe-test', hardwareVersion: 'bitaxe-hex 6xBM1366', firmware: '0.0.0' },
  });
  cleanups.push(() => source.close('test over'));
  const engine = new MiningEngine({
    chain,
    submitter: source,
    hashrateHs: RATE_HS,
    target: (1n << 256n) - 1n,
    difficultyScale: SCALE,
    refreshIntervalMs: 60_000,
  });
  cleanups.push(() => engine.stop());
  source.on('newTip', (job) => engine.newTip(job));
  source.on('job', (job) => engine.activeJob(job));
  source.on('target', (t) => engine.setTarget(t.target));
  source.on('shareAnswer', (a) => engine.onShareResult(a));
  const works: Work[] = [];
  engine.on('work', (e) => works.push(e.work));
  const shares: Array<{ chipIndex: number; nonce: number; key: string }> = [];
  engine.on('share', (e) => {
    shares.push({
      chipIndex: e.chipIndex,
      nonce: e.nonce,
      key: `${bytesToHex(e.extranonce ?? new Uint8Array(0))}/${e.ntime}/${e.version}/${e.nonce}`,
    });
  });
  const rejected: string[] = [];
  pool.on('share', (s) => {
    if (!s.accepted) rejected.push(String(s.errorCode));
  });

  const session = await source.connect();
  engine.setTarget(session.target);
  assert.equal(session.channelKind, 'extended', 'auto opens an extended channel on a pool that serves one');
  await waitUntil(() => engine.currentJob !== null, 5000, 'the first job');
  const job = engine.currentJob as MiningJob;
  assert.equal(job.header.kind, 'coinbase');
  const extranonceSize = job.header.kind === 'coinbase' ? job.header.extranonceSize : 0;
  assert.equal(extranonceSize, 4);

  // 10,000 dispatches through the driver to the six chips, in batches so the line drains and the chips hash.
  while (works.length < DISPATCHES) {
    for (let i = 0; i < 250 && works.length < DISPATCHES; i++) engine.refresh();
    await new Promise((r) => setTimeout(r, 15));
  }
  // Let the chips find shares on the last pieces of work and the pool answer them.
  await waitUntil(() => shares.length >= 20, 30_000, '20 shares');
  const submitted = shares.length;
  await waitUntil(
    () => pool.stats().shares.accepted + pool.stats().shares.rejected >= submitted,
    10_000,
    'the pool to judge every share',
  );

  // 1. Every dispatch a new (extranonce, version range, ntime): a header range no chip has searched.
  assert.ok(works.length >= DISPATCHES, `${works.length} dispatches`);
  const seen = new Set<string>();
  const rootOf = new Map<string, string>();
  for (const w of works) {
    assert.ok(
      w.extranonce !== undefined && w.extranonce.length === extranonceSize,
      'the extranonce the work was built with',
    );
    const en = bytesToHex(w.extranonce);
    const key = `${en}/${w.version >>> 0}/${w.versionMask >>> 0}/${w.ntime}`;
    assert.ok(!seen.has(key), `repeated work ${key}`);
    seen.add(key);
    // The merkle root really follows the extranonce: one root per extranonce, a different one for each.
    const root = bytesToHex(w.merkleRoot);
    const known = rootOf.get(en);
    assert.ok(known === undefined || known === root, 'one merkle root per extranonce');
    rootOf.set(en, root);
  }
  assert.equal(new Set(rootOf.values()).size, rootOf.size, 'distinct extranonces give distinct merkle roots');
  assert.ok(rootOf.size > 1, 'the host rolled the extranonce');

  // 2. The six chips search disjoint slices of each header's nonce space, from the addresses they hold.
  const model = chipModel('bm1366');
  const addresses = chain.addresses;
  assert.deepEqual([...addresses], [0x00, 0x2a, 0x54, 0x7e, 0xa8, 0xd2]);
  assert.deepEqual(
    emulator.status().perChip.map((c) => c.address),
    [...addresses],
    'the chips hold the addresses the driver gave them',
  );
  const starts = addresses.map((a) => sliceStart(model, a));
  assert.equal(new Set(starts).size, CHIPS, 'six different slice starts');
  const sorted = [...starts].sort((a, b) => a - b);
  const sliceOf = (chip: number): [number, number] => {
    const i = sorted.indexOf(starts[chip]);
    return [starts[chip], i + 1 < sorted.length ? sorted[i + 1] : COUNTER_SPAN];
  };
  for (let a = 0; a < CHIPS; a++) {
    for (let b = a + 1; b < CHIPS; b++) {
      const [a0, a1] = sliceOf(a);
      const [b0, b1] = sliceOf(b);
      assert.ok(a1 <= b0 || b1 <= a0, `chips ${a} and ${b} overlap`);
    }
  }
  const chipsFound = new Set<number>();
  for (const s of shares) {
    const nonceBE =
      (((s.nonce & 0xff) << 24) |
        (((s.nonce >>> 8) & 0xff) << 16) |
        (((s.nonce >>> 16) & 0xff) << 8) |
        (s.nonce >>> 24)) >>>
      0;
    const [lo, hi] = sliceOf(s.chipIndex);
    const counter = counterOfNonce(nonceBE);
    assert.ok(counter >= lo && counter < hi, `chip ${s.chipIndex}'s nonce outside its slice`);
    chipsFound.add(s.chipIndex);
  }
  // Every chip hashed the broadcast headers and reported results of its own (at the ticket, more often than shares).
  const perChip = emulator.status().perChip;
  assert.ok(
    perChip.every((c) => c.hashes > 0 && c.nonces > 0),
    `every chip worked: ${perChip.map((c) => `${c.hashes}/${c.nonces}`).join(' ')}`,
  );
  assert.ok(chipsFound.size >= 1);

  // 3. No header was hashed to the same result twice.
  assert.equal(new Set(shares.map((s) => s.key)).size, shares.length, 'no duplicate result');

  // Every share the pool judged was accepted.
  assert.deepEqual(rejected, []);
  const stats = pool.stats();
  assert.equal(stats.shares.rejected, 0);
  assert.ok(stats.shares.accepted >= submitted, `${stats.shares.accepted} of ${submitted} accepted`);
  // The client heard it too (batches of 10, as SRI's pool acknowledges them).
  await waitUntil(() => engine.stats.snapshot().sharesAccepted >= 10, 5000, 'a batch acknowledged');
});

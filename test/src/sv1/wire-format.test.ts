/**
 * The V1 byte-order quirks against real traffic: public-pool's live regtest session (5 submits, two of them
 * blocks the node accepted), ESP-Miner's test jobs from mainnet pools, and mujina's Bitaxe Gamma capture. Each
 * notify goes through the message table and the subscription into the engine's job; the coinbase, merkle root,
 * header, hash and difficulty built from that job must be the captured ones, byte for byte, and the submit
 * parameters the ones the pool took.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { difficultyOfHash, merkleRootOfCoinbase, sha256d } from '../../../src/bitcoin/index.js';
import { extranonceBytes } from '../../../src/mining/work-roller.js';
import { Sv1Subscription } from '../../../src/sv1/client/subscription.js';
import { parseSv1Message, type Sv1Request } from '../../../src/sv1/json-rpc.js';
import { Notify, Submit } from '../../../src/sv1/messages.js';
import {
  prevHashFromNotify,
  prevHashToNotify,
  u32FromHex,
  u32ToHex,
  versionBitsForSubmit,
  versionFromSubmit,
} from '../../../src/sv1/wire-format.js';
import { bytesToHex, bytesToHexReversed, hexToBytes } from '../../../src/util/hex.js';
import { repoVectorJson } from '../../support/sv1-vectors.js';

interface SessionVector {
  session: { extranonce1: string; extranonce2_size: number; version_rolling_mask: string };
  transcript: { lines: Array<{ seq: number; dir: string; line: string }> };
  shares: Array<{
    name: string;
    job_id: string;
    submit_line: string;
    extranonce2: string;
    ntime_hex: string;
    nonce_hex: string;
    version_bits_submitted: string | null;
    header_version_hex: string;
    coinbase_hex: string;
    merkle_root_internal: string;
    prevhash_sv1_wire: string;
    prevhash_internal: string;
    header_hex: string;
    hash_internal: string;
    block_hash_display: string;
    share_difficulty: number;
  }>;
}

const session = repoVectorJson<SessionVector>('sv1/public-pool-regtest-session.json');

/** The header the engine hashes for a V1 job with this extranonce2, ntime, nonce and version. */
function headerOf(
  job: ReturnType<Sv1Subscription['onNotify']> & { job?: unknown },
  extranonce2: Uint8Array,
  ntime: number,
  nonce: number,
  version: number,
): { coinbase: Uint8Array; root: Uint8Array; header: Uint8Array } {
  if (job.kind === 'duplicate') throw new Error('duplicate');
  const h = job.job.header;
  const coinbase = new Uint8Array([...h.prefix, ...extranonce2, ...h.suffix]);
  const root = merkleRootOfCoinbase(h.prefix, extranonce2, h.suffix, h.merklePath);
  const header = new Uint8Array(80);
  const v = new DataView(header.buffer);
  v.setUint32(0, version, true);
  header.set(job.job.prevHash, 4);
  header.set(root, 36);
  v.setUint32(68, ntime, true);
  v.setUint32(72, job.job.nbits, true);
  v.setUint32(76, nonce, true);
  return { coinbase, root, header };
}

test('public-pool regtest session: every share rebuilt bit for bit from the notify it names', () => {
  const mask = u32FromHex(session.session.version_rolling_mask, 'mask');
  const sub = new Sv1Subscription(hexToBytes(session.session.extranonce1), session.session.extranonce2_size, 0.001, {
    allowed: true,
    mask,
  });
  const jobs = new Map<string, ReturnType<Sv1Subscription['onNotify']>>();
  for (const l of session.transcript.lines) {
    if (l.dir !== 's2c') continue;
    const m = parseSv1Message(l.line);
    if (m.kind !== 'request' || m.method !== 'mining.notify') continue;
    const n = Notify.decode((m as Sv1Request).params);
    jobs.set(n.jobId, sub.onNotify(n, 0));
  }
  assert.deepEqual([...jobs.keys()], ['1', '2', '3']);
  // The first job said clean_jobs false and is still the first tip; job 2 and 3 are new blocks.
  assert.deepEqual(
    [...jobs.values()].map((j) => j.kind),
    ['new-tip', 'new-tip', 'new-tip'],
  );
  for (const s of session.shares) {
    const job = jobs.get(s.job_id)!;
    assert.notEqual(job.kind, 'duplicate');
    if (job.kind === 'duplicate') continue;
    assert.equal(bytesToHex(job.job.prevHash), s.prevhash_internal, `${s.name}: prevhash word swap`);
    assert.equal(prevHashToNotify(job.job.prevHash), s.prevhash_sv1_wire, `${s.name}: back to the wire`);
    const bits = s.version_bits_submitted === null ? 0 : u32FromHex(s.version_bits_submitted, 'bits');
    const version = versionFromSubmit(job.job.version, bits, mask, 'bip310');
    assert.equal(u32ToHex(version), s.header_version_hex, `${s.name}: version`);
    const en2 = hexToBytes(s.extranonce2);
    const built = headerOf(job, en2, u32FromHex(s.ntime_hex, 'ntime'), u32FromHex(s.nonce_hex, 'nonce'), version);
    assert.equal(bytesToHex(built.coinbase), s.coinbase_hex, `${s.name}: coinbase`);
    assert.equal(bytesToHex(built.root), s.merkle_root_internal, `${s.name}: merkle root`);
    assert.equal(bytesToHex(built.header), s.header_hex, `${s.name}: header`);
    const hash = sha256d(built.header);
    assert.equal(bytesToHex(hash), s.hash_internal, `${s.name}: hash`);
    assert.equal(bytesToHexReversed(hash), s.block_hash_display);
    assert.ok(Math.abs(difficultyOfHash(hash) / s.share_difficulty - 1) < 1e-9, `${s.name}: difficulty`);

    // The submit the client would write carries the captured fields: ntime and nonce as the header values'
    // %08x, extranonce2 as its bytes, version bits as rolled & mask (omitted when rolling is not used).
    const params = JSON.parse(
      Submit.line(1, {
        user: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080.hashaxe-vectors',
        jobId: s.job_id,
        extranonce2: en2,
        ntime: u32FromHex(s.ntime_hex, 'ntime'),
        nonce: u32FromHex(s.nonce_hex, 'nonce'),
        ...(s.version_bits_submitted !== null ? { versionBits: versionBitsForSubmit(version, mask) } : {}),
      }),
    ).params;
    assert.deepEqual(params, JSON.parse(s.submit_line).params, `${s.name}: submit params`);
  }
});

test('the captured submit line is exactly what the table writes (id, key order, no spaces)', () => {
  const s = session.shares.find((x) => x.version_bits_submitted !== null)!;
  const captured = JSON.parse(s.submit_line) as { id: number; params: string[] };
  const line = Submit.line(captured.id, Submit.decode(captured.params));
  assert.equal(line, `${s.submit_line}\n`);
});

interface EspVectors {
  coinbase: Array<{
    coinbase1: string;
    extranonce1: string;
    extranonce2: string;
    coinbase2: string;
    expectedCoinbaseTx: string;
  }>;
  merkleRoots: Array<{
    coinbase1: string;
    extranonce1: string;
    extranonce2: string;
    coinbase2: string;
    merkleBranches: string[];
    expectedMerkleRoot: string;
  }>;
  nonceDifficulty: Array<{
    version: string;
    prevHashStratum: string;
    merkleRoot?: string;
    coinbase1?: string;
    extranonce1?: string;
    extranonce2?: string;
    coinbase2?: string;
    merkleBranches?: string[];
    expectedMerkleRoot?: string;
    ntime: string;
    nbits: string;
    nonce: string;
    expectedDifficultyFloor: number;
    expectedBlockHash?: string;
  }>;
  extranonce2: Array<{ counter: number; size: number; hex: string }>;
}

const esp = repoVectorJson<EspVectors>('bitcoin/esp-miner-mining.json');

/** A notify as a pool would send it for these coinbase pieces (the rest filler that the checks do not use). */
function espNotify(v: { coinbase1: string; coinbase2: string; merkleBranches?: string[] }, prevhash = '00'.repeat(32)) {
  return Notify.decode([
    'j',
    prevhash,
    v.coinbase1,
    v.coinbase2,
    v.merkleBranches ?? [],
    '20000004',
    '1705ae3a',
    '646ff1a9',
    false,
  ]);
}

test('ESP-Miner test_mining.c: coinbase assembly and merkle roots of real 12- and 5-branch jobs', () => {
  for (const v of esp.coinbase) {
    const sub = new Sv1Subscription(hexToBytes(v.extranonce1), 4, 1, { allowed: false, mask: 0 });
    const job = sub.onNotify(espNotify(v), 0);
    assert.notEqual(job.kind, 'duplicate');
    if (job.kind === 'duplicate') continue;
    const h = job.job.header;
    assert.equal(
      bytesToHex(new Uint8Array([...h.prefix, ...hexToBytes(v.extranonce2), ...h.suffix])),
      v.expectedCoinbaseTx,
    );
  }
  for (const v of esp.merkleRoots) {
    const sub = new Sv1Subscription(hexToBytes(v.extranonce1), 4, 1, { allowed: false, mask: 0 });
    const job = sub.onNotify(espNotify(v), 0);
    if (job.kind === 'duplicate') throw new Error('duplicate');
    const h = job.job.header;
    const root = merkleRootOfCoinbase(h.prefix, hexToBytes(v.extranonce2), h.suffix, h.merklePath);
    assert.equal(bytesToHex(root), v.expectedMerkleRoot);
  }
});

test('ESP-Miner test_mining.c: real mainnet nonces reach their difficulty through the word-swapped prev hash', () => {
  for (const v of esp.nonceDifficulty) {
    let root: Uint8Array;
    if (v.merkleRoot !== undefined) {
      root = hexToBytes(v.merkleRoot);
    } else {
      const sub = new Sv1Subscription(hexToBytes(v.extranonce1!), 4, 1, { allowed: false, mask: 0 });
      const job = sub.onNotify(
        espNotify({ coinbase1: v.coinbase1!, coinbase2: v.coinbase2!, merkleBranches: v.merkleBranches }),
        0,
      );
      if (job.kind === 'duplicate') throw new Error('duplicate');
      const h = job.job.header;
      root = merkleRootOfCoinbase(h.prefix, hexToBytes(v.extranonce2!), h.suffix, h.merklePath);
      assert.equal(bytesToHex(root), v.expectedMerkleRoot);
    }
    const header = new Uint8Array(80);
    const view = new DataView(header.buffer);
    view.setUint32(0, u32FromHex(v.version, 'version'), true);
    header.set(prevHashFromNotify(v.prevHashStratum), 4);
    header.set(root, 36);
    view.setUint32(68, u32FromHex(v.ntime, 'ntime'), true);
    view.setUint32(72, u32FromHex(v.nbits, 'nbits'), true);
    view.setUint32(76, u32FromHex(v.nonce, 'nonce'), true);
    const hash = sha256d(header);
    assert.equal(Math.floor(difficultyOfHash(hash)), v.expectedDifficultyFloor);
    if (v.expectedBlockHash !== undefined) assert.equal(bytesToHexReversed(hash), v.expectedBlockHash);
  }
});

test('ESP-Miner test_mining.c: extranonce2 counter bytes are the little-endian counter the roller uses', () => {
  for (const v of esp.extranonce2)
    assert.equal(bytesToHex(extranonceBytes(v.counter, v.size)), v.hex, String(v.counter));
});

interface MujinaCapture {
  stratum: {
    jobId: string;
    prevHashStratum: string;
    coinbase1: string;
    coinbase2: string;
    merkleBranches: string[];
    version: string;
    nbits: string;
    ntime: string;
    extranonce1: string;
    extranonce2Size: number;
    versionMask: string;
    submit: { extranonce2: string; ntime: string; nonce: string; versionBits: string };
  };
  merkleRootHeaderOrder: string;
  expected: { nonce: string; rolledVersion: string; difficulty: number; blockHash: string };
}

test('mujina’s Bitaxe Gamma capture: notify → job → the accepted share (difficulty 29588), and its submit params', () => {
  const c = repoVectorJson<MujinaCapture>('bm13xx/bm1370-roundtrip-capture.json');
  const s = c.stratum;
  const mask = u32FromHex(s.versionMask, 'mask');
  const sub = new Sv1Subscription(hexToBytes(s.extranonce1), s.extranonce2Size, 8192, { allowed: true, mask });
  const notify = Notify.decode([
    s.jobId,
    s.prevHashStratum,
    s.coinbase1,
    s.coinbase2,
    s.merkleBranches,
    s.version,
    s.nbits,
    s.ntime,
    true,
  ]);
  const out = sub.onNotify(notify, 0);
  if (out.kind === 'duplicate') throw new Error('duplicate');
  const rolled = u32FromHex(s.submit.versionBits, 'bits') | out.job.version;
  assert.equal(u32ToHex(rolled), c.expected.rolledVersion);
  const en2 = hexToBytes(s.submit.extranonce2);
  const built = headerOf(out, en2, u32FromHex(s.submit.ntime, 'ntime'), u32FromHex(s.submit.nonce, 'nonce'), rolled);
  assert.equal(bytesToHex(built.root), c.merkleRootHeaderOrder);
  const hash = sha256d(built.header);
  assert.equal(bytesToHexReversed(hash), c.expected.blockHash);
  assert.ok(Math.abs(difficultyOfHash(hash) - c.expected.difficulty) < 0.01);
  // What hashaxe submits for it: the same fields the pool accepted.
  const params = JSON.parse(
    Submit.line(7, {
      user: 'w',
      jobId: out.job.jobId,
      extranonce2: en2,
      ntime: u32FromHex(s.submit.ntime, 'ntime'),
      nonce: u32FromHex(s.submit.nonce, 'nonce'),
      versionBits: versionBitsForSubmit(rolled, mask),
    }),
  ).params;
  assert.deepEqual(params.slice(1), [
    s.jobId,
    s.submit.extranonce2,
    s.submit.ntime,
    s.submit.nonce,
    s.submit.versionBits,
  ]);
});

test('prev hash: 64 hex digits only, every word byte-reversed both ways; u32 hex with and without padding', () => {
  const wire = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
  const h = prevHashFromNotify(wire);
  assert.equal(bytesToHex(h).slice(0, 16), '3322110077665544');
  assert.equal(prevHashToNotify(h), wire);
  assert.throws(() => prevHashFromNotify(wire.slice(2)), /prevhash: expected 32 bytes/);
  assert.throws(() => prevHashFromNotify(`${wire}00`), /prevhash: expected 32 bytes/);
  assert.equal(u32FromHex('20000000', 'v'), 0x20000000);
  assert.equal(u32FromHex('1fffe000', 'v'), 0x1fffe000);
  assert.equal(u32FromHex('4', 'v'), 4);
  assert.throws(() => u32FromHex('123456789', 'version'), /version: must be 1 to 8 hex digits/);
  assert.throws(() => u32FromHex(536870912, 'version'), /version: must be 1 to 8 hex digits, got 536870912/);
  assert.equal(u32ToHex(0x003f7376), '003f7376');
  assert.equal(u32ToHex(0xffffffff), 'ffffffff');
  // BIP310 submit bits and the two ways pools rebuild: equal while the job version has no bit in the mask.
  assert.equal(versionBitsForSubmit(0x2a002000, 0x1fffe000), 0x0a002000);
  assert.equal(versionFromSubmit(0x20000000, 0x0a002000, 0x1fffe000, 'bip310'), 0x2a002000);
  assert.equal(versionFromSubmit(0x20000000, 0x0a002000, 0x1fffe000, 'xor'), 0x2a002000);
  assert.notEqual(
    versionFromSubmit(0x20002000, 0x0a002000, 0x1fffe000, 'xor'),
    versionFromSubmit(0x20002000, 0x0a002000, 0x1fffe000, 'bip310'),
  );
});

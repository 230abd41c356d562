import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFullHeaderJob, encodeFullHeaderJob } from '../../../drivers/asic/bm1366-job.js';
import { decodeMidstateJob, encodeMidstateJob, midstateJobBytes } from '../../../drivers/asic/bm1397-job.js';
import { FrameError } from '../../../drivers/asic/errors.js';
import { sha256Midstate } from '../../../src/bitcoin/index.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { hex, stratumPrevHashToHeader } from '../../support/bm13xx.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

interface RoundTrip {
  stratum: { prevHashStratum: string; version: string; nbits: string; ntime: string };
  merkleRootHeaderOrder: string;
  jobFrameToChip: string;
}

test('BM1370 job frame from a real Bitaxe Gamma round trip, byte for byte (CRC16 0x721C)', {
  skip: vectorsMissing,
}, () => {
  const v = readVectorJson<RoundTrip>('bm13xx/bm1370-roundtrip-capture.json');
  const frame = encodeFullHeaderJob({
    jobId: 0x68,
    startNonce: 0,
    nbits: Number.parseInt(v.stratum.nbits, 16),
    ntime: Number.parseInt(v.stratum.ntime, 16),
    merkleRoot: hex(v.merkleRootHeaderOrder),
    prevHash: stratumPrevHashToHeader(v.stratum.prevHashStratum),
    version: Number.parseInt(v.stratum.version, 16),
  });
  assert.equal(bytesToHex(frame), v.jobFrameToChip);
  const back = decodeFullHeaderJob(frame);
  assert.equal(back.crcOk, true);
  assert.equal(back.jobId, 0x68);
  assert.equal(back.lengthByte, 0x56);
  assert.equal(back.nbits, 0x17023a04);
  assert.equal(back.ntime, 0x685468d7);
  assert.equal(back.version, 0x20000000);
  assert.equal(bytesToHex(back.merkleRoot), v.merkleRootHeaderOrder);
  assert.deepEqual(back.prevHash, stratumPrevHashToHeader(v.stratum.prevHashStratum));
});

test('BM1366 job for block 839900 as ESP-Miner sends it (job id 0x08)', { skip: vectorsMissing }, () => {
  const v = readVectorJson<{
    bm1366KnownBlock: {
      stratumPrevHash: string;
      merkleRootHeaderOrder: string;
      version: string;
      nbits: string;
      ntime: string;
      jobFrameAsCurrentEspMinerWouldSend_jobId08: string;
    };
  }>('bm13xx/spec-crosscheck.json').bm1366KnownBlock;
  const frame = encodeFullHeaderJob({
    jobId: 0x08,
    startNonce: 0,
    nbits: Number.parseInt(v.nbits, 16),
    ntime: Number.parseInt(v.ntime, 16),
    merkleRoot: hex(v.merkleRootHeaderOrder),
    prevHash: stratumPrevHashToHeader(v.stratumPrevHash),
    version: Number.parseInt(v.version, 16),
  });
  assert.equal(bytesToHex(frame), v.jobFrameAsCurrentEspMinerWouldSend_jobId08);
});

test("mujina's CRC16 check frame (an ESP-Miner BM1370 job, id 0x18) decodes and re-encodes byte for byte", () => {
  const frame =
    '55aa215618010000000038fa0117dc17d6681516ab3d1642bb1fe2e2377f8ac583e5da996c6bc7053eae564b0203cc4ed237' +
    '0000000000000000a25c0000a1e7ab5e5f2446a35f9cbbea3f5316e54e3993de000000206b18';
  const job = decodeFullHeaderJob(hex(frame));
  assert.equal(job.crcOk, true);
  assert.equal(job.jobId, 0x18);
  assert.equal(job.lengthByte, 0x56);
  assert.equal(job.nbits, 0x1701fa38);
  assert.equal(job.ntime, 0x68d617dc);
  assert.equal(job.version, 0x20000000);
  assert.equal(bytesToHex(encodeFullHeaderJob(job)), frame);
  const broken = hex(frame);
  broken[40] ^= 0x01;
  assert.equal(decodeFullHeaderJob(broken).crcOk, false);
});

test('a factory-style job with length byte 0x36 decodes and re-encodes identically', { skip: vectorsMissing }, () => {
  const frames = readVectorJson<{ jobFrames: Array<{ name: string; hex: string }> }>(
    'bm13xx/spec-crosscheck.json',
  ).jobFrames;
  const f = frames.find((x) => x.name === 'bm1366-full-format-length-0x36');
  assert.ok(f);
  const job = decodeFullHeaderJob(hex(f.hex));
  assert.equal(job.crcOk, true);
  assert.equal(job.lengthByte, 0x36);
  assert.equal(job.jobId, 0x38);
  assert.equal(job.nbits, 0x17072720);
  assert.equal(job.ntime, 0x63dcc08a);
  assert.equal(job.version, 0x20000000);
  assert.equal(bytesToHex(encodeFullHeaderJob(job, undefined, 0x36)), f.hex);
});

test("BM1397 job from ESP-Miner's verifier: midstate of the real header, 4 slots, slot 0 used", {
  skip: vectorsMissing,
}, () => {
  const job = readVectorJson<{
    jobs: Array<{ name: string; headerNonceZero: string; jobFrameToChip: string; midstateStateWordsBE: string }>;
  }>('bm13xx/esp-miner-bm13xx.json').jobs.find((j) => j.name === 'verifier-job-cmd');
  assert.ok(job);
  const header = hex(job.headerNonceZero);
  const midstate = sha256Midstate(header);
  assert.equal(
    Array.from(midstate, (w) => w.toString(16).padStart(8, '0')).join(''),
    job.midstateStateWordsBE,
    'midstate words H0..H7',
  );
  const frame = encodeMidstateJob({
    jobId: 4,
    startNonce: 0,
    nbits: 0x1705dd01,
    ntime: 0x64658bd8,
    merkleTail: header.subarray(64, 68),
    // ESP-Miner declares 4 midstates here but fills only the first.
    midstates: [midstate, new Uint32Array(8), new Uint32Array(8), new Uint32Array(8)],
  });
  assert.equal(bytesToHex(frame), job.jobFrameToChip);
  const mining = readVectorJson<{ midstate: Array<{ expectedMidstateOnBm1397Wire: string }> }>(
    'bitcoin/esp-miner-mining.json',
  );
  assert.equal(bytesToHex(frame.subarray(22, 54)), mining.midstate[0].expectedMidstateOnBm1397Wire);
});

test('BM1397 "known working" job from ESP-Miner\'s disabled test round-trips; midstate 2 decodes', {
  skip: vectorsMissing,
}, () => {
  const j = readVectorJson<{
    jobs: Array<{ name: string; jobPacket146: string; jobFrameToChipComputedHere?: string }>;
  }>('bm13xx/esp-miner-bm13xx.json').jobs.find((x) => x.jobFrameToChipComputedHere !== undefined);
  assert.ok(j?.jobFrameToChipComputedHere);
  const frame = hex(j.jobFrameToChipComputedHere);
  assert.equal(bytesToHex(frame.subarray(4, 150)), j.jobPacket146);
  const job = decodeMidstateJob(frame);
  assert.equal(job.crcOk, true);
  assert.equal(job.jobId, 0x18);
  assert.equal(job.numMidstates, 4);
  assert.equal(job.startNonce, 0x0a4c049b);
  assert.equal(bytesToHex(job.merkleTail), '50e37161');
  assert.ok(job.midstates[2].some((w) => w !== 0) && job.midstates[0].every((w) => w === 0));
  assert.equal(bytesToHex(encodeMidstateJob(job)), j.jobFrameToChipComputedHere);
});

test('BM1397 4-midstate frame sniffed in the cgminer era decodes (CRC16 8C24) and re-encodes', {
  skip: vectorsMissing,
}, () => {
  const f = readVectorJson<{ jobFrames: Array<{ name: string; hex: string }> }>(
    'bm13xx/spec-crosscheck.json',
  ).jobFrames.find((x) => x.name === 'bm1397-4-midstates-cgminer-era');
  assert.ok(f);
  const job = decodeMidstateJob(hex(f.hex));
  assert.equal(job.crcOk, true);
  assert.equal(job.midstates.length, 4);
  assert.equal(job.nbits, 0x170689a3);
  assert.equal(job.ntime, 0x640aa82f);
  assert.equal(bytesToHex(encodeMidstateJob(job)), f.hex);
});

test('compact BM1397 frames: 22 + 32·n after the preamble, decoded back', () => {
  const m = Uint32Array.from([1, 2, 3, 4, 5, 6, 7, 0xdeadbeef]);
  const job = { jobId: 0x7c, startNonce: 5, nbits: 0x1703, ntime: 99, merkleTail: hex('01020304'), midstates: [m] };
  const compact = encodeMidstateJob(job, 'compact');
  assert.equal(compact.length, midstateJobBytes(1));
  assert.equal(compact.length, 56);
  assert.equal(compact[3], 54);
  const back = decodeMidstateJob(compact);
  assert.deepEqual(Array.from(back.midstates[0]), Array.from(m));
  assert.equal(back.slots, 1);
  // the padded form says 1 midstate in 4 slots
  const padded = encodeMidstateJob(job);
  assert.equal(padded.length, 152);
  assert.equal(padded[5], 1);
  assert.equal(decodeMidstateJob(padded).midstates.length, 1);
});

test('job decoders reject frames with impossible sizes or headers', () => {
  assert.throws(() => decodeFullHeaderJob(new Uint8Array(87)), FrameError);
  assert.throws(() => decodeMidstateJob(hex('55aa2160')), /length byte 0x60/);
  const ok = encodeMidstateJob({
    jobId: 4,
    startNonce: 0,
    nbits: 0,
    ntime: 0,
    merkleTail: new Uint8Array(4),
    midstates: [new Uint32Array(8)],
  });
  const broken = ok.slice();
  broken[5] = 5; // says 5 midstates
  assert.throws(() => decodeMidstateJob(broken), /num midstates 5/);
  assert.throws(
    () =>
      encodeMidstateJob({ jobId: 0, startNonce: 0, nbits: 0, ntime: 0, merkleTail: new Uint8Array(4), midstates: [] }),
    RangeError,
  );
});

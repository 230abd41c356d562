/**
 * The miner's two latency paths and its nonce throughput, measured on the real pieces in one process: the
 * BM1366 driver on an in-memory line (the bench plays the chip), the mining engine, the SV2 client over
 * loopback TCP with Noise, and the local pool.
 *
 * mine.job-switch  the pool's SetNewPrevHash arrives on the client's socket (before decryption) → the job
 *                  frame for it is handed to the chip transport.
 * mine.share-path  a nonce frame is handed to the driver by the chip transport → the encrypted SubmitShares
 *                  bytes are handed to the socket.
 * mine.nonces      nonce frames replayed through driver + engine as fast as they are taken (every one
 *                  rebuilt and SHA-256d-checked, 1 in 64 a share), against `mine.nonces.verify-only` (the same
 *                  hashing without the driver, engine or routing); `mine.nonces-cpu` the share of one core
 *                  the engine uses at an offered 10,000 nonces/s.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { Bm13xxChain } from '../../drivers/asic/bm13xx-chain.js';
import { chipModel, replyResultHeader } from '../../drivers/asic/chip-model.js';
import { encodeNonceReply } from '../../drivers/asic/response.js';
import { EmulatedChain } from '../../drivers/emulator/bm13xx-emulator.js';
import { createMemoryTransportPair, type MemoryTransport } from '../../drivers/transport/memory-transport.js';
import { DIFF1_TARGET, MAX_TARGET, stateWordsMeetTarget, targetToLimbs } from '../../src/bitcoin/target.js';
import { MiningEngine } from '../../src/mining/engine.js';
import { HeaderTemplate } from '../../src/mining/header-template.js';
import type { Work } from '../../src/mining/work.js';
import { Sv2MiningClient } from '../../src/sv2/client/mining-client.js';
import { LocalPool } from '../../src/sv2/pool/local-pool.js';
import { type BenchCase, quantile } from './harness.js';

const BM1366 = chipModel('bm1366');
const SAMPLES = 300;

interface Rig {
  pool: LocalPool;
  client: Sv2MiningClient;
  chain: Bm13xxChain;
  engine: MiningEngine;
  host: MemoryTransport;
  device: MemoryTransport;
  socket: Socket;
  lineInAt: () => number;
  lastWork: { id: number; work: Work } | null;
  close(): Promise<void>;
}

/** A chain brought up against the emulator (for enumeration and init), then handed to the bench as "the chip". */
async function chainOnMemoryLine(): Promise<{
  chain: Bm13xxChain;
  host: MemoryTransport;
  device: MemoryTransport;
  lineInAt: () => number;
}> {
  const [host, device] = createMemoryTransportPair();
  // Subscribed before the chain: runs first, so it marks when the bytes reach the host, before the driver.
  let lineIn = 0;
  host.onData(() => {
    lineIn = performance.now();
  });
  const emulator = new EmulatedChain({ model: 'bm1366', chips: 1, workers: 0, hashrateHs: 1000 });
  emulator.attach(device);
  const chain = new Bm13xxChain(host, { model: 'bm1366', expectedChips: 1, delayScale: 0, enumerateSilenceMs: 20 });
  await chain.init();
  await chain.switchBaud();
  emulator.detach();
  await emulator.close();
  return { chain, host, device, lineInAt: () => lineIn };
}

async function startRig(): Promise<Rig> {
  let socket: Socket | null = null;
  const onSocket = (message: unknown): void => {
    socket ??= (message as { socket: Socket }).socket;
  };
  subscribe('net.client.socket', onSocket);
  // Every share meets the channel target (hash rate 1 H/s, many shares a minute): the pool accepts them all.
  const pool = await LocalPool.start({ port: 0, sharesPerMinute: 6000, prevHashIntervalMs: 0, jobIntervalMs: 0 });
  const { chain, host, device, lineInAt } = await chainOnMemoryLine();
  const client = new Sv2MiningClient({
    url: pool.url,
    userIdentity: 'bench',
    nominalHashRateHs: 1,
    device: { vendor: 'hashaxe', hardwareVersion: 'bench', firmware: 'bench' },
  });
  const engine = new MiningEngine({
    chain,
    submitter: client,
    hashrateHs: 1,
    target: MAX_TARGET,
    // Chip ticket 1 at scale 2^-32: every nonce passes the ticket, so any nonce the bench sends is verified work.
    difficultyScale: 2 ** -32,
    refreshIntervalMs: 60_000,
  });
  const rig: Rig = {
    pool,
    client,
    chain,
    engine,
    host,
    device,
    socket: null as unknown as Socket,
    lineInAt,
    lastWork: null,
    async close() {
      engine.stop();
      client.close();
      await chain.close();
      await device.close();
      await pool.close();
    },
  };
  engine.on('work', (w) => {
    rig.lastWork = { id: w.chipJobId, work: w.work };
  });
  client.on('channelOpened', (info) => engine.setTarget(info.target));
  client.on('prevHash', (e) => engine.newTip(e.job));
  client.on('job', (e) => e.active && engine.activeJob(e.active));
  client.on('shareResult', (e) => engine.onShareResult(e));
  await client.connect();
  unsubscribe('net.client.socket', onSocket);
  if (socket === null) throw new Error('the client socket was not seen on net.client.socket');
  rig.socket = socket;
  while (rig.lastWork === null) await new Promise((r) => setTimeout(r, 5));
  return rig;
}

/** The 11-byte reply a BM1366 sends for a nonce (wire order) of chip job `jobId` at version field `field`. */
function nonceFrame(jobId: number, nonceBE: number, field: number, out: Uint8Array, offset: number): void {
  encodeNonceReply(11, nonceBE >>> 0, 0, replyResultHeader(BM1366, jobId, field & 7), field, out, offset);
}

/** Distinct nonces across runs, so the pool never sees a duplicate share. */
let nonceCounter = 1;

let rig: Rig | null = null;
async function getRig(): Promise<Rig> {
  rig ??= await startRig();
  return rig;
}
async function dropRig(): Promise<void> {
  await rig?.close();
  rig = null;
}

async function jobSwitch(): Promise<Record<string, number>> {
  const r = await getRig();
  const samples: number[] = [];
  let t0 = 0;
  const onData = (): void => {
    t0 = performance.now();
  };
  r.socket.prependListener('data', onData);
  let resolveJob: ((t: number) => void) | null = null;
  const origWrite = r.host.write.bind(r.host);
  r.host.write = (bytes: Uint8Array): void => {
    origWrite(bytes);
    if (bytes[2] === 0x21 && resolveJob !== null) resolveJob(performance.now());
  };
  try {
    for (let i = 0; i < SAMPLES; i++) {
      const written = new Promise<number>((resolve) => {
        resolveJob = resolve;
      });
      r.pool.newBlock();
      const t1 = await written;
      resolveJob = null;
      samples.push((t1 - t0) * 1000);
    }
  } finally {
    r.socket.off('data', onData);
    r.host.write = origWrite;
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

async function sharePath(): Promise<Record<string, number>> {
  const r = await getRig();
  const samples: number[] = [];
  let resolveShare: ((t: number) => void) | null = null;
  const origWrite = r.socket.write.bind(r.socket) as (b: Uint8Array) => boolean;
  (r.socket as unknown as { write: (b: Uint8Array) => boolean }).write = (bytes: Uint8Array): boolean => {
    const ok = origWrite(bytes);
    resolveShare?.(performance.now());
    return ok;
  };
  const frame = new Uint8Array(11);
  try {
    for (let i = 0; i < SAMPLES; i++) {
      const { id } = r.lastWork as { id: number; work: Work };
      nonceFrame(id, Math.imul(nonceCounter++, 2654435761), i & 0xffff, frame, 0);
      const submitted = new Promise<number>((resolve) => {
        resolveShare = resolve;
      });
      r.device.write(frame);
      const t1 = await submitted;
      resolveShare = null;
      samples.push((t1 - r.lineInAt()) * 1000);
      // Let the pool answer so its work does not fall into the next sample.
      await new Promise((res) => setTimeout(res, 1));
    }
  } finally {
    (r.socket as unknown as { write: typeof origWrite }).write = origWrite;
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

/** An engine on its own line with a counting submitter; `share` of 64 nonces meet the channel target. */
async function nonceRig(): Promise<{
  engine: MiningEngine;
  device: MemoryTransport;
  host: MemoryTransport;
  chain: Bm13xxChain;
  work: { id: number; work: Work };
  submitted: () => number;
}> {
  const { chain, host, device } = await chainOnMemoryLine();
  let shares = 0;
  const engine = new MiningEngine({
    chain,
    submitter: { submitShare: () => shares++ },
    hashrateHs: 1,
    target: MAX_TARGET >> 6n,
    difficultyScale: 2 ** -32,
    refreshIntervalMs: 60_000,
  });
  let work: { id: number; work: Work } | null = null;
  engine.on('work', (w) => {
    work = { id: w.chipJobId, work: w.work };
  });
  const prevHash = new Uint8Array(32).fill(3);
  engine.newTip({
    kind: 'standard',
    channelId: 1,
    jobId: 1,
    version: 0x20000000,
    versionRolling: { allowed: true, mask: 0x1fffe000 },
    merkleRoot: new Uint8Array(32).fill(5),
    prevHash,
    nbits: 0x1d00ffff,
    minNtime: 1_700_000_000,
    target: MAX_TARGET,
    targetLimbs: targetToLimbs(MAX_TARGET),
    activatedAtMs: Date.now(),
  });
  if (work === null) throw new Error('no work dispatched');
  return { engine, device, host, chain, work, submitted: () => shares };
}

const BATCH = 200;

async function replay(
  n: number,
  offeredPerSec: number | null,
): Promise<{ perSec: number; cpuShare: number; verified: number }> {
  const r = await nonceRig();
  const frames = new Uint8Array(11 * BATCH);
  const startVerified = r.engine.stats.snapshot().verifiedNonces;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  while (sent < n) {
    for (let i = 0; i < BATCH; i++) {
      nonceFrame(r.work.id, Math.imul(sent + i, 2654435761), (sent + i) & 0xffff, frames, 11 * i);
    }
    r.device.write(frames);
    sent += BATCH;
    if (offeredPerSec !== null) {
      const due = t0 + (sent / offeredPerSec) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      else await new Promise((res) => setImmediate(res));
    } else {
      await new Promise((res) => setImmediate(res));
    }
  }
  await new Promise((res) => setImmediate(res));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const verified = r.engine.stats.snapshot().verifiedNonces - startVerified;
  r.engine.stop();
  await r.chain.close();
  await r.device.close();
  if (verified < n * 0.99) throw new Error(`only ${verified} of ${n} nonces were verified`);
  return { perSec: (verified * 1000) / elapsedMs, cpuShare: (cpu.user + cpu.system) / 1000 / elapsedMs, verified };
}

function verifyOnly(n: number): number {
  const work: Work = {
    version: 0x20000000,
    versionMask: 0x1fffe000,
    prevHash: new Uint8Array(32).fill(3),
    merkleRoot: new Uint8Array(32).fill(5),
    ntime: 1_700_000_000,
    nbits: 0x1d00ffff,
  };
  const t = new HeaderTemplate(work);
  const words = new Uint32Array(8);
  const limbs = targetToLimbs(DIFF1_TARGET);
  let hits = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    t.hash((0x20000000 | ((i & 0xffff) << 13)) >>> 0, (i * 2654435761) >>> 0, words);
    if (stateWordsMeetTarget(words, limbs)) hits++;
  }
  const ms = performance.now() - t0;
  if (hits < 0) throw new Error('unreachable');
  return (n * 1000) / ms;
}

export const benches: BenchCase[] = [
  {
    name: 'mine.job-switch',
    unit: 'µs',
    measure: jobSwitch,
  },
  {
    name: 'mine.share-path',
    unit: 'µs',
    measure: sharePath,
    teardown: dropRig,
  },
  {
    name: 'mine.nonces.verify-only',
    unit: 'nonces/s',
    measure: () => verifyOnly(50_000),
  },
  {
    name: 'mine.nonces',
    unit: 'nonces/s',
    baseline: 'mine.nonces.verify-only',
    measure: async () => (await replay(50_000, null)).perSec,
  },
  {
    name: 'mine.nonces-cpu',
    unit: 'share of one core at 10,000 nonces/s offered',
    measure: async () => (await replay(20_000, 10_000)).cpuShare,
  },
];

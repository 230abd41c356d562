/**
 * The miner's two latency paths and its nonce throughput, measured on the real pieces: the BM1366 driver on an
 * in-memory line (the bench plays the chip), the mining engine, and the SV2 client over loopback TCP with Noise
 * to `hashaxe pool` running in its own process (as a real pool would: its work is not the device's).
 *
 * mine.job-switch  the pool's SetNewPrevHash, decrypted, reaches the client → the job frame for it is handed
 *                  to the chip transport. `mine.*` run on a standard channel (the merkle root is given);
 *                  `mine.extended.*` on an extended channel, where the job switch also builds the coinbase
 *                  (prefix ‖ extranonce_prefix ‖ extranonce ‖ suffix), hashes it and folds it up the merkle path,
 *                  and the share carries the extranonce rolled (SubmitSharesExtended).
 * mine.share-path  a nonce frame is handed to the driver by the chip transport → the encrypted SubmitShares
 *                  bytes are handed to the socket.
 * sv1.share-path   the same path to a Stratum V1 pool (`hashaxe pool --listen-v1`): nonce frame in → the
 *                  mining.submit line handed to the socket; its ratio is against mine.share-path in the same run.
 * *.floor          about a microsecond of arithmetic (no memory) woken on the same cadence in the same run:
 *                  what the wake-up and the timing add by themselves.
 * The job switch costs tens of microseconds against about one for its code warm and optimised
 * (mine.job-switch-code) because it runs a few times a second here and every 30 s to 10 min on a real pool:
 * V8 never optimises code that rare (it runs as baseline code), and it runs cold.
 * Observation hooks sit on a transport subclass and on net.Socket.prototype, never on the live instances:
 * replacing a method on an instance mid-run throws away the optimised code of the path being measured.
 * Latencies pool the samples of all runs (harness.ts) so a p99 is a p99, not the slowest of a few dozen.
 * mine.nonces      nonce frames replayed through driver + engine as fast as they are taken (every one
 *                  rebuilt and SHA-256d-checked, 1 in 64 a share), against `mine.nonces.verify-only` (the same
 *                  hashing without the driver, engine or routing); `mine.nonces-cpu` the share of one core
 *                  the engine uses at an offered 10,000 nonces/s.
 */
import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Socket as NetSocket, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Bm13xxChain } from '../../drivers/asic/bm13xx-chain.js';
import { chipModel, replyResultHeader } from '../../drivers/asic/chip-model.js';
import { encodeNonceReply } from '../../drivers/asic/response.js';
import type { MemoryTransport } from '../../drivers/transport/memory-transport.js';
import { MAX_TARGET, stateWordsMeetTarget, targetToLimbs } from '../../src/bitcoin/target.js';
import { MiningEngine } from '../../src/mining/engine.js';
import { HeaderTemplate } from '../../src/mining/header-template.js';
import type { JobSource } from '../../src/mining/job-source.js';
import { ticketTarget } from '../../src/mining/ticket.js';
import type { Work } from '../../src/mining/work.js';
import { Sv1JobSource } from '../../src/sv1/client/sv1-job-source.js';
import type { ChannelKind } from '../../src/sv2/client/channel.js';
import { ChannelState } from '../../src/sv2/client/channel-state.js';
import type { FrameEvent, Sv2MiningClient } from '../../src/sv2/client/mining-client.js';
import { Sv2JobSource } from '../../src/sv2/client/sv2-job-source.js';
import { NewExtendedMiningJob, NewMiningJob, SetNewPrevHash } from '../../src/sv2/messages/mining.js';
import { chainOnMemoryLine, type ObservedMemoryTransport } from './chip-line.js';
import { type BenchCase, type LatencySamples, quantile } from './harness.js';

const BM1366 = chipModel('bm1366');

/**
 * Socket writes are observed through one wrapper on `net.Socket.prototype.write`, installed when this module
 * loads (before any measurement). Replacing `write` on the client's socket instance instead would change its
 * hidden class mid-process and throw away the optimised code of the path being measured.
 */
let socketObserver: ((socket: Socket) => void) | null = null;
const socketWrite = NetSocket.prototype.write as (this: Socket, chunk: unknown, a?: unknown, b?: unknown) => boolean;
NetSocket.prototype.write = function observedWrite(this: Socket, chunk: unknown, a?: unknown, b?: unknown): boolean {
  socketObserver?.(this);
  return socketWrite.call(this, chunk, a, b);
} as typeof NetSocket.prototype.write;
const BIP320_ROLLING = { allowed: true, mask: 0x1fffe000 };

interface Rig {
  pool: ChildPool;
  /** The SV2 client underneath (null on a V1 rig). */
  client: Sv2MiningClient | null;
  source: JobSource;
  chain: Bm13xxChain;
  engine: MiningEngine;
  host: ObservedMemoryTransport;
  device: MemoryTransport;
  socket: Socket;
  lineInAt: () => number;
  lastWork: { id: number; work: Work } | null;
  close(): Promise<void>;
}

/** `hashaxe pool` in its own process, so its work and garbage stay out of the device's timings. */
interface ChildPool {
  url: string;
  /** The V1 port's URL (`--listen-v1`). */
  v1Url: string;
  close(): Promise<void>;
}

async function startChildPool(blockIntervalSec: number): Promise<ChildPool> {
  const cli = fileURLToPath(new URL('../../firmware/cli.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      cli,
      'pool',
      '--listen',
      '127.0.0.1:0',
      '--share-rate',
      '6000',
      '--block-interval',
      String(blockIntervalSec),
      '--job-interval',
      '0',
      '--stats-interval',
      '0',
      '--json',
      // The V1 port beside it, every nonce a share there too (the easiest difficulty a pool can set).
      '--listen-v1',
      '127.0.0.1:0',
      '--v1-difficulty',
      String(2 ** -32),
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const [url, v1Url] = await new Promise<[string, string]>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /"url":"(sv2\+tcp:[^"]+)"/.exec(text);
      const v1 = /"v1Url":"(stratum\+tcp:[^"]+)"/.exec(text);
      if (m && v1) resolve([m[1], v1[1]]);
    });
    child.once('exit', (code) => reject(new Error(`hashaxe pool exited ${code}`)));
  });
  child.stdout.resume();
  return {
    url,
    v1Url,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What a rig's device speaks upstream: SV2 on a channel of that kind, or Stratum V1. */
type RigUpstream = ChannelKind | 'sv1';

async function startRig(blockIntervalSec: number, upstream: RigUpstream): Promise<Rig> {
  let socket: Socket | null = null;
  const onSocket = (message: unknown): void => {
    socket ??= (message as { socket: Socket }).socket;
  };
  subscribe('net.client.socket', onSocket);
  // Every share meets the channel target (hash rate 1 H/s, many shares a minute): the pool accepts them all.
  const pool = await startChildPool(blockIntervalSec);
  const { chain, host, device, lineInAt } = await chainOnMemoryLine();
  // The daemon's path: the protocol's client behind the job-source seam the daemon uses.
  const sv2 =
    upstream !== 'sv1'
      ? new Sv2JobSource({
          url: pool.url,
          userIdentity: 'bench',
          nominalHashRateHs: 1,
          channel: upstream,
          device: { vendor: 'hashaxe', hardwareVersion: 'bench', firmware: 'bench' },
        })
      : null;
  const source: JobSource = sv2 ?? new Sv1JobSource({ url: pool.v1Url, user: 'bench.w1', userAgent: 'hashaxe/bench' });
  const client = sv2?.sv2 ?? null;
  const engine = new MiningEngine({
    chain,
    submitter: source,
    hashrateHs: 1,
    target: MAX_TARGET,
    // Chip ticket 1 at scale 2^-32: every nonce passes the ticket, so any nonce the bench sends is verified work.
    difficultyScale: 2 ** -32,
    refreshIntervalMs: 60_000,
  });
  const rig: Rig = {
    pool,
    client,
    source,
    chain,
    engine,
    host,
    device,
    socket: null as unknown as Socket,
    lineInAt,
    lastWork: null,
    async close() {
      engine.stop();
      source.close('bench done');
      await chain.close();
      await device.close();
      await pool.close();
    },
  };
  engine.on('work', (w) => {
    rig.lastWork = { id: w.chipJobId, work: w.work };
  });
  source.on('newTip', (job) => engine.newTip(job));
  source.on('job', (job) => engine.activeJob(job));
  source.on('target', (e) => engine.setTarget(e.target));
  source.on('shareAnswer', (e) => engine.onShareResult(e));
  const session = await source.connect();
  if (upstream !== 'sv1' && session.channelKind !== upstream)
    throw new Error(`asked for a ${upstream} channel, got ${session.channelKind}`);
  engine.setTarget(session.target);
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

/**
 * One run of the mining loop in steady state for `ms`: the pool moves to a new block every 100 ms, and the
 * "chip" reports a nonce every `nonceEveryMs` (every one a share; 0 = none, the device idles between blocks).
 * Samples both paths: decrypted SetNewPrevHash → job frame to the chips (only job writes made while handling
 * it), and nonce bytes in → encrypted SubmitShares bytes to the socket (only writes made handling those bytes).
 */
async function latencies(
  ms: number,
  nonceEveryMs: number,
  upstream: RigUpstream = 'standard',
): Promise<{ jobSwitch: number[]; sharePath: number[]; floor: number[] }> {
  const r = await startRig(0.1, upstream);
  const jobSwitch: number[] = [];
  const sharePath: number[] = [];
  // t0: the SetNewPrevHash frame is decrypted and handed to the client (before it is decoded).
  let dataAt = -1;
  const onFrame = (f: FrameEvent): void => {
    if (f.msgType !== SetNewPrevHash.msgType) return;
    dataAt = performance.now();
  };
  // Registered after the rig's listener (which hands the job to the engine): disarms once the switch is done,
  // so a SetNewPrevHash that sent no job frame takes no sample.
  const disarm = (): void => {
    dataAt = -1;
  };
  r.client?.on('frame', onFrame);
  r.client?.on('prevHash', disarm);
  // Timed when the bytes are handed over (before the transport copies them), as the figure is defined.
  r.host.observe = (bytes: Uint8Array): void => {
    if (bytes[2] === 0x21 && dataAt >= 0) {
      jobSwitch.push((performance.now() - dataAt) * 1000);
      dataAt = -1;
    }
  };
  /** Armed when a nonce frame is sent; the share write it causes (in the same delivery) takes the sample. */
  let nonceAt = -1;
  socketObserver = (socket: Socket): void => {
    if (nonceAt >= 0 && socket === r.socket) {
      sharePath.push((performance.now() - r.lineInAt()) * 1000);
      nonceAt = -1;
    }
  };
  const frame = new Uint8Array(11);
  let timer: NodeJS.Timeout | null = null;
  if (nonceEveryMs > 0) {
    timer = setInterval(() => {
      const w = r.lastWork;
      if (w === null) return;
      nonceFrame(w.id, Math.imul(nonceCounter++, 2654435761), nonceCounter & 0xffff, frame, 0);
      nonceAt = 0;
      r.device.write(frame);
    }, nonceEveryMs);
  }
  // The floor: the same wake-ups (half a period later), timing work that shares no code with either path.
  const floor: number[] = [];
  const floorPeriodMs = nonceEveryMs > 0 ? nonceEveryMs : 100;
  let floorTimer: NodeJS.Timeout | null = null;
  const floorStart = setTimeout(() => {
    floorTimer = setInterval(() => {
      const t0 = performance.now();
      floorWork();
      floor.push((performance.now() - t0) * 1000);
    }, floorPeriodMs);
  }, floorPeriodMs / 2);
  await new Promise((res) => setTimeout(res, ms));
  if (timer !== null) clearInterval(timer);
  clearTimeout(floorStart);
  if (floorTimer !== null) clearInterval(floorTimer);
  r.client?.off('frame', onFrame);
  r.client?.off('prevHash', disarm);
  socketObserver = null;
  r.host.observe = null;
  await r.close();
  return { jobSwitch, sharePath, floor };
}

let floorSink = 0;
/** About a microsecond of integer arithmetic on no memory at all. */
function floorWork(): void {
  let x = floorSink;
  for (let i = 0; i < 300; i++) x = (Math.imul(x, 31) + i) | 0;
  floorSink = x;
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
    channelId: 1,
    jobId: 1,
    version: 0x20000000,
    versionRolling: { allowed: true, mask: 0x1fffe000 },
    header: { kind: 'merkle-root', merkleRoot: new Uint8Array(32).fill(5) },
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
  const limbs = targetToLimbs(ticketTarget(2 ** -24));
  let hits = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    t.hash((0x20000000 | ((i & 0xffff) << 13)) >>> 0, (i * 2654435761) >>> 0, words);
    if (stateWordsMeetTarget(words, limbs)) hits++;
  }
  const ms = performance.now() - t0;
  // About 1 in 256 meets difficulty 2^-24: none at all would mean the loop did not really hash.
  if (hits === 0) throw new Error('no nonce met a difficulty 2^-24 target: the hashing is broken');
  return (n * 1000) / ms;
}

/**
 * One latency run: 4 s, 40 blocks. Pooled over the 5 runs that is 200 job switches, so their p99 is the third
 * slowest rather than the second of 150.
 */
const RUN_MS = 4000;

/** Steady state: a nonce (a share) every `nonceEveryMs`, a block every 100 ms; samples pooled. */
async function steady(nonceEveryMs: number, channel: ChannelKind = 'standard'): Promise<LatencySamples> {
  const { jobSwitch, sharePath, floor } = await latencies(RUN_MS, nonceEveryMs, channel);
  if (jobSwitch.length < 30 || sharePath.length < 300) {
    throw new Error(`too few samples: ${jobSwitch.length} job switches, ${sharePath.length} shares`);
  }
  return { samples: { 'job-switch': jobSwitch, 'share-path': sharePath, floor } };
}

/**
 * The job-switch code path alone, warm, in a loop: SetNewPrevHash payload decoded, the channel's state moved
 * on, the engine's dispatch and the driver's job frame — no socket, no crypto, no idle gaps. What the path
 * costs when the CPU's caches hold it (the end-to-end figures above are dominated by how cold they are).
 */
async function jobSwitchCodePath(): Promise<Record<string, number>> {
  const { chain, host, device } = await chainOnMemoryLine();
  let written = 0;
  host.observe = (): void => {
    written = performance.now();
  };
  const channel = new ChannelState({
    kind: 'standard',
    channelId: 1,
    requestId: 1,
    userIdentity: 'bench',
    extranoncePrefix: new Uint8Array(8),
    extranonceSize: 0,
    groupChannelId: 0,
    target: MAX_TARGET,
    versionRolling: BIP320_ROLLING,
    nominalHashRateHs: 1,
  });
  const engine = new MiningEngine({
    chain,
    submitter: { submitShare: () => 0 },
    hashrateHs: 1,
    target: MAX_TARGET,
    difficultyScale: 2 ** -32,
    refreshIntervalMs: 60_000,
  });
  const prevHash = new Uint8Array(32).fill(7);
  const samples: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const job = NewMiningJob.encode({
      channelId: 1,
      jobId: i,
      minNtime: null,
      version: 0x20000000,
      merkleRoot: prevHash,
    });
    channel.onNewMiningJob(NewMiningJob.decode(job), 0);
    prevHash[0] = i;
    const frame = SetNewPrevHash.encode({
      channelId: 1,
      jobId: i,
      prevHash,
      minNtime: 1_700_000_000,
      nbits: 0x1d00ffff,
    });
    const t0 = performance.now();
    engine.newTip(channel.onSetNewPrevHash(SetNewPrevHash.decode(frame), 0).job);
    if (i >= 1000) samples.push((written - t0) * 1000);
  }
  engine.stop();
  await chain.close();
  await device.close();
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

/**
 * The same warm loop on an extended channel with a mainnet-sized job: a 12-level merkle path (about 4,000
 * transactions) and a 250-byte coinbase, so the switch includes the coinbase hash and 12 merkle folds.
 */
async function extendedJobSwitchCodePath(): Promise<Record<string, number>> {
  const { chain, host, device } = await chainOnMemoryLine();
  let written = 0;
  host.observe = (): void => {
    written = performance.now();
  };
  const channel = new ChannelState({
    kind: 'extended',
    channelId: 1,
    requestId: 1,
    userIdentity: 'bench',
    extranoncePrefix: new Uint8Array(8).fill(1),
    extranonceSize: 8,
    groupChannelId: 0,
    target: MAX_TARGET,
    versionRolling: BIP320_ROLLING,
    nominalHashRateHs: 1,
  });
  const engine = new MiningEngine({
    chain,
    submitter: { submitShare: () => 0 },
    hashrateHs: 1,
    target: MAX_TARGET,
    difficultyScale: 2 ** -32,
    refreshIntervalMs: 60_000,
  });
  const merklePath = Array.from({ length: 12 }, (_, i) => new Uint8Array(32).fill(i + 1));
  const coinbaseTxPrefix = new Uint8Array(42).fill(2);
  const coinbaseTxSuffix = new Uint8Array(200).fill(4);
  const prevHash = new Uint8Array(32).fill(7);
  const samples: number[] = [];
  for (let i = 0; i < 3000; i++) {
    coinbaseTxPrefix[0] = i;
    const job = NewExtendedMiningJob.encode({
      channelId: 1,
      jobId: i,
      minNtime: null,
      version: 0x20000000,
      versionRollingAllowed: true,
      merklePath,
      coinbaseTxPrefix,
      coinbaseTxSuffix,
    });
    channel.onNewExtendedMiningJob(NewExtendedMiningJob.decode(job), 0);
    prevHash[0] = i;
    const frame = SetNewPrevHash.encode({
      channelId: 1,
      jobId: i,
      prevHash,
      minNtime: 1_700_000_000,
      nbits: 0x1d00ffff,
    });
    const t0 = performance.now();
    engine.newTip(channel.onSetNewPrevHash(SetNewPrevHash.decode(frame), 0).job);
    if (i >= 1000) samples.push((written - t0) * 1000);
  }
  engine.stop();
  await chain.close();
  await device.close();
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

/** The share path to a Stratum V1 pool, same cadence as `mine` (a nonce every 10 ms, a block every 100 ms). */
async function sv1Steady(): Promise<LatencySamples> {
  const { sharePath, floor } = await latencies(RUN_MS, 10, 'sv1');
  // About 400 nonces a run at 10 ms; a loaded machine wakes the timer less often (the floor shows it).
  if (sharePath.length < 250) throw new Error(`too few samples: ${sharePath.length} shares`);
  return { samples: { 'share-path': sharePath, floor } };
}

/** The device idle between blocks (no nonces): everything it runs on a block change is cold. */
async function idle(): Promise<LatencySamples> {
  const { jobSwitch, floor } = await latencies(RUN_MS, 0);
  return { samples: { 'job-switch': jobSwitch, floor } };
}

export const benches: BenchCase[] = [
  {
    name: 'mine',
    unit: 'µs',
    measure: () => steady(10),
  },
  {
    name: 'mine.extended',
    unit: 'µs',
    baseline: 'mine',
    measure: () => steady(10, 'extended'),
  },
  {
    name: 'sv1',
    unit: 'µs',
    baseline: 'mine',
    measure: sv1Steady,
  },
  {
    name: 'mine.busy',
    unit: 'µs',
    measure: () => steady(1),
  },
  {
    name: 'mine.job-switch-code',
    unit: 'µs',
    measure: jobSwitchCodePath,
  },
  {
    name: 'mine.extended.job-switch-code',
    unit: 'µs',
    baseline: 'mine.job-switch-code',
    measure: extendedJobSwitchCodePath,
  },
  {
    name: 'mine.idle',
    unit: 'µs',
    measure: idle,
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

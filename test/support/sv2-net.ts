/**
 * The sv2 room's network test support: a local pool and clients on 127.0.0.1, waiting for typed events,
 * finding nonces for a job, and a TCP man-in-the-middle that flips bits.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { sha256dFromMidstate, sha256Midstate, stateWordsMeetTarget } from '../../src/bitcoin/index.js';
import { merkleRootOfCoinbase } from '../../src/bitcoin/merkle.js';
import type { ActiveJob } from '../../src/sv2/client/channel.js';
import { type MiningClientOptions, Sv2MiningClient } from '../../src/sv2/client/mining-client.js';
import { LocalPool, type LocalPoolOptions } from '../../src/sv2/pool/local-pool.js';
import type { TypedEmitter } from '../../src/util/typed-emitter.js';
import { Prng } from './prng.js';

/** A pool with no timers (tests call newBlock/newJobs) and seeded randomness. */
export function startTestPool(options: LocalPoolOptions = {}, seed = 1): Promise<LocalPool> {
  const prng = new Prng(seed);
  return LocalPool.start({
    port: 0,
    prevHashIntervalMs: 0,
    jobIntervalMs: 0,
    random: (n) => prng.bytes(n),
    ...options,
  });
}

/**
 * A client of `pool`. Standard channel unless `options.channel` says otherwise: most client tests are about
 * header-only behaviour (the extended-channel tests ask for `extended` or `auto`).
 */
export function testClient(pool: LocalPool, options: Partial<MiningClientOptions> = {}): Sv2MiningClient {
  return new Sv2MiningClient({
    channel: 'standard',
    url: pool.url,
    userIdentity: 'test.worker',
    nominalHashRateHs: 1000,
    device: { vendor: 'hashaxe-test', hardwareVersion: 'none', firmware: '0.0.0' },
    ...options,
  });
}

type EventsOf<T> = T extends { eventMap?: infer E } ? NonNullable<E> : never;

/** Resolves with the next `event` whose payload passes `accept` (rejects after `timeoutMs`: a hang guard). */
export function nextEvent<T extends TypedEmitter<object>, K extends keyof EventsOf<T> & string>(
  emitter: T,
  event: K,
  accept: (payload: EventsOf<T>[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<EventsOf<T>[K]> {
  const em = emitter as unknown as TypedEmitter<EventsOf<T>>;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      em.off(event, listener);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: EventsOf<T>[K]): void => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      em.off(event, listener);
      resolve(payload);
    };
    em.on(event, listener);
  });
}

/** The extranonce a test share of a coinbase job uses when it names none: all zero bytes. */
export function zeroExtranonce(job: ActiveJob): Uint8Array | null {
  return job.header.kind === 'coinbase' ? new Uint8Array(job.header.extranonceSize) : null;
}

/** The header merkle root of `job` (for a coinbase job: with `extranonce` rolled in). */
export function jobMerkleRoot(job: ActiveJob, extranonce: Uint8Array | null = zeroExtranonce(job)): Uint8Array {
  const h = job.header;
  if (h.kind === 'merkle-root') return h.merkleRoot;
  if (extranonce === null || extranonce.length !== h.extranonceSize) throw new Error('wrong extranonce size');
  return merkleRootOfCoinbase(h.prefix, extranonce, h.suffix, h.merklePath);
}

/**
 * The first nonce from `start` whose header meets (or, with `meets` false, misses) the job's target, with the
 * job's version and min ntime (and, for a coinbase job, the given extranonce; zeros by default). Deterministic for
 * a given job.
 */
export function findNonce(
  job: ActiveJob,
  meets = true,
  start = 0,
  version = job.version,
  ntime = job.minNtime,
  extranonce: Uint8Array | null = zeroExtranonce(job),
): number {
  const header = new Uint8Array(80);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, version >>> 0, true);
  header.set(job.prevHash, 4);
  header.set(jobMerkleRoot(job, extranonce), 36);
  dv.setUint32(68, ntime >>> 0, true);
  dv.setUint32(72, job.nbits, true);
  const mid = sha256Midstate(header);
  const words = new Uint32Array(8);
  for (let nonce = start; nonce < start + 50_000_000; nonce++) {
    dv.setUint32(76, nonce >>> 0, true);
    sha256dFromMidstate(mid, header, 64, words);
    if (stateWordsMeetTarget(words, job.targetLimbs) === meets) return nonce >>> 0;
  }
  throw new Error('no nonce found');
}

/**
 * A TCP proxy between a client and a server that can flip one bit at a byte offset of either direction's
 * stream (offsets count from the first byte that direction carried on the current connection).
 */
export class BitFlipProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  connections = 0;
  /** Bytes carried so far on the latest connection, per direction. */
  upBytes = 0;
  downBytes = 0;
  flip: { direction: 'up' | 'down'; offset: number; bit: number } | null = null;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((down) => {
      this.connections++;
      this.upBytes = 0;
      this.downBytes = 0;
      const up = netConnect(this.target);
      this.sockets.add(down);
      this.sockets.add(up);
      down.on('close', () => this.sockets.delete(down));
      up.on('close', () => this.sockets.delete(up));
      const pipe = (from: Socket, to: Socket, direction: 'up' | 'down'): void => {
        from.on('data', (chunk: Buffer) => {
          const seen = direction === 'up' ? this.upBytes : this.downBytes;
          const flip = this.flip;
          if (flip && flip.direction === direction && flip.offset >= seen && flip.offset < seen + chunk.length) {
            chunk[flip.offset - seen] ^= 1 << flip.bit;
            this.flip = null;
          }
          if (direction === 'up') this.upBytes += chunk.length;
          else this.downBytes += chunk.length;
          to.write(chunk);
        });
        from.on('close', () => to.destroy());
        from.on('error', () => to.destroy());
      };
      pipe(down, up, 'up');
      pipe(up, down, 'down');
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Stratum V2 benchmarks: the share hot path (SubmitSharesStandard encoded and encrypted on the device, decrypted
 * and decoded on the pool), each against the plain codec as its baseline so the ratio is the price of Noise;
 * the Noise_NX handshake (both sides in one process, certificate signed and checked) against one BIP324 ECDH;
 * a share's round trip to the local pool over loopback TCP; and the AEAD itself, OpenSSL (what Noise uses)
 * against @noble/ciphers (the other library we could use), on the sizes SV2 frames have.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

import { Sv2MiningClient } from '../../src/sv2/client/mining-client.js';
import { encodeFrameInto } from '../../src/sv2/codec/frame.js';
import {
  type SubmitSharesStandard,
  SubmitSharesStandard as SubmitSharesStandardDef,
} from '../../src/sv2/messages/mining.js';
import { decodeFrameBytes } from '../../src/sv2/messages/registry.js';
import { ChaChaPolyAead } from '../../src/sv2/noise/aead.js';
import { signCertificate } from '../../src/sv2/noise/certificate.js';
import { CipherState } from '../../src/sv2/noise/cipher-state.js';
import { EncryptedFrameReader, EncryptedFrameWriter } from '../../src/sv2/noise/frame-cipher.js';
import { NoiseInitiator, NoiseResponder } from '../../src/sv2/noise/handshake.js';
import { createNoiseKeypair } from '../../src/sv2/noise/keys.js';
import { bip324EcdhSecret } from '../../src/sv2/noise/xonly-ecdh.js';
import { LocalPool } from '../../src/sv2/pool/local-pool.js';
import { type BenchCase, opsPerSecond, quantile } from './harness.js';

const BATCH = 1000;
const share: SubmitSharesStandard = {
  channelId: 1,
  sequenceNumber: 0,
  jobId: 7,
  nonce: 0,
  ntime: 1745596932,
  version: 0x20000000,
};
const plainFrame = new Uint8Array(6 + 24);
const key = new Uint8Array(32).map((_, i) => i * 7 + 1);

/** The next share: the fields a device changes per submit. */
function nextShare(i: number): SubmitSharesStandard {
  share.sequenceNumber = i >>> 0;
  share.nonce = (i * 2654435761) >>> 0;
  return share;
}

let counter = 0;
const writer = new EncryptedFrameWriter(new CipherState(key));

/** Ciphertexts of `n` shares from a fresh session, and a reader at the matching nonce. */
function encryptedShares(n: number): { frames: Uint8Array[]; reader: EncryptedFrameReader } {
  const k = new Uint8Array(32).map((_, i) => (i + counter) & 0xff);
  counter++;
  const w = new EncryptedFrameWriter(new CipherState(k));
  const frames: Uint8Array[] = [];
  for (let i = 0; i < n; i++) frames.push(w.write(SubmitSharesStandardDef, nextShare(i)).slice());
  return { frames, reader: new EncryptedFrameReader(new CipherState(k), 1 << 16) };
}

const authority = createNoiseKeypair();
const staticKey = createNoiseKeypair();

function handshakeOnce(): void {
  const now = Math.floor(Date.now() / 1000);
  const initiator = new NoiseInitiator({ authorityKey: authority.xOnly, nowSec: () => now });
  const responder = new NoiseResponder({
    staticKey,
    certificate: () =>
      signCertificate({ validFrom: now, notValidAfter: now + 3600 }, staticKey.xOnly, authority.secret),
  });
  initiator.finish(responder.respond(initiator.start()).message);
}

const ecdhOurs = createNoiseKeypair();
const ecdhTheirs = createNoiseKeypair();

/** Milliseconds per call of `fn`, over at least `ms` of calls. */
function msPerCall(fn: () => void, ms = 300): number {
  return 1000 / opsPerSecond(fn, 1, ms);
}

/** An encrypted header, a SubmitSharesStandard payload, a NewMiningJob-sized payload, a large message. */
const AEAD_SIZES = [6, 24, 200, 2000];
const EMPTY = new Uint8Array(0);

/** Seal + open round trips per second for each frame size, keyed `bytes<N>`. */
function aeadRates(sealOpen: (buf: Uint8Array, length: number, counter: number) => void): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const size of AEAD_SIZES) {
    const buf = new Uint8Array(size + 16);
    let counter = 0;
    rates[`bytes${size}`] = opsPerSecond(() => {
      for (let i = 0; i < 100; i++) sealOpen(buf, size, counter++);
    }, 100);
  }
  return rates;
}

const opensslAead = new ChaChaPolyAead(key);
const nobleNonce = new Uint8Array(12);
const nobleNonceView = new DataView(nobleNonce.buffer);

let pool: LocalPool | null = null;
let miner: Sv2MiningClient | null = null;

export const benches: BenchCase[] = [
  {
    name: 'sv2.encode',
    unit: 'frames/s',
    measure: () =>
      opsPerSecond(() => {
        for (let i = 0; i < BATCH; i++) encodeFrameInto(SubmitSharesStandardDef, nextShare(i), plainFrame, 0);
      }, BATCH),
  },
  {
    name: 'sv2.encode+encrypt',
    unit: 'frames/s',
    baseline: 'sv2.encode',
    measure: () =>
      opsPerSecond(() => {
        for (let i = 0; i < BATCH; i++) writer.write(SubmitSharesStandardDef, nextShare(i));
      }, BATCH),
  },
  {
    name: 'sv2.decode',
    unit: 'frames/s',
    measure: () => {
      encodeFrameInto(SubmitSharesStandardDef, nextShare(1), plainFrame, 0);
      return opsPerSecond(() => {
        for (let i = 0; i < BATCH; i++) decodeFrameBytes(plainFrame);
      }, BATCH);
    },
  },
  {
    name: 'sv2.decrypt+decode',
    unit: 'frames/s',
    baseline: 'sv2.decode',
    measure: () => {
      // Encrypting happens outside the clock: only the pool's side (push, decrypt, decode) is timed.
      const n = 5000;
      const { frames, reader } = encryptedShares(n);
      const start = performance.now();
      for (const f of frames) {
        reader.push(f);
        const frame = reader.next();
        if (frame === null) throw new Error('no frame');
        SubmitSharesStandardDef.decode(frame.payload);
      }
      return (n * 1000) / (performance.now() - start);
    },
  },
  {
    name: 'sv2.aead.noble',
    unit: 'seal+open/s',
    measure: () =>
      aeadRates((buf, length, counter) => {
        nobleNonceView.setUint32(4, counter, true);
        const sealed = chacha20poly1305(key, nobleNonce, EMPTY).encrypt(buf.subarray(0, length), buf);
        chacha20poly1305(key, nobleNonce, EMPTY).decrypt(sealed, buf.subarray(0, length));
      }),
  },
  {
    name: 'sv2.aead.openssl',
    unit: 'seal+open/s',
    baseline: 'sv2.aead.noble',
    measure: () =>
      aeadRates((buf, length, counter) => {
        opensslAead.seal(0, counter, 0, EMPTY, buf, 0, length);
        if (!opensslAead.open(0, counter, 0, EMPTY, buf, 0, length, buf, 0)) throw new Error('tag');
      }),
  },
  {
    name: 'sv2.ecdh',
    unit: 'ms',
    measure: () => msPerCall(() => bip324EcdhSecret(ecdhOurs.secret, ecdhTheirs.ellswift, ecdhOurs.ellswift, true)),
  },
  {
    // Both sides in one process: two fresh ephemeral keys and their encodings, four ECDHs, the certificate
    // signed and verified, every hash and AEAD step.
    name: 'sv2.handshake',
    unit: 'ms',
    baseline: 'sv2.ecdh',
    measure: () => msPerCall(handshakeOnce, 500),
  },
  {
    name: 'sv2.share-roundtrip',
    unit: 'ms',
    units: { p50: 'ms', p99: 'ms' },
    setup: async () => {
      pool = await LocalPool.start({ port: 0, prevHashIntervalMs: 0, jobIntervalMs: 0, sharesPerMinute: 60 });
      miner = new Sv2MiningClient({
        url: pool.url,
        userIdentity: 'bench',
        nominalHashRateHs: 1e6,
        device: { vendor: 'hashaxe-bench', hardwareVersion: 'none', firmware: '0' },
      });
      await miner.connect();
    },
    teardown: async () => {
      miner?.close();
      await pool?.close();
    },
    measure: async () => {
      const m = miner!;
      const channelId = m.channelInfos()[0].channelId;
      const job = m.activeJob(channelId)!;
      const samples: number[] = [];
      // Mostly difficulty-too-low answers: the pool validates each share (SHA-256d) either way.
      for (let i = 0; i < 300; i++) {
        const start = performance.now();
        const answered = new Promise<void>((resolve) => m.once('shareResult', () => resolve()));
        m.submitShare({ channelId, jobId: job.jobId, nonce: i, ntime: job.minNtime, version: job.version });
        await answered;
        samples.push(performance.now() - start);
      }
      return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
    },
  },
];

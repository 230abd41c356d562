/**
 * Bounded, seeded fuzzing of a live local pool over real TCP on 127.0.0.1 through real Noise: random and
 * mutated frames of every message a client can send, thousands per connection, each connection ending in one
 * deliberately fatal frame. The pool must decrypt and handle every frame (counted), end each bad connection
 * with the typed reason that frame deserves (never an internal error), stay up, and serve a fresh client.
 */
import assert from 'node:assert/strict';
import { getPriority, setPriority } from 'node:os';
import { test } from 'node:test';
import { Sv2MiningClient } from '../../../../src/sv2/client/mining-client.js';
import { encodeFrame } from '../../../../src/sv2/codec/frame.js';
import type { MessageDef } from '../../../../src/sv2/codec/message.js';
import { SetupConnection } from '../../../../src/sv2/messages/common.js';
import { RequestExtensions } from '../../../../src/sv2/messages/extensions.js';
import {
  CloseChannel,
  NewMiningJob,
  OpenExtendedMiningChannel,
  OpenStandardMiningChannel,
  SetCustomMiningJob,
  SetTarget,
  SubmitSharesExtended,
  SubmitSharesStandard,
  SubmitSharesSuccess,
  UpdateChannel,
} from '../../../../src/sv2/messages/mining.js';
import { ALL_MESSAGES, decodeFrameBytes, messageDefFor } from '../../../../src/sv2/messages/registry.js';
import { hexToBytes } from '../../../../src/util/hex.js';
import { startCliJson } from '../../../support/cli.js';
import { Prng } from '../../../support/prng.js';
import { BareNoiseClient, FrameFuzzer } from '../../../support/sv2-fuzz.js';
import { findNonce, nextEvent, zeroExtranonce } from '../../../support/sv2-net.js';

/** Fuzzed connections that get through SetupConnection and a channel, and the frames each one sends. */
const READY_CONNECTIONS = 20;
const FRAMES_PER_CONNECTION = 5_040;
/** Connections that misbehave before or during SetupConnection. */
const EARLY_CONNECTIONS = 6;
const MAX_PAYLOAD = 64 * 1024; // the pool's default limit for client frames

type AnyDef = MessageDef<unknown>;
const asAny = (d: unknown): AnyDef => d as AnyDef;

/** Messages a client may send on a ready connection: the pool answers or ignores them, never hangs up. */
const SURVIVABLE = [
  OpenStandardMiningChannel,
  OpenExtendedMiningChannel,
  UpdateChannel,
  CloseChannel,
  SubmitSharesStandard,
  SubmitSharesExtended,
  SetCustomMiningJob,
  RequestExtensions,
].map(asAny);
const SURVIVABLE_NAMES = new Set(SURVIVABLE.map((d) => d.name));
/** Messages only a server sends (or other sub-protocols): each one ends the connection. */
const NOT_FOR_A_POOL = ALL_MESSAGES.filter(
  (d) => !SURVIVABLE_NAMES.has(d.name) && d.name !== SetupConnection.name && d.extensionType === 0,
);

type Terminal = 'frame-too-large' | 'unknown-message' | 'malformed-frame' | 'unexpected-message' | 'frame-auth-failed';
const TERMINALS: Terminal[] = [
  'frame-too-large',
  'unknown-message',
  'malformed-frame',
  'unexpected-message',
  'frame-auth-failed',
];

/** Rolled extranonce bytes `hashaxe pool` gives an extended channel asking for fewer (its default). */
const POOL_EXTRANONCE_SIZE = 8;

class PoolFuzzer {
  readonly fz: FrameFuzzer;
  channelId = 0;
  /** This connection's channel is extended (shares carry an extranonce; the pool groups its channels). */
  extended = false;

  constructor(seed: number) {
    this.fz = new FrameFuzzer(new Prng(seed));
  }

  private share(): Uint8Array {
    const { fz } = this;
    // Now and then the other kind's share: refused by name, the connection stays.
    if (this.extended !== fz.chance(0.1)) {
      return encodeFrame(SubmitSharesExtended, {
        channelId: fz.chance(0.85) ? this.channelId : fz.uint(32),
        sequenceNumber: fz.rng.u32(),
        jobId: fz.chance(0.6) ? 1 : fz.uint(32),
        nonce: fz.rng.u32(),
        ntime: fz.chance(0.7) ? Math.floor(Date.now() / 1000) + fz.rng.int(60) - 30 : fz.uint(32),
        version: fz.chance(0.7) ? (0x20000000 | (fz.rng.u32() & 0x1fffffe0)) >>> 0 : fz.rng.u32(),
        extranonce: fz.rng.bytes(fz.chance(0.8) ? POOL_EXTRANONCE_SIZE : fz.rng.int(33)),
      });
    }
    return encodeFrame(SubmitSharesStandard, {
      channelId: fz.chance(0.85) ? this.channelId : fz.uint(32),
      sequenceNumber: fz.rng.u32(),
      jobId: fz.chance(0.6) ? 1 : fz.uint(32),
      nonce: fz.rng.u32(),
      ntime: fz.chance(0.7) ? Math.floor(Date.now() / 1000) + fz.rng.int(60) - 30 : fz.uint(32),
      version: fz.chance(0.7) ? (0x20000000 | (fz.rng.u32() & 0x1fffe000)) >>> 0 : fz.rng.u32(),
    });
  }

  /** A frame the pool must take without hanging up (and often answer). */
  survivable(): Uint8Array {
    const { fz } = this;
    const r = fz.rng.int(100);
    if (r < 40) return this.share();
    if (r < 50) {
      const v = fz.message(UpdateChannel);
      if (fz.chance(0.5)) v.channelId = this.channelId;
      return encodeFrame(UpdateChannel, v);
    }
    if (r < 60) {
      const v = fz.message(CloseChannel);
      if (v.channelId === this.channelId) v.channelId ^= 1;
      return encodeFrame(CloseChannel, v);
    }
    if (r < 75) {
      const def = fz.pick(SURVIVABLE.filter((d) => d.name !== CloseChannel.name));
      return fz.frame(def);
    }
    if (r < 85) {
      // An extension nobody negotiated (id 2..0x7fff), either channel bit: dropped unread.
      const payload = fz.rng.bytes(fz.rng.int(48));
      const ext = 2 + fz.rng.int(0x7ffe);
      const bit = fz.chance(0.5) ? 0x80 : 0;
      return Uint8Array.of(ext & 0xff, (ext >> 8) | bit, fz.rng.int(256), payload.length, 0, 0, ...payload);
    }
    // A mutated frame that still decodes as a survivable message (field values garbled, channel bit flipped).
    for (;;) {
      const base = r < 93 ? this.share() : fz.frame(fz.pick(SURVIVABLE));
      const m = fz.chance(0.2) ? Uint8Array.of(base[0], base[1] ^ 0x80, ...base.subarray(2)) : fz.mutatePayload(base);
      try {
        const d = decodeFrameBytes(m);
        if (SURVIVABLE_NAMES.has(d.def.name) && !(d.def.name === CloseChannel.name && this.closesOurs(d.value))) {
          return m;
        }
      } catch {
        // not decodable: draw another
      }
    }
  }

  private closesOurs(value: unknown): boolean {
    return (value as { channelId: number }).channelId === this.channelId;
  }

  /** The last frame of a connection: bytes that must end it with `terminal`'s reason. */
  terminal(kind: Terminal): { bytes: Uint8Array; encrypted: boolean; delivered: boolean } {
    const { fz } = this;
    switch (kind) {
      case 'frame-too-large': {
        // Announces up to 16 MiB and sends none of it: refused from the header alone.
        const len = MAX_PAYLOAD + 1 + fz.rng.int(0xffffff - MAX_PAYLOAD);
        return { bytes: Uint8Array.of(0, 0x80, 0x1f, len, len >>> 8, len >>> 16), encrypted: true, delivered: false };
      }
      case 'unknown-message': {
        let type: number;
        do type = fz.rng.int(256);
        while (messageDefFor(0, type) !== undefined);
        const payload = fz.rng.bytes(fz.rng.int(32));
        return {
          bytes: Uint8Array.of(0, 0, type, payload.length, 0, 0, ...payload),
          encrypted: true,
          delivered: true,
        };
      }
      case 'malformed-frame':
        for (;;) {
          // A client message cut short, its header saying so: the payload itself does not decode.
          const full = fz.frame(fz.pick(SURVIVABLE));
          const len = 6 + fz.rng.int(full.length - 6);
          const cut = full.slice(0, len);
          cut[3] = len - 6;
          cut[4] = (len - 6) >>> 8;
          cut[5] = (len - 6) >>> 16;
          try {
            decodeFrameBytes(cut);
          } catch {
            return { bytes: cut, encrypted: true, delivered: true };
          }
        }
      case 'unexpected-message':
        return { bytes: fz.frame(fz.pick(NOT_FOR_A_POOL)), encrypted: true, delivered: true };
      default:
        // Bytes that were never encrypted: the first header fails its tag.
        return { bytes: fz.rng.bytes(22 + fz.rng.int(64)), encrypted: false, delivered: false };
    }
  }
}

function yieldCpu(pid: number | undefined): void {
  try {
    if (pid !== undefined) setPriority(pid, Math.max(getPriority(pid), 10));
  } catch {
    // Not permitted here: run at normal priority.
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hang: ${what} within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

test('live pool fuzz: ≥ 100000 random and mutated frames into `hashaxe pool` over TCP + Noise; typed closes only', {
  timeout: 120_000,
}, async () => {
  // The real pool process: it fuzzes the CLI too, and runs on the other core while this process encrypts.
  const pool = startCliJson([
    'pool',
    '--listen',
    '127.0.0.1:0',
    '--json',
    '--stats-interval',
    '0',
    '--block-interval',
    '0',
    '--job-interval',
    '0',
  ]);
  // Several seconds of pure CPU on both sides: let the suite's latency-sensitive tests (ptys, timers) go first.
  yieldCpu(pool.child.pid);
  yieldCpu(process.pid);
  const fuzzer = new PoolFuzzer(0xc0ffee);
  const expectedCloses: Record<string, number> = {};
  let framesSent = 0;
  let framesDelivered = 0;
  let connections = 0;
  try {
    const ready = await pool.waitFor((l) => l.event === 'ready');
    const port = Number(ready.port);
    const key = hexToBytes(String(ready.authorityKeyHex));
    /** Connects and returns the pool's id for the new connection. */
    const open = async (): Promise<{ client: BareNoiseClient; id: number }> => {
      const client = await BareNoiseClient.connect(port, key);
      const index = connections++;
      const line = await pool.waitFor((l) => l.event === 'connection' && l.connectionId === index + 1, 15_000);
      return { client, id: Number(line.connectionId) };
    };
    const expectClose = async (client: BareNoiseClient, id: number, code: string, what: string): Promise<void> => {
      client.flush();
      const c = await pool.waitFor((l) => l.event === 'connectionClosed' && l.connectionId === id, 15_000);
      assert.equal(c.code, code, `${what}: ${String(c.message)}`);
      expectedCloses[code] = (expectedCloses[code] ?? 0) + 1;
      await within(client.closed, 15_000, `${what}: the socket to close`);
    };

    for (let n = 0; n < READY_CONNECTIONS; n++) {
      const { client, id } = await open();
      // Every other connection is a proxy-like client on extended channels (fuzzed opens join its group).
      fuzzer.extended = n % 2 === 1;
      client.frame(
        encodeFrame(SetupConnection, {
          protocol: 0,
          minVersion: 2,
          maxVersion: 2,
          flags: fuzzer.extended ? 0 : 1,
          endpointHost: '127.0.0.1',
          endpointPort: port,
          vendor: 'fuzz',
          hardwareVersion: '',
          firmware: '',
          deviceId: '',
        }),
      );
      const channelFields = {
        requestId: 1,
        userIdentity: `fuzz.${n}`,
        nominalHashRate: 1000,
        maxTarget: new Uint8Array(32).fill(0xff),
      };
      client.frame(
        fuzzer.extended
          ? encodeFrame(OpenExtendedMiningChannel, { ...channelFields, minExtranonceSize: 4 })
          : encodeFrame(OpenStandardMiningChannel, channelFields),
      );
      client.flush();
      const opened = await pool.waitFor((l) => l.event === 'channelOpened' && l.connectionId === id, 15_000);
      assert.equal(opened.kind, fuzzer.extended ? 'extended' : 'standard');
      fuzzer.channelId = Number(opened.channelId);
      framesSent += 2;
      framesDelivered += 2;
      for (let i = 0; i < FRAMES_PER_CONNECTION - 3; i++) {
        client.frame(fuzzer.survivable());
        if (i % 500 === 499) await client.drain();
      }
      framesSent += FRAMES_PER_CONNECTION - 3;
      framesDelivered += FRAMES_PER_CONNECTION - 3;
      const kind = TERMINALS[n % TERMINALS.length];
      const last = fuzzer.terminal(kind);
      if (last.encrypted) client.frame(last.bytes);
      else client.raw(last.bytes);
      framesSent++;
      if (last.delivered) framesDelivered++;
      await expectClose(client, id, kind, `connection ${n} (${kind})`);
    }

    // Before or during SetupConnection: anything else first, a refused protocol, a setup that does not decode.
    for (let n = 0; n < EARLY_CONNECTIONS; n++) {
      const { client, id } = await open();
      const { fz } = fuzzer;
      let code: string;
      if (n % 3 === 0) {
        client.frame(fz.frame(fz.pick(SURVIVABLE)));
        code = 'setup-required';
      } else if (n % 3 === 1) {
        const v = fz.message(SetupConnection);
        v.protocol = 1 + fz.rng.int(255);
        client.frame(encodeFrame(SetupConnection, v));
        code = 'setup-rejected';
      } else {
        // The last byte cut off (device_id loses a byte), the header saying so.
        const v = encodeFrame(SetupConnection, fz.message(SetupConnection));
        const cut = v.slice(0, -1);
        cut[3] = cut.length - 6;
        cut[4] = (cut.length - 6) >>> 8;
        client.frame(cut);
        code = 'malformed-frame';
      }
      framesSent++;
      framesDelivered++;
      await expectClose(client, id, code, `early connection ${n}`);
    }
    assert.ok(framesSent >= 100_000, `${framesSent} frames sent`);

    // The pool still serves: a fresh, well-behaved client mines on it.
    const miner = new Sv2MiningClient({
      url: String(ready.url),
      userIdentity: 'after.fuzz',
      nominalHashRateHs: 1000,
      device: { vendor: 'hashaxe-test', hardwareVersion: 'none', firmware: '0.0.0' },
      // No liveness probes: the pool's frame count is checked at the end.
      liveness: { frozenWithinMs: 0 },
    });
    const prev = nextEvent(miner, 'prevHash');
    const channel = await miner.connect();
    const job = (await prev).job!;
    const result = nextEvent(miner, 'shareResult');
    miner.submitShare({
      channelId: channel.channelId,
      jobId: job.jobId,
      nonce: findNonce(job, true),
      ntime: job.minNtime,
      version: job.version,
      extranonce: zeroExtranonce(job),
    });
    assert.equal(channel.kind, 'extended', 'a default client opens an extended channel');
    assert.equal((await result).kind, 'accepted');
    miner.close();
    await pool.waitFor((l) => l.event === 'connectionClosed' && l.connectionId === connections + 1, 15_000);
    expectedCloses['peer-closed'] = 1;

    // Stopped cleanly; every frame was decrypted and handled, each connection closed for its own reason.
    pool.child.kill('SIGTERM');
    assert.equal(await within(pool.exited, 15_000, 'the pool to stop'), 0, pool.stderr());
    assert.equal(pool.stderr(), '');
    const stats = pool.lines.at(-1)!;
    assert.equal(stats.event, 'stopped');
    assert.equal(stats.framesReceived, framesDelivered + 3, 'every delivered frame reached its session');
    const conns = stats.connections as { open: number; total: number; closedByCode: Record<string, number> };
    assert.deepEqual(conns.closedByCode, expectedCloses);
    assert.equal(conns.total, READY_CONNECTIONS + EARLY_CONNECTIONS + 1);
    const shares = stats.shares as { accepted: number; rejected: number; rejectedByCode: Record<string, number> };
    assert.ok(shares.rejected > 30_000, `${shares.rejected} fuzzed shares judged`);
    // Extended channels were judged too: shares of the wrong size or kind refused by name, the rest on their work.
    for (const code of [
      'bad-extranonce-size',
      'extended-share-on-standard-channel',
      'standard-share-on-extended-channel',
    ]) {
      assert.ok((shares.rejectedByCode[code] ?? 0) > 100, `${code}: ${shares.rejectedByCode[code]}`);
    }
    const kinds = (stats.channels as Array<{ kind: string }>).map((c) => c.kind);
    assert.ok(kinds.includes('extended') && kinds.includes('standard'));
    assert.ok(shares.accepted >= 1);
    assert.ok((stats.channels as unknown[]).length <= 64, 'statistics stay bounded');
  } finally {
    pool.child.kill('SIGKILL');
  }
});

// Keep the imports honest: server-only messages are among those the fuzzer sends as fatal frames.
assert.ok([NewMiningJob, SetTarget, SubmitSharesSuccess].every((d) => NOT_FOR_A_POOL.includes(asAny(d))));

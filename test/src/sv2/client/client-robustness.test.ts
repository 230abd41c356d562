/**
 * The client against pools that misbehave or are not who they claim to be: certificates checked for real,
 * bit flips on the wire, nonsense from the pool. Every failure is a typed error or a `disconnected` event
 * with a reason; the process (this test runner) keeps running and the next connection works.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { Sv2ClientError } from '../../../../src/sv2/client/mining-client.js';
import { ManualClock } from '../../../../src/sv2/clock.js';
import { NewMiningJob, SetNewPrevHash, SetTarget } from '../../../../src/sv2/messages/mining.js';
import { encodeAuthorityKey } from '../../../../src/sv2/noise/authority-key.js';
import { CertificateError, NoiseError } from '../../../../src/sv2/noise/errors.js';
import { createNoiseKeypair } from '../../../../src/sv2/noise/keys.js';
import type { LocalPool } from '../../../../src/sv2/pool/local-pool.js';
import { Sv2ConnectError } from '../../../../src/sv2/transport/connection.js';
import { BitFlipProxy, nextEvent, startTestPool, testClient } from '../../../support/sv2-net.js';
import { ScriptedPool } from '../../../support/sv2-scripted-pool.js';

let pool: LocalPool;

before(async () => {
  pool = await startTestPool({ sharesPerMinute: 60 }, 5);
});

after(async () => {
  await pool.close();
});

function certificateFailure(err: unknown, code: string): boolean {
  return (
    err instanceof Sv2ConnectError &&
    err.code === 'handshake-failed' &&
    err.cause instanceof CertificateError &&
    err.cause.code === code
  );
}

test('a wrong authority key fails the connection with certificate-signature, naming the key', async () => {
  const other = encodeAuthorityKey(createNoiseKeypair().xOnly);
  const client = testClient(pool, { authorityKey: other });
  await assert.rejects(
    client.connect(),
    (err: unknown) => certificateFailure(err, 'certificate-signature') && String(err).includes(other),
  );
  assert.equal(client.connected, false);
});

test('an expired certificate (device clock 2 h ahead) fails with certificate-expired and states the skew', async () => {
  const client = testClient(pool, { clock: new ManualClock(Date.now() + 7200_000) });
  await assert.rejects(client.connect(), (err: unknown) => {
    if (!certificateFailure(err, 'certificate-expired')) return false;
    const skew = ((err as Sv2ConnectError).cause as CertificateError).skewSeconds!;
    // Validity 3600 s, leeway 10 s: about 3590 s past the end.
    return skew > 3500 && skew < 3700 && /clock/.test((err as Error).message);
  });
});

test('a certificate from the future (device clock 1 h behind) fails with certificate-not-yet-valid; leeway is configurable', async () => {
  const behind = testClient(pool, { clock: new ManualClock(Date.now() - 3600_000) });
  await assert.rejects(behind.connect(), (err: unknown) => certificateFailure(err, 'certificate-not-yet-valid'));
  const tolerant = testClient(pool, { clock: new ManualClock(Date.now() - 3600_000), certificateLeewaySec: 4000 });
  await tolerant.connect();
  tolerant.close();
});

test('no authority key is a configuration error unless unauthenticated mode is asked for', async () => {
  const bare = pool.url.replace(/\/[^/]+$/, '');
  assert.throws(
    () => testClient(pool, { url: bare }),
    (e: unknown) => e instanceof Sv2ClientError && e.code === 'config',
  );
  const tofu = testClient(pool, { url: bare, allowUnauthenticated: true });
  const connected = nextEvent(tofu, 'connected');
  await tofu.connect();
  const c = await connected;
  assert.equal(c.authenticated, false);
  assert.equal(c.serverStaticKey.length, 32);
  tofu.close();
});

test('one flipped bit in either handshake message: typed handshake failure, pool unharmed', async () => {
  const proxy = new BitFlipProxy({ host: '127.0.0.1', port: pool.port });
  await proxy.start();
  try {
    const url = pool.url.replace(`:${pool.port}/`, `:${proxy.port}/`);
    const flips: Array<['up' | 'down', number]> = [
      ['up', 0],
      ['up', 40],
      ['up', 63],
      ['down', 0],
      ['down', 70],
      ['down', 143],
      ['down', 150],
      ['down', 233],
    ];
    for (const [direction, offset] of flips) {
      proxy.flip = { direction, offset, bit: offset % 8 };
      const client = testClient(pool, { url });
      await assert.rejects(
        client.connect(),
        (err: unknown) =>
          err instanceof Sv2ConnectError &&
          err.code === 'handshake-failed' &&
          err.cause instanceof NoiseError &&
          err.cause.code === 'handshake-auth-failed',
        `${direction} byte ${offset}`,
      );
    }
    // The pool is still serving.
    const ok = testClient(pool);
    await ok.connect();
    ok.close();
  } finally {
    await proxy.close();
  }
});

test('one flipped bit in a transport frame: the receiving side closes with frame-auth-failed', async () => {
  const proxy = new BitFlipProxy({ host: '127.0.0.1', port: pool.port });
  await proxy.start();
  try {
    const url = pool.url.replace(`:${pool.port}/`, `:${proxy.port}/`);
    // Pool → client: corrupt the next frame the pool sends (a new job).
    const client = testClient(pool, { url });
    const prev = nextEvent(client, 'prevHash');
    await client.connect();
    await prev;
    proxy.flip = { direction: 'down', offset: proxy.downBytes + 30, bit: 5 };
    const gone = nextEvent(client, 'disconnected');
    pool.newJobs();
    const d = await gone;
    assert.equal(d.code, 'frame-auth-failed');
    assert.ok(d.error instanceof NoiseError);

    // Client → pool: corrupt a share frame; the pool drops the connection with that reason.
    const closedBefore = pool.stats().connections.closedByCode['frame-auth-failed'] ?? 0;
    const client2 = testClient(pool, { url });
    const prev2 = nextEvent(client2, 'prevHash');
    const { channelId } = await client2.connect();
    const job = (await prev2).job!;
    proxy.flip = { direction: 'up', offset: proxy.upBytes + 3, bit: 0 };
    const closedAtPool = nextEvent(pool, 'connectionClosed', (c) => c.code === 'frame-auth-failed');
    const gone2 = nextEvent(client2, 'disconnected');
    client2.submitShare({ channelId, jobId: job.jobId, nonce: 1, ntime: job.minNtime, version: job.version });
    await closedAtPool;
    assert.equal((await gone2).code, 'peer-closed');
    assert.equal(pool.stats().connections.closedByCode['frame-auth-failed'], closedBefore + 1);
  } finally {
    await proxy.close();
  }
});

test('a pool naming a job we never saw, an early active job and a SetTarget for another channel: warnings, no crash', async () => {
  const fake = new ScriptedPool();
  await fake.start();
  try {
    const client = testClient(pool, { url: fake.url });
    const warnings: string[] = [];
    client.on('warning', (w) => warnings.push(w.message));
    const connecting = client.connect();
    await fake.acceptChannel(7, 4);
    await connecting;
    const root = new Uint8Array(32).fill(1);
    // Active job with no prev hash yet: ignored with a warning.
    fake.send(NewMiningJob, { channelId: 7, jobId: 1, minNtime: 100, version: 0x20000000, merkleRoot: root });
    // SetNewPrevHash naming job 42, never sent: the tip moves, there is no job to mine.
    const prev = nextEvent(client, 'prevHash');
    fake.send(SetNewPrevHash, {
      channelId: 7,
      jobId: 42,
      prevHash: new Uint8Array(32).fill(2),
      minNtime: 100,
      nbits: 0x1d00ffff,
    });
    const p = await prev;
    assert.equal(p.job, null);
    assert.equal(p.tip.jobId, 42);
    fake.send(SetTarget, { channelId: 99, maximumTarget: new Uint8Array(32) });
    // An active job now works on the new tip.
    const job = nextEvent(client, 'job', (j) => j.active !== null);
    fake.send(NewMiningJob, { channelId: 7, jobId: 43, minNtime: 150, version: 0x20000000, merkleRoot: root });
    const j = await job;
    assert.deepEqual(j.active!.prevHash, new Uint8Array(32).fill(2));
    assert.equal(j.active!.minNtime, 150);
    assert.equal(warnings.length, 3, warnings.join(' | '));
    assert.match(warnings[0], /before any SetNewPrevHash/);
    assert.match(warnings[1], /never received/);
    assert.match(warnings[2], /channel 99/);
    assert.ok(client.connected);
    client.close();
  } finally {
    await fake.close();
  }
});

test('a malformed message from the pool closes the connection with protocol-error', async () => {
  const fake = new ScriptedPool();
  await fake.start();
  try {
    const client = testClient(pool, { url: fake.url });
    const connecting = client.connect();
    await fake.acceptChannel(1, 0);
    await connecting;
    const gone = nextEvent(client, 'disconnected');
    // A NewMiningJob whose OPTION tag is 7.
    fake.connection!.sendPlaintextFrame(Uint8Array.of(0x00, 0x80, 0x15, 9, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7));
    const d = await gone;
    assert.equal(d.code, 'protocol-error');
    assert.match(d.reason, /OPTION/);
  } finally {
    await fake.close();
  }
});

test('a pool that refuses the channel or never answers: typed errors, not hangs', async () => {
  const fake = new ScriptedPool();
  await fake.start();
  try {
    const client = testClient(pool, { url: fake.url, setupTimeoutMs: 200 });
    await assert.rejects(
      client.connect(),
      (e: unknown) => e instanceof Sv2ClientError && e.code === 'timeout' && /SetupConnection/.test(e.message),
    );
  } finally {
    await fake.close();
  }
  const refusing = await startTestPool({ versionRolling: false }, 3);
  try {
    // The pool refuses REQUIRES_VERSION_ROLLING (unsupported-feature-flags); the client asks again without it.
    const client = testClient(refusing, { requireVersionRolling: true });
    const warned = nextEvent(client, 'warning', (w) => /refused REQUIRES_VERSION_ROLLING/.test(w.message));
    assert.deepEqual((await client.connect()).versionRolling, { allowed: false, mask: 0 });
    await warned;
    assert.equal(refusing.stats().connections.closedByCode['setup-rejected'], 1);
    client.close();
    // Without the requirement the same pool works at once and tells us versions are fixed.
    const fixed = testClient(refusing);
    const ch = await fixed.connect();
    assert.deepEqual(ch.versionRolling, { allowed: false, mask: 0 });
    fixed.close();
  } finally {
    await refusing.close();
  }
  const client = testClient(pool, { nominalHashRateHs: 1, url: pool.url });
  await client.connect();
  client.close();
});

test('connecting to a closed port or a non-SV2 endpoint fails with a clear typed error', async () => {
  const dead = testClient(pool, { url: pool.url.replace(`:${pool.port}/`, ':1/') });
  await assert.rejects(dead.connect(), (e: unknown) => e instanceof Sv2ConnectError && e.code === 'connect-failed');
  // Something that is not an SV2 pool: answers with a short text and hangs up.
  // It reads what it is sent (as a real server does), so it sees the client hang up and the server can close.
  const http = createServer((s) => {
    s.resume();
    s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  try {
    const port = (http.address() as { port: number }).port;
    const client = testClient(pool, { url: pool.url.replace(`:${pool.port}/`, `:${port}/`) });
    await assert.rejects(
      client.connect(),
      (e: unknown) =>
        e instanceof Sv2ConnectError && e.code === 'closed-during-handshake' && /SV1|plaintext/.test(e.message),
    );
  } finally {
    await new Promise<void>((r) => http.close(() => r()));
  }
});

test('close() while the pool has not answered the handshake: connect() rejects at once as aborted and the socket is closed', async () => {
  // Accepts TCP, reads the client's handshake and never answers it.
  const sockets: Array<{ closed: boolean; socket: Socket }> = [];
  const mute = createServer((s) => {
    const seen = { closed: false, socket: s };
    sockets.push(seen);
    s.on('error', () => undefined);
    s.on('close', () => {
      seen.closed = true;
    });
    s.resume();
  });
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  try {
    const port = (mute.address() as { port: number }).port;
    // A handshake timeout far beyond the test's own: only the cancel can end this connect.
    const client = testClient(pool, {
      url: pool.url.replace(`:${pool.port}/`, `:${port}/`),
      handshakeTimeoutMs: 600_000,
    });
    const connecting = client.connect();
    await until(() => sockets.length > 0, 'the client connected');
    client.close('giving up');
    // A hang guard only: without the cancel, connect() would wait out the 600 s handshake timeout.
    let guard: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      guard = setTimeout(() => reject(new Error('connect() still pending 5 s after close()')), 5000);
    });
    try {
      await assert.rejects(
        Promise.race([connecting, hung]),
        (e: unknown) => e instanceof Sv2ConnectError && e.code === 'aborted',
      );
    } finally {
      clearTimeout(guard);
    }
    assert.equal(client.connected, false);
    await until(() => sockets[0].closed, 'the server saw the socket close');
    assert.equal(sockets.length, 1);
  } finally {
    // When the cancel is broken, this ends the client's socket so the test fails instead of hanging.
    for (const s of sockets) s.socket.destroy();
    await new Promise<void>((r) => mute.close(() => r()));
  }
});

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

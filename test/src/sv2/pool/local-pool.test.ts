/**
 * The local pool as the miner daemon embeds it: started in-process on port 0, its URL carrying the authority
 * key, blocks driven by its own timer, statistics that stay bounded, and a shutdown that never waits on a
 * stuck client.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { parseSv2Url } from '../../../../src/sv2/client/url.js';
import { encodeFrame } from '../../../../src/sv2/codec/frame.js';
import { RequestExtensions } from '../../../../src/sv2/messages/extensions.js';
import { LocalPool, MAX_CLOSED_CHANNEL_STATS } from '../../../../src/sv2/pool/local-pool.js';
import { bytesToHex } from '../../../../src/util/hex.js';
import { BareNoiseClient } from '../../../support/sv2-fuzz.js';
import { findNonce, nextEvent, startTestPool, testClient } from '../../../support/sv2-net.js';

test('embedded use: port 0, a URL with the authority key, new blocks on its own timer, share statistics', async () => {
  const pool = await LocalPool.start({ port: 0, prevHashIntervalMs: 100, jobIntervalMs: 0, sharesPerMinute: 60 });
  try {
    assert.ok(pool.port > 0);
    const endpoint = parseSv2Url(pool.url);
    assert.equal(endpoint.host, '127.0.0.1');
    assert.equal(endpoint.port, pool.port);
    assert.equal(bytesToHex(endpoint.authorityKey!), bytesToHex(pool.authorityPublicKey));
    assert.equal(endpoint.authorityKeyText, pool.authorityKeyText);

    // No liveness probes: the frames the pool receives are counted below.
    const client = testClient(pool, { liveness: { frozenWithinMs: 0 } });
    const seen: string[] = [];
    client.on('prevHash', (p) => seen.push(bytesToHex(p.tip.prevHash)));
    const first = nextEvent(client, 'prevHash');
    const channel = await client.connect();
    const job = (await first).job!;
    const result = nextEvent(client, 'shareResult');
    client.submitShare({
      channelId: channel.channelId,
      jobId: job.jobId,
      nonce: findNonce(job, true),
      ntime: job.minNtime,
      version: job.version,
    });
    const r = await result;
    // The timer may start a new block before the answer: then the share is stale, which is just as counted.
    const expectAccepted = r.kind === 'accepted' ? 1 : 0;
    // Two more blocks from the timer alone.
    await nextEvent(client, 'prevHash', () => seen.length >= 3);
    assert.equal(new Set(seen).size, seen.length, 'every block has a new previous hash');
    const stats = pool.stats();
    assert.ok(stats.chain.blocks >= 2, `blocks ${stats.chain.blocks}`);
    assert.equal(stats.shares.accepted, expectAccepted);
    assert.equal(stats.shares.accepted + stats.shares.rejected, 1);
    assert.equal(stats.framesReceived, 3, 'SetupConnection, OpenStandardMiningChannel, SubmitSharesStandard');
    assert.equal(stats.channels[0].open, true);
    client.close();
  } finally {
    await pool.close();
  }
});

test('a client opening and closing channels forever does not grow the pool statistics', async () => {
  const pool = await startTestPool({}, 21);
  try {
    const client = testClient(pool);
    await client.connect();
    const rounds = MAX_CLOSED_CHANNEL_STATS + 40;
    for (let i = 0; i < rounds; i++) {
      const ch = await client.openStandardChannel(`round.${i}`, 1000);
      client.closeChannel(ch.channelId);
    }
    // One more round trip so the last CloseChannel has been processed.
    await client.openStandardChannel('last', 1000);
    const stats = pool.stats();
    const open = stats.channels.filter((c) => c.open);
    const closed = stats.channels.filter((c) => !c.open);
    assert.equal(open.length, 2, 'the first channel and the last one');
    assert.equal(closed.length, MAX_CLOSED_CHANNEL_STATS);
    assert.equal(closed.at(-1)!.userIdentity, `round.${rounds - 1}`, 'the most recent closed ones are kept');
    client.close();
    await nextEvent(pool, 'connectionClosed');
    const after = pool.stats();
    assert.equal(after.channels.filter((c) => c.open).length, 0);
    assert.equal(after.channels.length, MAX_CLOSED_CHANNEL_STATS);
  } finally {
    await pool.close();
  }
});

test('duplicate memory is capped pool-wide: two channels flooding shares hold at most the cap; a closed channel gives its share back', async () => {
  const pool = await startTestPool({ sharesPerMinute: 60, maxSeenShares: 8 });
  const clients = [testClient(pool), testClient(pool)];
  try {
    const submit = async (
      client: (typeof clients)[number],
      share: { channelId: number; jobId: number; nonce: number; ntime: number; version: number },
    ): Promise<string> => {
      const r = nextEvent(client, 'shareResult');
      client.submitShare(share);
      const x = await r;
      return x.kind === 'rejected' ? x.errorCode : x.kind;
    };
    const latest: Array<Parameters<typeof submit>[1]> = [];
    for (const client of clients) {
      const first = nextEvent(client, 'prevHash');
      const { channelId } = await client.connect();
      const job = (await first).job!;
      let nonce = -1;
      for (let i = 0; i < 10; i++) {
        nonce = findNonce(job, true, nonce + 1);
        const share = { channelId, jobId: job.jobId, nonce, ntime: job.minNtime, version: job.version };
        assert.equal(await submit(client, share), 'accepted');
        latest[clients.indexOf(client)] = share;
      }
    }
    const held = pool.stats().seenShares;
    assert.equal(held.max, 8);
    assert.ok(held.held <= 9, `${held.held} shares held for a cap of 8 (one each channel may keep over it)`);
    assert.ok(held.held >= 7, `${held.held}: the cap is used, not emptied`);
    assert.equal(await submit(clients[0], latest[0]), 'duplicate-share', 'recent duplicates are still caught');
    assert.equal(await submit(clients[1], latest[1]), 'duplicate-share');
    const before = pool.stats().seenShares.held;
    const closed = nextEvent(pool, 'connectionClosed');
    clients[1].close();
    await closed;
    assert.ok(pool.stats().seenShares.held < before, 'the closed channel released its memory');
  } finally {
    for (const c of clients) c.close();
    await pool.close();
  }
});

test('close() ends connections still in the handshake instead of waiting for their timeout', {
  timeout: 5000,
}, async () => {
  const pool = await startTestPool({ handshakeTimeoutMs: 60_000 }, 22);
  const socket = connect({ host: '127.0.0.1', port: pool.port });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(new Uint8Array(10)); // a third of an initiator message, then nothing
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await pool.close();
  await closed;
  assert.equal(pool.stats().connections.open, 0);
});

test('extension negotiation before SetupConnection is refused like any other message (setup-required)', async () => {
  const pool = await startTestPool({}, 23);
  try {
    const client = await BareNoiseClient.connect(pool.port, pool.authorityPublicKey);
    const closed = nextEvent(pool, 'connectionClosed');
    client.frame(encodeFrame(RequestExtensions, { requestId: 1, requestedExtensions: [2] }));
    client.flush();
    const c = await closed;
    assert.equal(c.code, 'setup-required');
    assert.match(c.message, /RequestExtensions before SetupConnection/);
    await client.closed;
  } finally {
    await pool.close();
  }
});

import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { test } from 'node:test';
import { listenTcp, parseTcpUrl, TcpTransport } from '../../../drivers/transport/tcp-transport.js';
import { TransportError } from '../../../drivers/transport/transport.js';
import { waitUntil } from '../../support/bm13xx.js';

test('tcp: a ser2net-style listener and a client exchange bytes both ways over a real socket', async () => {
  const received: number[] = [];
  let server: TcpTransport | null = null;
  const listener = await listenTcp('tcp://127.0.0.1:0', (t) => {
    server = t;
    t.onData((c) => {
      received.push(...c);
      t.write(Uint8Array.from(c, (x) => x ^ 0xff));
    });
  });
  assert.match(listener.url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
  const client = await TcpTransport.connect(listener.url);
  const echoed: number[] = [];
  client.onData((c) => echoed.push(...c));
  client.write(Uint8Array.of(0x55, 0xaa, 0x52));
  await client.drain();
  await waitUntil(() => echoed.length === 3, 2000, 'echo');
  assert.deepEqual(received, [0x55, 0xaa, 0x52]);
  assert.deepEqual(echoed, [0xaa, 0x55, 0xad]);
  assert.equal(client.canSetBaud, false);
  await client.setBaudRate(1_000_000);
  assert.equal(client.baudRate, 1_000_000);
  await client.close();
  await waitUntil(() => server?.closed === true, 2000, 'server side closed');
  await listener.close();
});

test('tcp: one client at a time; a second one is told and disconnected', async () => {
  const listener = await listenTcp('tcp://127.0.0.1:0', () => {});
  const first = await TcpTransport.connect(listener.url);
  const { port } = parseTcpUrl(listener.url);
  const text = await new Promise<string>((resolve) => {
    let s = '';
    const sock = createConnection(port, '127.0.0.1');
    sock.on('data', (d) => {
      s += d.toString();
    });
    sock.on('close', () => resolve(s));
  });
  assert.match(text, /another client is connected/);
  await first.close();
  await listener.close();
});

test('tcp: bad URLs and refused connections are TransportErrors naming the endpoint', async () => {
  assert.throws(() => parseTcpUrl('127.0.0.1:3333'), /expected tcp:\/\/host:port/);
  assert.throws(() => parseTcpUrl('tcp://host:70000'), /above 65535/);
  assert.deepEqual(parseTcpUrl('tcp://[::1]:4000'), { host: '::1', port: 4000 });
  const listener = await listenTcp('tcp://127.0.0.1:0', () => {});
  const url = listener.url;
  await listener.close();
  await assert.rejects(
    TcpTransport.connect(url),
    (e: unknown) => e instanceof TransportError && e.message.includes(url),
  );
});

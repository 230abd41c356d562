/**
 * A pool that says exactly what a test scripts: real TCP and real Noise (responder side), but every frame is
 * sent by hand. For client behaviour against misbehaving pools.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Sv2Frame } from '../../src/sv2/codec/frame.js';
import type { MessageDef } from '../../src/sv2/codec/message.js';
import { SetupConnectionSuccess } from '../../src/sv2/messages/common.js';
import { OpenStandardMiningChannelSuccess } from '../../src/sv2/messages/mining.js';
import { encodeAuthorityKey } from '../../src/sv2/noise/authority-key.js';
import { signCertificate } from '../../src/sv2/noise/certificate.js';
import { createNoiseKeypair } from '../../src/sv2/noise/keys.js';
import { Sv2Connection } from '../../src/sv2/transport/connection.js';

export class ScriptedPool {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  readonly authority = createNoiseKeypair();
  readonly staticKey = createNoiseKeypair();
  connection: Sv2Connection | null = null;
  readonly received: Sv2Frame[] = [];
  port = 0;
  private waiters: Array<() => void> = [];

  get url(): string {
    return `sv2+tcp://127.0.0.1:${this.port}/${encodeAuthorityKey(this.authority.xOnly)}`;
  }

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      Sv2Connection.accept(socket, {
        responder: {
          staticKey: this.staticKey,
          certificate: () => {
            const now = Math.floor(Date.now() / 1000);
            return signCertificate(
              { validFrom: now, notValidAfter: now + 3600 },
              this.staticKey.xOnly,
              this.authority.secret,
            );
          },
        },
      }).then(
        (connection) => {
          this.connection = connection;
          connection.on('frame', (f) => {
            this.received.push(f);
            for (const w of this.waiters.splice(0)) w();
          });
          connection.start();
        },
        () => {},
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  /** Resolves once `n` frames have arrived from the client. */
  async frames(n: number): Promise<Sv2Frame[]> {
    while (this.received.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.received;
  }

  send<V>(def: MessageDef<V>, value: V): void {
    this.connection!.send(def, value);
  }

  /**
   * Answers a client's SetupConnection and its first OpenStandardMiningChannel (request id 1) with success:
   * channel `channelId`, the easiest target, an extranonce prefix of `prefixBytes` zero bytes.
   */
  async acceptChannel(channelId: number, prefixBytes: number): Promise<void> {
    await this.frames(1);
    this.send(SetupConnectionSuccess, { usedVersion: 2, flags: 0 });
    await this.frames(2);
    this.send(OpenStandardMiningChannelSuccess, {
      requestId: 1,
      channelId,
      target: new Uint8Array(32).fill(0xff),
      extranoncePrefix: new Uint8Array(prefixBytes),
      groupChannelId: 0,
    });
  }

  async close(): Promise<void> {
    this.connection?.close('test-done', 'test done');
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

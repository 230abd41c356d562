import { createServer, type Server, Socket } from 'node:net';
import { TransportBase, TransportError } from './transport.js';

/**
 * A byte stream over TCP, the way ser2net exposes a serial port (`tcp://host:port`, raw mode). Plain TCP carries
 * no line settings, so `setBaudRate` only records the value: a chain behind ser2net stays at the rate ser2net was
 * configured for, and hashaxe's own emulator does not need one. `canSetBaud` is false so callers can tell.
 */
export class TcpTransport extends TransportBase {
  readonly canSetBaud = false;

  constructor(
    private readonly socket: Socket,
    readonly description: string,
    baudRate = 115_200,
  ) {
    super(baudRate);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.deliver(chunk));
    socket.on('error', (err) => this.finish(new TransportError(`${description}: ${err.message}`)));
    socket.on('close', () => this.finish());
  }

  /** Connects to `tcp://host:port`. */
  static connect(url: string, timeoutMs = 5000): Promise<TcpTransport> {
    const { host, port } = parseTcpUrl(url);
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new TransportError(`${url}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new TransportError(`cannot connect to ${url}: ${err.message}`));
      });
      socket.connect(port, host, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new TcpTransport(socket, `tcp://${host}:${port}`));
      });
    });
  }

  write(bytes: Uint8Array): void {
    this.assertOpen();
    this.socket.write(Buffer.from(bytes));
  }

  async drain(): Promise<void> {
    if (this.socket.writableLength === 0 || this.closed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  async setBaudRate(baud: number): Promise<void> {
    this.assertOpen();
    this.baud = baud;
  }

  async flushInput(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 200).unref();
    });
    this.finish();
  }
}

/** Parses `tcp://host:port`; throws TransportError naming what is wrong. */
export function parseTcpUrl(url: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url.trim());
  if (m === null) throw new TransportError(`expected tcp://host:port, got ${JSON.stringify(url)}`);
  const port = Number(m[2]);
  if (port > 65535) throw new TransportError(`port ${port} is above 65535 in ${url}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** A listening ser2net-style endpoint. One client at a time, as ser2net does: a second connection is refused. */
export interface TcpListener {
  /** The URL clients connect to (with the real port when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

export function listenTcp(url: string, onConnection: (transport: TcpTransport) => void): Promise<TcpListener> {
  const { host, port } = parseTcpUrl(url);
  let current: TcpTransport | null = null;
  const server: Server = createServer((socket) => {
    if (current !== null && !current.closed) {
      socket.end('hashaxe emulator: another client is connected\r\n');
      return;
    }
    const t = new TcpTransport(socket, `tcp://${socket.remoteAddress}:${socket.remotePort}`);
    current = t;
    onConnection(t);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new TransportError(`cannot listen on ${url}: ${err.message}`)));
    server.listen(port, host, () => {
      const address = server.address();
      const actualPort = typeof address === 'object' && address !== null ? address.port : port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `tcp://${shownHost}:${actualPort}`,
        close: async () => {
          if (current !== null) await current.close();
          await new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}

import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';

/**
 * A loopback address no test listens on. "Nothing listens here" must not be a 127.0.0.1 port another listener
 * released: with two test files running at once, the next server started on port 0 can be given that very port.
 */
export const NOBODY_HOST = '127.0.0.2';

/** A port on NOBODY_HOST with nothing behind it: a connection there is refused (ECONNREFUSED). */
export async function refusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, NOBODY_HOST, resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A TCP proxy that can freeze like a SIGSTOPped server: `freeze()` stops reading from both sides of every
 * connection and forwarding anything, while every socket stays open (the kernel keeps accepting and acknowledging
 * the client's bytes, as it does for a stopped process). `thaw()` carries on where it stopped.
 */
export class FreezableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private frozen = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((down) => {
      const up = netConnect(this.target);
      for (const s of [down, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
        if (this.frozen) s.pause();
      }
      const pipe = (from: Socket, to: Socket): void => {
        from.on('data', (chunk: Buffer) => to.write(chunk));
        from.on('close', () => to.destroy());
      };
      pipe(down, up);
      pipe(up, down);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  freeze(): void {
    this.frozen = true;
    for (const s of this.sockets) s.pause();
  }

  thaw(): void {
    this.frozen = false;
    for (const s of this.sockets) s.resume();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * A Stratum V1 "pool" that says exactly what a test scripts, over real TCP on 127.0.0.1: every line the client
 * sends is recorded (parsed), and the test answers by hand — in any order, in any shape, or with garbage.
 * For client behaviour against real pools' habits and against broken ones. `answerHandshake` plays a normal
 * pool's side of configure / subscribe / authorize in a chosen quirk profile's shape.
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface ReceivedLine {
  raw: string;
  id: number | string | null;
  method: string | null;
  params: unknown[];
}

/** Lines a test pool sends for a few common situations. */
export const lines = {
  result: (id: number | string, result: unknown): string =>
    `{"id":${JSON.stringify(id)},"error":null,"result":${JSON.stringify(result)}}`,
  notification: (method: string, params: unknown[]): string =>
    `{"id":null,"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`,
};

/** A job on an easy chain: prev hash, coinbase halves and no branches, all made up but well formed. */
export function notifyParams(jobId: string, clean: boolean, prevhash = 'ab'.repeat(32)): unknown[] {
  return [
    jobId,
    prevhash,
    '02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff17016a5075626c69632d506f6f6c0000',
    'ffffffff0100f2052a01000000160014751e76e8199196d454941c45d1b3a323f1433bd600000000',
    [],
    '20000000',
    '207fffff',
    '6b16ceb8',
    clean,
  ];
}

export class ScriptedV1Pool {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** The newest connection. */
  socket: Socket | null = null;
  connections = 0;
  readonly received: ReceivedLine[] = [];
  /** Raw chunks as they arrived on the newest connection (pipelining checks). */
  readonly chunks: string[] = [];
  port = 0;
  private buffer = '';
  private waiters: Array<() => void> = [];
  /** When set, every new connection is answered by `answerHandshake` with these options. */
  autoHandshake: Parameters<ScriptedV1Pool['answerHandshake']>[0] | null = null;
  private connectWaiters: Array<() => void> = [];

  get url(): string {
    return `stratum+tcp://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      this.socket = socket;
      this.connections++;
      this.buffer = '';
      this.chunks.length = 0;
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      socket.on('data', (d: Buffer) => {
        if (socket !== this.socket) return;
        const text = d.toString('utf8');
        this.chunks.push(text);
        this.buffer += text;
        for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
          const raw = this.buffer.slice(0, nl);
          this.buffer = this.buffer.slice(nl + 1);
          const o = JSON.parse(raw) as { id?: number | string | null; method?: string; params?: unknown[] };
          this.received.push({ raw, id: o.id ?? null, method: o.method ?? null, params: o.params ?? [] });
        }
        for (const w of this.waiters.splice(0)) w();
      });
      for (const w of this.connectWaiters.splice(0)) w();
      if (this.autoHandshake !== null) {
        void this.answerHandshake({ ...this.autoHandshake, from: this.received.length }).catch(() => undefined);
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
  }

  /** Resolves once `n` connections were made. */
  async connected(n = 1): Promise<void> {
    while (this.connections < n) await new Promise<void>((r) => this.connectWaiters.push(r));
  }

  /** Resolves with the first received line (from index `from`) that has `method`. */
  async request(method: string, from = 0, timeoutMs = 5000): Promise<ReceivedLine> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find((l) => l.method === method);
      if (found) return found;
      if (Date.now() > until) throw new Error(`no ${method} from the client within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends one line (a `\n` is added) or raw bytes as they are. */
  send(line: string): void {
    this.socket?.write(`${line}\n`);
  }

  sendRaw(data: string | Uint8Array): void {
    this.socket?.write(data);
  }

  /**
   * Plays a pool's handshake: answers configure (mask or refusal), subscribe (extranonce1, size), authorize,
   * then sends a difficulty and a first job. Returns the ids the client used.
   */
  async answerHandshake(
    options: {
      mask?: string | null;
      extranonce1?: string;
      extranonce2Size?: number;
      difficulty?: number;
      firstJob?: unknown[] | null;
      from?: number;
    } = {},
  ): Promise<{ configure: ReceivedLine; subscribe: ReceivedLine; authorize: ReceivedLine }> {
    const from = options.from ?? 0;
    const configure = await this.request('mining.configure', from);
    const subscribe = await this.request('mining.subscribe', from);
    const authorize = await this.request('mining.authorize', from);
    const mask = options.mask === undefined ? '1fffe000' : options.mask;
    this.send(
      lines.result(
        configure.id!,
        mask === null ? { 'version-rolling': false } : { 'version-rolling': true, 'version-rolling.mask': mask },
      ),
    );
    this.send(
      lines.result(subscribe.id!, [
        [['mining.notify', 'cafe']],
        options.extranonce1 ?? 'ce99b76d',
        options.extranonce2Size ?? 4,
      ]),
    );
    this.send(lines.result(authorize.id!, true));
    this.send(lines.notification('mining.set_difficulty', [options.difficulty ?? 0.001]));
    if (options.firstJob !== null)
      this.send(lines.notification('mining.notify', options.firstJob ?? notifyParams('1', false)));
    return { configure, subscribe, authorize };
  }

  /** Drops the current connection. */
  drop(): void {
    this.socket?.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

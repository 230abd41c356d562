/**
 * A bare V1 connection for tests of the pool side: lines out as written, every line in parsed and kept, so a test
 * can send what no well-behaved client would (a wrong extranonce2 length, version bits outside the mask).
 */
import { connect, type Socket } from 'node:net';

export class RawV1Client {
  readonly lines: Array<Record<string, unknown>> = [];
  closed = false;
  private buffer = '';
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        this.lines.push(JSON.parse(this.buffer.slice(0, nl)) as Record<string, unknown>);
        this.buffer = this.buffer.slice(nl + 1);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<RawV1Client> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawV1Client(socket);
  }

  send(value: unknown): void {
    this.socket.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
  }

  /** The first line (from `from`) that `accept` takes; rejects after `timeoutMs` or when the pool closes. */
  async next(
    accept: (line: Record<string, unknown>) => boolean,
    from = 0,
    timeoutMs = 3000,
  ): Promise<Record<string, unknown>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find(accept);
      if (found) return found;
      if (this.closed) throw new Error('the pool closed the connection');
      if (Date.now() > until) throw new Error(`no matching line within ${timeoutMs} ms: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The answer to request `id`. */
  answer(id: number): Promise<Record<string, unknown>> {
    return this.next((l) => l.id === id && !('method' in l));
  }

  close(): void {
    this.socket.destroy();
  }
}

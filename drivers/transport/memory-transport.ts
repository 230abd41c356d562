import { TransportBase } from './transport.js';

/**
 * Two transports wired to each other in memory: what one writes, the other receives on a later turn of the event
 * loop (as from a real line, never re-entrantly). For unit tests and for running the emulator in-process.
 */
export class MemoryTransport extends TransportBase {
  readonly canSetBaud = false;
  peer: MemoryTransport | null = null;
  private outbox: Uint8Array[] = [];
  private scheduled = false;
  /** Total bytes written, for tests. */
  bytesWritten = 0;

  constructor(
    readonly description = 'memory',
    baudRate = 115_200,
  ) {
    super(baudRate);
  }

  write(bytes: Uint8Array): void {
    this.assertOpen();
    this.outbox.push(bytes.slice());
    this.bytesWritten += bytes.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushOutbox());
    }
  }

  private flushOutbox(): void {
    this.scheduled = false;
    const parts = this.outbox;
    this.outbox = [];
    const peer = this.peer;
    if (peer === null || peer.closed || this.closed) return;
    if (parts.length === 1) {
      peer.receive(parts[0]);
      return;
    }
    let n = 0;
    for (const p of parts) n += p.length;
    const all = new Uint8Array(n);
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    peer.receive(all);
  }

  /** Bytes arriving from the peer. */
  receive(chunk: Uint8Array): void {
    if (!this.closed) this.deliver(chunk);
  }

  async drain(): Promise<void> {
    while (this.scheduled) await new Promise((r) => setImmediate(r));
  }

  async setBaudRate(baud: number): Promise<void> {
    this.assertOpen();
    this.baud = baud;
  }

  async flushInput(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.finish();
    const peer = this.peer;
    this.peer = null;
    if (peer !== null) {
      peer.peer = null;
      peer.finish(new Error('the other end closed'));
    }
  }
}

/** A connected pair: `[host, device]`. */
export function createMemoryTransportPair(baudRate = 115_200): [MemoryTransport, MemoryTransport] {
  const a = new MemoryTransport('memory:host', baudRate);
  const b = new MemoryTransport('memory:device', baudRate);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

import { realpathSync } from 'node:fs';
import type { SerialPort as SerialPortType } from 'serialport';
import { TransportBase, TransportError } from './transport.js';

/**
 * How long a pseudo-terminal gets for the far end (socat) to read what was written before its speed is changed.
 * On a pty `tcdrain` returns at once and the binding's `tcflush(TCIOFLUSH)` throws away whatever socat has not
 * read yet; on a real UART `tcdrain` waits for the last stop bit and nothing is lost.
 */
const PTY_SETTLE_MS = 20;

/** True for a Unix98 pseudo-terminal (what socat and the emulator hand out), also behind a symlink. */
function isPseudoTerminal(path: string): boolean {
  try {
    return /^\/dev\/pts\/\d+$/.test(realpathSync(path));
  } catch {
    return false;
  }
}

/**
 * A real UART or pseudo-terminal through the `serialport` package (its native Linux binding). 8N1, no flow control.
 * DTR/RTS are never touched and `hupcl` is off: ptys reject those ioctls, and a BM13xx chain has no modem lines.
 */
export class SerialTransport extends TransportBase {
  readonly canSetBaud = true;
  readonly description: string;
  /** A pty (socat, the emulator) rather than a UART: see PTY_SETTLE_MS. */
  readonly pseudoTerminal: boolean;

  private constructor(
    private readonly port: SerialPortType,
    path: string,
    baudRate: number,
  ) {
    super(baudRate);
    this.description = path;
    this.pseudoTerminal = isPseudoTerminal(path);
    port.on('data', (chunk: Buffer) => this.deliver(chunk));
    port.on('error', (err: Error) => this.finish(new TransportError(`${path}: ${err.message}`)));
    port.on('close', (err?: Error | null) =>
      this.finish(err ? new TransportError(`${path}: ${err.message}`) : undefined),
    );
  }

  /** Opens `path` at `baudRate` (BM13xx chips power up at 115,200). */
  static async open(path: string, baudRate = 115_200): Promise<SerialTransport> {
    // Loaded lazily: the native binding is only needed where a serial line is actually opened.
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path, baudRate, autoOpen: false, hupcl: false, lock: true });
    await new Promise<void>((resolve, reject) => {
      port.open((err) =>
        err ? reject(new TransportError(`cannot open serial port ${path}: ${err.message}`)) : resolve(),
      );
    });
    return new SerialTransport(port, path, baudRate);
  }

  write(bytes: Uint8Array): void {
    this.assertOpen();
    // Buffer.from copies a typed array's bytes, which is what the Transport contract promises.
    this.port.write(Buffer.from(bytes));
  }

  drain(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.drain((err) => (err ? reject(new TransportError(`${this.description}: ${err.message}`)) : resolve()));
    });
  }

  get baudChangeMayDropOutput(): boolean {
    return this.pseudoTerminal;
  }

  async setBaudRate(baud: number): Promise<void> {
    this.assertOpen();
    // The binding flushes both queues when it sets a speed; on a pty give socat time to take what is queued.
    if (this.pseudoTerminal) await new Promise((r) => setTimeout(r, PTY_SETTLE_MS));
    await new Promise<void>((resolve, reject) => {
      this.port.update({ baudRate: baud }, (err) =>
        err ? reject(new TransportError(`${this.description}: cannot set ${baud} baud: ${err.message}`)) : resolve(),
      );
    });
    this.baud = baud;
  }

  /** The baud the kernel reports for the line (to check that a switch really happened). */
  async kernelBaudRate(): Promise<number> {
    const binding = this.port.port;
    if (binding === undefined) throw new TransportError(`${this.description} is not open`);
    return (await binding.getBaudRate()).baudRate;
  }

  /**
   * Discards unread input (`tcflush`, which also drops unsent output: call it after `drain`). On a pty it does
   * nothing: no bytes arrive mis-clocked there, and the flush would destroy output socat has not read yet.
   */
  flushInput(): Promise<void> {
    if (this.pseudoTerminal) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.port.flush((err) => (err ? reject(new TransportError(`${this.description}: ${err.message}`)) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.port.isOpen) {
      this.finish();
      return;
    }
    await new Promise<void>((resolve) => {
      this.port.close(() => resolve());
    });
    this.finish();
  }
}

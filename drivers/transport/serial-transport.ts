import type { SerialPort as SerialPortType } from 'serialport';
import { TransportBase, TransportError } from './transport.js';

/**
 * A real UART or pseudo-terminal through the `serialport` package (its native Linux binding). 8N1, no flow control.
 * DTR/RTS are never touched and `hupcl` is off: ptys reject those ioctls, and a BM13xx chain has no modem lines.
 */
export class SerialTransport extends TransportBase {
  readonly canSetBaud = true;
  readonly description: string;

  private constructor(
    private readonly port: SerialPortType,
    path: string,
    baudRate: number,
  ) {
    super(baudRate);
    this.description = path;
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

  async setBaudRate(baud: number): Promise<void> {
    this.assertOpen();
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

  flushInput(): Promise<void> {
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

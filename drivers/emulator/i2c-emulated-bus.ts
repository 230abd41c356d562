import { type I2CBus, I2cError, type I2cOperation } from '../i2c/i2c-bus.js';

/**
 * A device on the emulated I2C bus, modelled at the level of bus transactions: a write carries the command
 * (register pointer) byte and any data bytes; a read is the combined "write command, repeated start, read N
 * bytes" transfer. Byte order is the device's own (a model returns bytes as they would appear on the wire).
 */
export interface I2cDeviceModel {
  readonly part: string;
  write(command: number, data: Uint8Array): void;
  read(command: number, length: number): Uint8Array;
}

/** Thrown by a model to NACK a transfer (unknown register, invalid command). */
export class I2cModelNack extends Error {
  override readonly name = 'I2cModelNack';
}

export interface I2cWriteRecord {
  address: number;
  command: number;
  data: number[];
}

/**
 * An I2C bus with device models attached at addresses, implementing the same I2CBus the real drivers use.
 * Fault injection: `setNack(address, true)` makes a device stop acknowledging (as an unpowered or broken
 * part does); unknown addresses NACK too. Every write is logged (bounded) so tests can prove that nothing
 * reached a device.
 */
export class EmulatedI2cBus implements I2CBus {
  private readonly devices = new Map<number, I2cDeviceModel>();
  private readonly nacking = new Set<number>();
  /** Writes in order (the last `maxLog`). */
  readonly writes: I2cWriteRecord[] = [];
  /** Transactions attempted (reads + writes), including NACKed ones. */
  transactions = 0;
  /** Called after every write that reached a device (tests use it to order writes against GPIO changes). */
  onWrite: ((record: I2cWriteRecord) => void) | null = null;

  constructor(private readonly maxLog = 10_000) {}

  attach(address: number, device: I2cDeviceModel): void {
    this.devices.set(address, device);
  }

  device(address: number): I2cDeviceModel | undefined {
    return this.devices.get(address);
  }

  setNack(address: number, nack: boolean): void {
    if (nack) this.nacking.add(address);
    else this.nacking.delete(address);
  }

  isNacking(address: number): boolean {
    return this.nacking.has(address);
  }

  /** Writes that reached the device at `address` (optionally one command only). */
  writesTo(address: number, command?: number): I2cWriteRecord[] {
    return this.writes.filter((w) => w.address === address && (command === undefined || w.command === command));
  }

  async readByte(address: number, command: number): Promise<number> {
    return this.doRead(address, command, 1)[0];
  }

  async writeByte(address: number, command: number, byte: number): Promise<void> {
    this.doWrite(address, command, Uint8Array.of(byte & 0xff));
  }

  async readWord(address: number, command: number): Promise<number> {
    const b = this.doRead(address, command, 2);
    return b[0] | (b[1] << 8);
  }

  async writeWord(address: number, command: number, word: number): Promise<void> {
    this.doWrite(address, command, Uint8Array.of(word & 0xff, (word >>> 8) & 0xff));
  }

  async readI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Uint8Array,
  ): Promise<{ bytesRead: number; buffer: Uint8Array }> {
    const data = this.doRead(address, command, length);
    buffer.set(data.subarray(0, length));
    return { bytesRead: length, buffer };
  }

  async writeI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Uint8Array,
  ): Promise<{ bytesWritten: number; buffer: Uint8Array }> {
    this.doWrite(address, command, buffer.slice(0, length));
    return { bytesWritten: length, buffer };
  }

  async sendByte(address: number, byte: number): Promise<void> {
    this.doWrite(address, byte & 0xff, new Uint8Array(0));
  }

  private target(address: number, command: number, op: I2cOperation): I2cDeviceModel {
    this.transactions++;
    const device = this.devices.get(address);
    if (device === undefined || this.nacking.has(address)) {
      throw new I2cError(address, command, op, 'EREMOTEIO', true);
    }
    return device;
  }

  private doRead(address: number, command: number, length: number): Uint8Array {
    const device = this.target(address, command, 'read');
    try {
      const data = device.read(command & 0xff, length);
      if (data.length >= length) return data;
      const padded = new Uint8Array(length).fill(0xff);
      padded.set(data);
      return padded;
    } catch (err) {
      if (err instanceof I2cModelNack) throw new I2cError(address, command, 'read', 'EREMOTEIO', true);
      throw err;
    }
  }

  private doWrite(address: number, command: number, data: Uint8Array): void {
    const device = this.target(address, command, 'write');
    try {
      device.write(command & 0xff, data);
    } catch (err) {
      if (err instanceof I2cModelNack) throw new I2cError(address, command, 'write', 'EREMOTEIO', true);
      throw err;
    }
    const record = { address, command, data: Array.from(data) };
    this.writes.push(record);
    this.onWrite?.(record);
    if (this.writes.length > this.maxLog) this.writes.splice(0, this.writes.length - this.maxLog);
  }
}

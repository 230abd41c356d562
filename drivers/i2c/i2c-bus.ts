import { accessSync, constants, existsSync } from 'node:fs';

/**
 * The I2C/SMBus operations the peripheral drivers use: the same names and argument orders as `i2c-bus`'s
 * PromisifiedBus, so that bus (through `openLinuxI2cBus`) and the emulated bus are interchangeable.
 *
 * Word operations are SMBus words: little-endian on the wire (PMBus parts). Devices with big-endian
 * registers (INA260, TMP1075) are read with `readI2cBlock` and decoded by the driver.
 */
export interface I2CBus {
  readByte(address: number, command: number): Promise<number>;
  writeByte(address: number, command: number, byte: number): Promise<void>;
  readWord(address: number, command: number): Promise<number>;
  writeWord(address: number, command: number, word: number): Promise<void>;
  /** Writes `command`, then reads `length` bytes into `buffer` (repeated start). */
  readI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Uint8Array,
  ): Promise<{ bytesRead: number; buffer: Uint8Array }>;
  /** Writes `command` followed by `length` bytes of `buffer` in one transaction. */
  writeI2cBlock(
    address: number,
    command: number,
    length: number,
    buffer: Uint8Array,
  ): Promise<{ bytesWritten: number; buffer: Uint8Array }>;
  /** SMBus send byte: one byte and no data (PMBus CLEAR_FAULTS). */
  sendByte(address: number, byte: number): Promise<void>;
}

export type I2cOperation = 'read' | 'write';

/**
 * An I2C transfer that failed. `nack` is true when nobody acknowledged (wrong address, device unpowered
 * or absent: Linux reports ENXIO/EREMOTEIO/EIO for it), which is worth a different hint than a timeout.
 */
export class I2cError extends Error {
  override readonly name = 'I2cError';
  constructor(
    readonly address: number,
    readonly command: number | null,
    readonly op: I2cOperation,
    readonly code: string,
    readonly nack: boolean,
  ) {
    const reg = command === null ? '' : ` register 0x${hex2(command)}`;
    const hint = nack ? ' (no ACK: is the board powered and the address right?)' : '';
    super(`I2C ${op} of 0x${hex2(address)}${reg} failed: ${code}${hint}`);
  }
}

export function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

const NACK_CODES = new Set(['ENXIO', 'EREMOTEIO', 'EIO', 'NACK']);

/** Minimal view of i2c-bus's PromisifiedBus as the native module defines it (it wants Buffers). */
interface NativePromisifiedBus {
  readByte(a: number, c: number): Promise<number>;
  writeByte(a: number, c: number, b: number): Promise<void>;
  readWord(a: number, c: number): Promise<number>;
  writeWord(a: number, c: number, w: number): Promise<void>;
  readI2cBlock(a: number, c: number, l: number, b: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeI2cBlock(a: number, c: number, l: number, b: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  sendByte(a: number, b: number): Promise<void>;
  close(): Promise<void>;
}

/** A Linux /dev/i2c-N bus; close it when done. */
export interface ClosableI2CBus extends I2CBus {
  close(): Promise<void>;
}

/**
 * Opens /dev/i2c-<bus> through the optional native `i2c-bus` module, loaded only here (never on the
 * emulated paths). Errors become I2cError with the address and register; buffers are passed as Buffer
 * views of the caller's memory (no copy), because the native module accepts only Buffers.
 */
export async function openLinuxI2cBus(busNumber: number, devDir = '/dev'): Promise<ClosableI2CBus> {
  // i2c-bus opens the device file lazily on the first transfer; check it now so the error is about I2C
  // being off, not about a register read.
  const device = `${devDir}/i2c-${busNumber}`;
  if (!existsSync(device)) {
    throw new Error(
      `${device} does not exist: enable I2C (raspi-config nonint do_i2c 0, or dtparam=i2c_arm=on in config.txt) and reboot`,
    );
  }
  try {
    accessSync(device, constants.R_OK | constants.W_OK);
  } catch {
    throw new Error(`no permission to use ${device}: add the user to group i2c (scripts/install-pi.sh does)`);
  }
  let mod: { openPromisified(bus: number): Promise<NativePromisifiedBus> };
  try {
    const imported = (await import('i2c-bus' as string)) as { default?: typeof mod } & typeof mod;
    mod = imported.default ?? imported;
  } catch (err) {
    throw new Error(
      `the optional i2c-bus module is not available (${(err as Error).message}); install it on the Pi with npm install i2c-bus`,
    );
  }
  let bus: NativePromisifiedBus;
  try {
    bus = await mod.openPromisified(busNumber);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(
      `cannot open /dev/i2c-${busNumber}: ${code}; enable I2C (raspi-config nonint do_i2c 0) and add the user to group i2c`,
    );
  }
  const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const wrap = async <T>(
    address: number,
    command: number | null,
    op: I2cOperation,
    run: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new I2cError(address, command, op, code, NACK_CODES.has(code));
    }
  };
  return {
    readByte: (a, c) => wrap(a, c, 'read', () => bus.readByte(a, c)),
    writeByte: (a, c, b) => wrap(a, c, 'write', () => bus.writeByte(a, c, b)),
    readWord: (a, c) => wrap(a, c, 'read', () => bus.readWord(a, c)),
    writeWord: (a, c, w) => wrap(a, c, 'write', () => bus.writeWord(a, c, w)),
    readI2cBlock: (a, c, l, b) =>
      wrap(a, c, 'read', async () => {
        const r = await bus.readI2cBlock(a, c, l, view(b));
        return { bytesRead: r.bytesRead, buffer: b };
      }),
    writeI2cBlock: (a, c, l, b) =>
      wrap(a, c, 'write', async () => {
        const r = await bus.writeI2cBlock(a, c, l, view(b));
        return { bytesWritten: r.bytesWritten, buffer: b };
      }),
    sendByte: (a, b) => wrap(a, b, 'write', () => bus.sendByte(a, b)),
    close: () => bus.close(),
  };
}

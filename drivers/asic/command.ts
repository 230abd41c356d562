import { crc5 } from './crc.js';
import { FrameError } from './errors.js';

/**
 * Command frames, host → chips: `55 AA | header | length | payload | CRC5`. The length counts every byte after
 * the preamble (header, length, payload, CRC). Writes, set-address and chain-inactive are never acknowledged;
 * reads are answered by response frames (response.ts).
 */

/** Header byte: bits 6..5 type (2 command, 1 job), bit 4 broadcast, bits 3..0 command. */
export const HEADER = {
  SET_ADDRESS: 0x40,
  WRITE_REGISTER: 0x41,
  READ_REGISTER: 0x42,
  WRITE_REGISTER_ALL: 0x51,
  READ_REGISTER_ALL: 0x52,
  CHAIN_INACTIVE: 0x53,
  JOB: 0x21,
} as const;

export const COMMAND_PREAMBLE = [0x55, 0xaa] as const;
/** Frame sizes on the wire, preamble included. */
export const SHORT_COMMAND_BYTES = 7;
export const WRITE_COMMAND_BYTES = 11;

/** Which chips a command is for: every chip, or the one with this address. */
export type CommandTarget = 'all' | number;

export type Bm13xxCommand =
  | { readonly kind: 'set-address'; readonly address: number }
  | {
      readonly kind: 'write-register';
      readonly broadcast: boolean;
      readonly chipAddress: number;
      readonly register: number;
      readonly value: number;
    }
  | {
      readonly kind: 'read-register';
      readonly broadcast: boolean;
      readonly chipAddress: number;
      readonly register: number;
    }
  | { readonly kind: 'chain-inactive' };

function checkByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new RangeError(`${name} must be a byte (0..255), got ${value}`);
  }
}

function finishShort(out: Uint8Array, offset: number, header: number, b0: number, b1: number): Uint8Array {
  out[offset] = 0x55;
  out[offset + 1] = 0xaa;
  out[offset + 2] = header;
  out[offset + 3] = 5;
  out[offset + 4] = b0;
  out[offset + 5] = b1;
  out[offset + 6] = crc5(out, offset + 2, offset + 6);
  return out;
}

/** Set the address of the first chip that has none (after chain inactive). */
export function encodeSetAddress(address: number, out = new Uint8Array(SHORT_COMMAND_BYTES), offset = 0): Uint8Array {
  checkByte('chip address', address);
  return finishShort(out, offset, HEADER.SET_ADDRESS, address, 0);
}

/** Every chip forgets its address and takes the next set-address command that reaches it. */
export function encodeChainInactive(out = new Uint8Array(SHORT_COMMAND_BYTES), offset = 0): Uint8Array {
  return finishShort(out, offset, HEADER.CHAIN_INACTIVE, 0, 0);
}

/** Read a register of one chip, or of every chip (each answers in chain order). */
export function encodeReadRegister(
  target: CommandTarget,
  register: number,
  out = new Uint8Array(SHORT_COMMAND_BYTES),
  offset = 0,
): Uint8Array {
  checkByte('register', register);
  if (target !== 'all') checkByte('chip address', target);
  const header = target === 'all' ? HEADER.READ_REGISTER_ALL : HEADER.READ_REGISTER;
  return finishShort(out, offset, header, target === 'all' ? 0 : target, register);
}

/** Write a 32-bit register value (sent most significant byte first) to one chip or every chip. */
export function encodeWriteRegister(
  target: CommandTarget,
  register: number,
  value: number,
  out = new Uint8Array(WRITE_COMMAND_BYTES),
  offset = 0,
): Uint8Array {
  checkByte('register', register);
  if (target !== 'all') checkByte('chip address', target);
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`register value must be a 32-bit unsigned integer, got ${value}`);
  }
  out[offset] = 0x55;
  out[offset + 1] = 0xaa;
  out[offset + 2] = target === 'all' ? HEADER.WRITE_REGISTER_ALL : HEADER.WRITE_REGISTER;
  out[offset + 3] = 9;
  out[offset + 4] = target === 'all' ? 0 : target;
  out[offset + 5] = register;
  out[offset + 6] = value >>> 24;
  out[offset + 7] = value >>> 16;
  out[offset + 8] = value >>> 8;
  out[offset + 9] = value;
  out[offset + 10] = crc5(out, offset + 2, offset + 10);
  return out;
}

/** Wire size of the command with this header byte, or 0 when the byte is not a command header. */
export function commandFrameBytes(header: number): number {
  switch (header) {
    case HEADER.SET_ADDRESS:
    case HEADER.READ_REGISTER:
    case HEADER.READ_REGISTER_ALL:
    case HEADER.CHAIN_INACTIVE:
      return SHORT_COMMAND_BYTES;
    case HEADER.WRITE_REGISTER:
    case HEADER.WRITE_REGISTER_ALL:
      return WRITE_COMMAND_BYTES;
    default:
      return 0;
  }
}

/** True when `bytes[offset..offset+size)` is a command frame whose length byte and CRC5 are right. */
export function commandFrameValid(bytes: Uint8Array, offset: number, size: number): boolean {
  return (
    bytes[offset] === 0x55 &&
    bytes[offset + 1] === 0xaa &&
    bytes[offset + 3] === size - 2 &&
    bytes[offset + size - 1] === crc5(bytes, offset + 2, offset + size - 1)
  );
}

/**
 * Decodes one command frame (not a job). Throws FrameError naming the field that is wrong; `verifyCrc: false`
 * decodes anyway (the inspector shows the fields of a frame whose CRC is bad).
 */
export function decodeCommand(
  bytes: Uint8Array,
  offset = 0,
  size = bytes.length - offset,
  verifyCrc = true,
): Bm13xxCommand {
  if (size < 4 || bytes[offset] !== 0x55 || bytes[offset + 1] !== 0xaa) {
    throw new FrameError('a command frame starts with the preamble 55 AA');
  }
  const header = bytes[offset + 2];
  const expected = commandFrameBytes(header);
  if (expected === 0) throw new FrameError(`unknown command header 0x${header.toString(16).padStart(2, '0')}`);
  if (size !== expected) throw new FrameError(`command 0x${header.toString(16)} is ${expected} bytes, got ${size}`);
  if (bytes[offset + 3] !== expected - 2) {
    throw new FrameError(`length byte is ${bytes[offset + 3]}, expected ${expected - 2}`);
  }
  if (verifyCrc && !commandFrameValid(bytes, offset, size)) {
    const want = crc5(bytes, offset + 2, offset + size - 1);
    throw new FrameError(
      `CRC5 mismatch: frame has 0x${bytes[offset + size - 1].toString(16).padStart(2, '0')}, computed 0x${want.toString(16).padStart(2, '0')}`,
    );
  }
  const b4 = bytes[offset + 4];
  const b5 = bytes[offset + 5];
  switch (header) {
    case HEADER.SET_ADDRESS:
      return { kind: 'set-address', address: b4 };
    case HEADER.CHAIN_INACTIVE:
      return { kind: 'chain-inactive' };
    case HEADER.READ_REGISTER:
    case HEADER.READ_REGISTER_ALL:
      return { kind: 'read-register', broadcast: header === HEADER.READ_REGISTER_ALL, chipAddress: b4, register: b5 };
    default: {
      const value =
        ((bytes[offset + 6] << 24) | (bytes[offset + 7] << 16) | (bytes[offset + 8] << 8) | bytes[offset + 9]) >>> 0;
      return {
        kind: 'write-register',
        broadcast: header === HEADER.WRITE_REGISTER_ALL,
        chipAddress: b4,
        register: b5,
        value,
      };
    }
  }
}

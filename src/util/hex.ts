/** Thrown for text that is not the hex it should be; the message says what is wrong and where. */
export class HexError extends Error {
  override readonly name = 'HexError';
}

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[65 + i] = 10 + i;
  NIBBLE[97 + i] = 10 + i;
}

/**
 * Parses hex (either case, optional 0x prefix, spaces and colons ignored so pasted captures work).
 * `expectedBytes` checks the length. Throws HexError naming the first offending character.
 */
export function hexToBytes(text: string, expectedBytes?: number): Uint8Array {
  let s = text.trim();
  if (s.startsWith('0x') || s.startsWith('0X')) s = s.slice(2);
  s = s.replace(/[\s:]/g, '');
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || NIBBLE[c] < 0) {
      throw new HexError(`not hex: character ${JSON.stringify(s[i])} at position ${i}`);
    }
  }
  if (s.length % 2 !== 0) throw new HexError(`odd number of hex digits (${s.length})`);
  const n = s.length / 2;
  if (expectedBytes !== undefined && n !== expectedBytes) {
    throw new HexError(`expected ${expectedBytes} bytes (${expectedBytes * 2} hex digits), got ${n} bytes`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (NIBBLE[s.charCodeAt(2 * i)] << 4) | NIBBLE[s.charCodeAt(2 * i + 1)];
  return out;
}

const HEX_DIGITS = '0123456789abcdef';

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_DIGITS[bytes[i] >> 4] + HEX_DIGITS[bytes[i] & 15];
  return s;
}

/** Hex of the bytes in reverse order: how Bitcoin displays hashes (block explorers, RPC). */
export function bytesToHexReversed(bytes: Uint8Array): string {
  let s = '';
  for (let i = bytes.length - 1; i >= 0; i--) s += HEX_DIGITS[bytes[i] >> 4] + HEX_DIGITS[bytes[i] & 15];
  return s;
}

/** Parses a display-order (reversed) hash into internal byte order. */
export function hexReversedToBytes(text: string, expectedBytes?: number): Uint8Array {
  return hexToBytes(text, expectedBytes).reverse();
}

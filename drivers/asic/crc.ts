/**
 * The two checksums of the BM13xx serial protocol (see README.md, "Frames").
 *
 * CRC5: polynomial x^5+x^2+1, register preset to all ones, most significant bit first, no reflection, no final
 * XOR. Command frames carry it in the low five bits of their last byte. A response packs its 3-bit type above the
 * CRC in the last byte, and running the CRC over everything after the preamble *including* that byte leaves 0.
 * CRC16: CRC-16/CCITT-FALSE (poly 0x1021, preset 0xFFFF), appended most significant byte first to job frames.
 */

// CRC5 is computed a byte at a time with the 5-bit register kept in the top of an 8-bit value, so the table
// is the ordinary MSB-first byte table of the shifted polynomial 0x05 << 3.
const CRC5_TABLE = new Uint8Array(256);
// CRC16/CCITT-FALSE byte table.
const CRC16_TABLE = new Uint16Array(256);

for (let i = 0; i < 256; i++) {
  let c = i;
  for (let b = 0; b < 8; b++) c = c & 0x80 ? ((c << 1) ^ 0x28) & 0xff : (c << 1) & 0xff;
  CRC5_TABLE[i] = c;
  let d = i << 8;
  for (let b = 0; b < 8; b++) d = d & 0x8000 ? ((d << 1) ^ 0x1021) & 0xffff : (d << 1) & 0xffff;
  CRC16_TABLE[i] = d;
}

/** CRC5 of `bytes[start..end)`; a 5-bit value. */
export function crc5(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xf8; // 0x1F in the top five bits
  for (let i = start; i < end; i++) c = CRC5_TABLE[c ^ bytes[i]];
  return c >>> 3;
}

/** CRC16/CCITT-FALSE of `bytes[start..end)`. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffff;
  for (let i = start; i < end; i++) c = ((c << 8) & 0xffff) ^ CRC16_TABLE[(c >>> 8) ^ bytes[i]];
  return c;
}

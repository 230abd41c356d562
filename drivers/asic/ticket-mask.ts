/**
 * TICKET_MASK (register 0x14): the chip reports only hashes with 32 + n leading zero bits, i.e. difficulty 2^n and
 * up. The register holds 2^n − 1 with each of its four bytes bit-reversed in place (ESP-Miner, cgminer and mujina
 * agree; see README.md). Only powers of two are possible: a requested difficulty d programs 2^⌊log2 ⌈d⌉⌋.
 */

function reverseByte(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r = (r << 1) | ((b >>> i) & 1);
  return r;
}

function reverseBytesInWord(v: number): number {
  return (
    ((reverseByte((v >>> 24) & 0xff) << 24) |
      (reverseByte((v >>> 16) & 0xff) << 16) |
      (reverseByte((v >>> 8) & 0xff) << 8) |
      reverseByte(v & 0xff)) >>>
    0
  );
}

/** The power-of-two difficulty a chip can actually apply for a requested ticket difficulty. */
export function ticketDifficultyFor(requested: number): number {
  if (!(requested > 0) || !Number.isFinite(requested)) {
    throw new RangeError(`ticket difficulty must be a positive number, got ${requested}`);
  }
  let d = Math.min(Math.ceil(requested), 0xffffffff);
  let power = 0;
  while (d > 1) {
    d = Math.floor(d / 2);
    power++;
  }
  return 2 ** Math.min(power, 31);
}

/** Register 0x14 value for a requested difficulty (rounded down to a power of two, as ESP-Miner does). */
export function encodeTicketMask(requested: number): number {
  const difficulty = ticketDifficultyFor(requested);
  const mask = difficulty - 1;
  return reverseBytesInWord(mask >>> 0);
}

/** The difficulty a register 0x14 value makes the chip apply: 2^(number of mask bits). */
export function decodeTicketMask(register: number): number {
  const mask = reverseBytesInWord(register >>> 0);
  let bits = 0;
  for (let v = mask; v !== 0; v >>>= 1) bits += v & 1;
  return 2 ** bits;
}

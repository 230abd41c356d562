/**
 * Version rolling (BIP320 "AsicBoost"): which header version bits a chip may change, and how each model names the
 * version it hashed.
 *
 * BM1366 family: register 0xA4 = 0x90000000 | (mask >> 13) turns on chip-side rolling over header bits 28..13;
 * each nonce reply carries the rolled field (bytes 8..9), and the header version is the job version with that
 * field shifted left 13. BM1397: the chip cannot roll; the host sends up to four midstates for four versions it
 * chose, and the reply names which (0..3).
 */

export { depositBits, extractBits, versionAfter } from '../../src/bitcoin/version-bits.js';

/** Header version bits a chip can roll: 28..13. */
export const ROLLABLE_VERSION_BITS = 0x1fffe000;
/** BIP320's general-purpose bits, what pools grant by default. */
export const BIP320_VERSION_MASK = 0x1fffe000;

/** Register 0xA4 value that enables rolling over `versionMask` (only bits 28..13 can be honoured). */
export function encodeVersionRollingRegister(versionMask: number): number {
  return (0x90000000 | ((versionMask & ROLLABLE_VERSION_BITS) >>> 13)) >>> 0;
}

/** The 16-bit field mask a register 0xA4 value rolls, or null if bit 31 (rolling) is off. */
export function decodeVersionRollingRegister(register: number): { enabled: boolean; fieldMask: number } {
  return { enabled: (register & 0x80000000) !== 0, fieldMask: register & 0xffff };
}

/**
 * The block height a coinbase commits to (BIP34: the first push of its scriptSig), read from the start of a
 * non-witness coinbase serialization: version (4) ‖ input count (1 byte, 0x01) ‖ null prevout (36) ‖ script length
 * ‖ script. Jobs that carry a coinbase (SV2 extended channels, Stratum V1, solo templates) say their height this
 * way; a job with a fixed merkle root does not.
 */
import { readCompactSize } from './coinbase.js';

/** The BIP34 height, or null when `prefix` is too short or does not start like a coinbase with a height push. */
export function coinbaseHeight(prefix: Uint8Array): number | null {
  // version(4) + input count(1) + prevout(36) = 41, then the script length.
  if (prefix.length < 43 || prefix[4] !== 0x01) return null;
  let scriptLength: { value: number; size: number };
  try {
    scriptLength = readCompactSize(prefix, 41);
  } catch {
    return null;
  }
  const at = 41 + scriptLength.size;
  const op = prefix[at];
  if (op === undefined) return null;
  // OP_1..OP_16 encode heights 1..16 (only the first blocks); a push of 1–8 bytes is a little-endian number.
  if (op >= 0x51 && op <= 0x60) return op - 0x50;
  if (op < 1 || op > 8 || at + 1 + op > prefix.length || op > scriptLength.value) return null;
  let height = 0;
  for (let i = op - 1; i >= 0; i--) height = height * 256 + prefix[at + 1 + i];
  // The top bit of the last byte is a sign in script numbers: a negative height is no height.
  if ((prefix[at + op] & 0x80) !== 0) return null;
  return height;
}

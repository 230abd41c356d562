/**
 * Bech32 (BIP173) and Bech32m (BIP350): the checksummed base-32 strings segwit addresses are written in. An
 * encoding, not cryptography: a BCH code over GF(32) whose only difference between the two variants is the
 * constant the checksum is xored with (1 for Bech32, 0x2bc830a3 for Bech32m), which BIP350 introduced because
 * Bech32 lets a 'q' be inserted before a final 'p' unnoticed.
 */

export class Bech32Error extends Error {
  override readonly name = 'Bech32Error';
}

export type Bech32Variant = 'bech32' | 'bech32m';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const CHARSET_INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < CHARSET.length; i++) CHARSET_INDEX[CHARSET.charCodeAt(i)] = i;

const CONSTANT: Record<Bech32Variant, number> = { bech32: 1, bech32m: 0x2bc830a3 };
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
/** BIP173's limit on a whole string. */
const MAX_LENGTH = 90;

function polymod(values: ArrayLike<number>, start = 1): number {
  let chk = start;
  for (let i = 0; i < values.length; i++) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ values[i];
    for (let j = 0; j < 5; j++) if ((top >>> j) & 1) chk ^= GENERATOR[j];
  }
  return chk >>> 0;
}

/** The checksum's view of the human-readable part: high bits, a zero, low bits of every character. */
function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

export interface Bech32Decoded {
  /** Lower case. */
  hrp: string;
  /** 5-bit values, checksum removed. */
  data: number[];
  variant: Bech32Variant;
}

/** Decodes a Bech32 or Bech32m string; the variant is whichever constant the checksum matches. */
export function bech32Decode(text: string): Bech32Decoded {
  if (text.length > MAX_LENGTH) throw new Bech32Error(`longer than ${MAX_LENGTH} characters`);
  let lower = false;
  let upper = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 33 || c > 126) throw new Bech32Error(`character ${i + 1} is outside the printable ASCII range`);
    if (c >= 97 && c <= 122) lower = true;
    if (c >= 65 && c <= 90) upper = true;
  }
  if (lower && upper) throw new Bech32Error('mixes upper and lower case');
  const s = text.toLowerCase();
  const sep = s.lastIndexOf('1');
  if (sep < 0) throw new Bech32Error('has no separator "1"');
  if (sep === 0) throw new Bech32Error('has an empty human-readable part');
  if (s.length - sep - 1 < 6) throw new Bech32Error('is too short for its 6-character checksum');
  const hrp = s.slice(0, sep);
  const values: number[] = [];
  for (let i = sep + 1; i < s.length; i++) {
    const v = CHARSET_INDEX[s.charCodeAt(i)];
    if (v === undefined || v < 0)
      throw new Bech32Error(`character ${JSON.stringify(s[i])} is not in the bech32 alphabet`);
    values.push(v);
  }
  const check = polymod(values, polymod(hrpExpand(hrp)));
  const variant: Bech32Variant | null =
    check === CONSTANT.bech32 ? 'bech32' : check === CONSTANT.bech32m ? 'bech32m' : null;
  if (variant === null) throw new Bech32Error('checksum does not match (a typo?)');
  return { hrp, data: values.slice(0, values.length - 6), variant };
}

/** Encodes 5-bit values with a checksum of the given variant (lower case). */
export function bech32Encode(hrp: string, data: readonly number[], variant: Bech32Variant): string {
  const h = hrp.toLowerCase();
  const values = [...hrpExpand(h), ...data, 0, 0, 0, 0, 0, 0];
  const mod = polymod(values) ^ CONSTANT[variant];
  let out = `${h}1`;
  for (const v of data) out += CHARSET[v];
  for (let i = 0; i < 6; i++) out += CHARSET[(mod >>> (5 * (5 - i))) & 31];
  if (out.length > MAX_LENGTH) throw new Bech32Error(`the encoding is longer than ${MAX_LENGTH} characters`);
  return out;
}

/**
 * Regroups bits (8 → 5 to encode, 5 → 8 to decode). Decoding (`pad` false) refuses more than 4 padding bits
 * or padding that is not zero, as BIP173 requires.
 */
export function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    const value = data[i];
    if (value < 0 || value >> from !== 0) throw new Bech32Error(`value ${value} does not fit ${from} bits`);
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from) {
    throw new Bech32Error('has more than 4 bits of padding');
  } else if (((acc << (to - bits)) & maxv) !== 0) {
    throw new Bech32Error('has non-zero padding bits');
  }
  return out;
}

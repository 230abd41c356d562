import { sha256 } from '@noble/hashes/sha2.js';
import { SHA256_IV, SHA256_K } from './sha256-constants.js';
import { sha256dTailWords } from './sha256d-tail.generated.js';

/** SHA-256 of arbitrary bytes (general case; not for hot loops). */
export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/** Bitcoin's double SHA-256 of arbitrary bytes, in SHA-256 output (internal) byte order. */
export function sha256d(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

const schedule = new Uint32Array(64);

/**
 * One SHA-256 compression of the 64 bytes at `block[offset..offset+64)` into `state` (in place).
 * Used to compute midstates; per-nonce work goes through the generated tail instead.
 */
export function sha256Compress(state: Uint32Array, block: Uint8Array, offset = 0): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const p = offset + i * 4;
    w[i] = (block[p] << 24) | (block[p + 1] << 16) | (block[p + 2] << 8) | block[p + 3];
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (s1 + w[i - 7] + s0 + w[i - 16]) | 0;
  }
  let a = state[0] | 0;
  let b = state[1] | 0;
  let c = state[2] | 0;
  let d = state[3] | 0;
  let e = state[4] | 0;
  let f = state[5] | 0;
  let g = state[6] | 0;
  let h = state[7] | 0;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

/**
 * SHA-256 midstate: the state after compressing the first 64 bytes of an 80-byte header
 * (version, previous hash, first 28 bytes of the merkle root). Words H0..H7 as SHA-256 holds them.
 */
export function sha256Midstate(header: Uint8Array, offset = 0, out: Uint32Array = new Uint32Array(8)): Uint32Array {
  out.set(SHA256_IV);
  sha256Compress(out, header, offset);
  return out;
}

/** Reads 4 bytes big-endian, as SHA-256 reads message words. */
export function readWordBE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

/**
 * The fast path: SHA-256d state words of an 80-byte header, from its midstate and its last 16 bytes
 * (`header[tailOffset..tailOffset+16)`). Allocation-free when `out` is passed.
 */
export function sha256dFromMidstate(
  midstate: Uint32Array,
  tail: Uint8Array,
  tailOffset = 0,
  out: Uint32Array = new Uint32Array(8),
): Uint32Array {
  sha256dTailWords(
    midstate,
    readWordBE(tail, tailOffset),
    readWordBE(tail, tailOffset + 4),
    readWordBE(tail, tailOffset + 8),
    readWordBE(tail, tailOffset + 12),
    out,
  );
  return out;
}

/** SHA-256 state words → the 32 digest bytes (internal byte order). */
export function stateWordsToBytes(words: Uint32Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  for (let i = 0; i < 8; i++) {
    const w = words[i];
    out[i * 4] = w >>> 24;
    out[i * 4 + 1] = w >>> 16;
    out[i * 4 + 2] = w >>> 8;
    out[i * 4 + 3] = w;
  }
  return out;
}

const dState = new Uint32Array(8);
const dBlock = new Uint8Array(64);

/**
 * Bitcoin's double SHA-256 of `data[offset..offset+length)` into `out` (32 bytes, internal byte order) without
 * allocating: the compression function on two static scratch buffers. What coinbase txids and merkle folds use,
 * once per extranonce a device rolls (a general-purpose hash object per call costs ten times as much).
 */
export function sha256dInto(
  data: Uint8Array,
  out: Uint8Array,
  offset = 0,
  length: number = data.length - offset,
): Uint8Array {
  const st = dState;
  const blk = dBlock;
  st.set(SHA256_IV);
  const end = offset + length;
  let p = offset;
  while (end - p >= 64) {
    sha256Compress(st, data, p);
    p += 64;
  }
  const rem = end - p;
  blk.fill(0);
  for (let i = 0; i < rem; i++) blk[i] = data[p + i];
  blk[rem] = 0x80;
  if (rem >= 56) {
    sha256Compress(st, blk, 0);
    blk.fill(0);
  }
  const bits = length * 8;
  const hi = Math.floor(bits / 0x100000000);
  const lo = bits >>> 0;
  blk[56] = hi >>> 24;
  blk[57] = hi >>> 16;
  blk[58] = hi >>> 8;
  blk[59] = hi;
  blk[60] = lo >>> 24;
  blk[61] = lo >>> 16;
  blk[62] = lo >>> 8;
  blk[63] = lo;
  sha256Compress(st, blk, 0);
  // The second SHA-256 over the 32-byte digest: one block, length 256 bits.
  stateWordsToBytes(st, blk);
  blk.fill(0, 32);
  blk[32] = 0x80;
  blk[62] = 0x01;
  st.set(SHA256_IV);
  sha256Compress(st, blk, 0);
  return stateWordsToBytes(st, out);
}

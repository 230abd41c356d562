/** Bitcoin's Base58Check (payload ‖ first 4 bytes of SHA-256d(payload)), for keys in configs and URLs. */
import { sha256 } from '@noble/hashes/sha2.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;

export class Base58Error extends Error {
  override readonly name = 'Base58Error';
}

function checksum(payload: Uint8Array): Uint8Array {
  return sha256(sha256(payload)).subarray(0, 4);
}

export function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let s = '';
  while (n > 0n) {
    s = ALPHABET[Number(n % 58n)] + s;
    n /= 58n;
  }
  return '1'.repeat(zeros) + s;
}

export function base58Decode(text: string): Uint8Array {
  let n = 0n;
  let zeros = 0;
  let leading = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? INDEX[c] : -1;
    if (v < 0) throw new Base58Error(`not base58: character ${JSON.stringify(text[i])} at position ${i}`);
    if (leading && v === 0) zeros++;
    else leading = false;
    n = n * 58n + BigInt(v);
  }
  const body: number[] = [];
  while (n > 0n) {
    body.push(Number(n & 0xffn));
    n >>= 8n;
  }
  const out = new Uint8Array(zeros + body.length);
  for (let i = 0; i < body.length; i++) out[out.length - 1 - i] = body[i];
  return out;
}

export function base58CheckEncode(payload: Uint8Array): string {
  const full = new Uint8Array(payload.length + 4);
  full.set(payload);
  full.set(checksum(payload), payload.length);
  return base58Encode(full);
}

/** Decodes and verifies the checksum; returns the payload. */
export function base58CheckDecode(text: string): Uint8Array {
  const full = base58Decode(text.trim());
  if (full.length < 5) throw new Base58Error(`too short for base58check (${full.length} bytes)`);
  const payload = full.subarray(0, full.length - 4);
  const sum = checksum(payload);
  for (let i = 0; i < 4; i++) {
    if (full[payload.length + i] !== sum[i]) throw new Base58Error('base58check checksum mismatch (a typo?)');
  }
  return payload.slice();
}

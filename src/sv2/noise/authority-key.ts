/**
 * Authority keys as users paste them: base58check of `01 00 ‖ x-only key` (a 2-byte little-endian version,
 * currently 1, then the 32-byte BIP340 key). Strings from before 2024 lack the version prefix; they are
 * recognised and the error gives the converted string. Secret keys (pool side) are base58check of the raw
 * 32 bytes, as in SRI's configs.
 */
import { Base58Error, base58CheckDecode, base58CheckEncode } from './base58check.js';
import { bytesToBigInt, isValidX } from './ellswift.js';

export class AuthorityKeyError extends Error {
  override readonly name = 'AuthorityKeyError';
}

const VERSION_1 = [0x01, 0x00];

/** x-only key (32 bytes) → the spec's base58check string. */
export function encodeAuthorityKey(xOnly: Uint8Array): string {
  if (xOnly.length !== 32) throw new RangeError('an authority key is a 32-byte x-only key');
  const payload = new Uint8Array(34);
  payload.set(VERSION_1, 0);
  payload.set(xOnly, 2);
  return base58CheckEncode(payload);
}

/** Parses an authority public key string; the error says what is wrong and, for old strings, what to use. */
export function parseAuthorityKey(text: string): Uint8Array {
  const trimmed = text.trim();
  let payload: Uint8Array;
  try {
    payload = base58CheckDecode(trimmed);
  } catch (err) {
    const why = err instanceof Base58Error ? err.message : String(err);
    throw new AuthorityKeyError(`authority key ${JSON.stringify(shorten(trimmed))} is not valid base58check: ${why}`);
  }
  if (payload.length === 32) {
    const converted = isValidX(bytesToBigInt(payload)) ? encodeAuthorityKey(payload) : null;
    throw new AuthorityKeyError(
      `authority key ${shorten(trimmed)} is in the pre-2024 format without the 01 00 version prefix` +
        (converted ? `; the same key in the current format is ${converted}` : ''),
    );
  }
  if (payload.length !== 34) {
    throw new AuthorityKeyError(
      `authority key ${shorten(trimmed)} decodes to ${payload.length} bytes; expected 34 (01 00 + 32-byte x-only key)`,
    );
  }
  const version = payload[0] | (payload[1] << 8);
  if (version !== 1) {
    throw new AuthorityKeyError(`authority key ${shorten(trimmed)} has version ${version}; only version 1 exists`);
  }
  const key = payload.slice(2);
  if (!isValidX(bytesToBigInt(key))) {
    throw new AuthorityKeyError(`authority key ${shorten(trimmed)} is not a point on secp256k1`);
  }
  return key;
}

/** A secret key (pool authority or static key) → base58check of its 32 raw bytes. */
export function encodeSecretKey(secret: Uint8Array): string {
  if (secret.length !== 32) throw new RangeError('a secret key is 32 bytes');
  return base58CheckEncode(secret);
}

export function parseSecretKey(text: string): Uint8Array {
  let payload: Uint8Array;
  try {
    payload = base58CheckDecode(text.trim());
  } catch (err) {
    throw new AuthorityKeyError(`secret key is not valid base58check: ${err instanceof Error ? err.message : err}`);
  }
  if (payload.length !== 32) throw new AuthorityKeyError(`secret key decodes to ${payload.length} bytes; expected 32`);
  return payload;
}

function shorten(s: string): string {
  return s.length > 20 ? `${s.slice(0, 8)}…${s.slice(-6)}` : s;
}

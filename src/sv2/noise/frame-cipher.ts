/**
 * SV2 frames over an established Noise session. The 6-byte header is encrypted on its own (22 bytes with its
 * tag, one nonce); the payload follows in chunks of at most 65 519 plaintext bytes, each with its own tag and
 * nonce, so no ciphertext piece exceeds 65 535 bytes. `msg_length` in the header is the plaintext length; an
 * empty payload sends no payload ciphertext at all.
 */
import { Sv2ProtocolError } from '../codec/errors.js';
import type { Sv2Frame } from '../codec/frame.js';
import { decodeFrameHeader, encodeFrameHeader, FRAME_HEADER_BYTES, type FrameHeader } from '../codec/frame-header.js';
import type { MessageDef } from '../codec/message.js';
import { AEAD_TAG_BYTES, type CipherState } from './cipher-state.js';

export const ENCRYPTED_HEADER_BYTES = FRAME_HEADER_BYTES + AEAD_TAG_BYTES;
export const MAX_CIPHERTEXT_CHUNK = 65535;
export const MAX_PLAINTEXT_CHUNK = MAX_CIPHERTEXT_CHUNK - AEAD_TAG_BYTES;

/** Ciphertext bytes that follow the encrypted header for a payload of `payloadLength` plaintext bytes. */
export function encryptedPayloadLength(payloadLength: number): number {
  const full = Math.floor(payloadLength / MAX_PLAINTEXT_CHUNK);
  const rest = payloadLength % MAX_PLAINTEXT_CHUNK;
  return full * MAX_CIPHERTEXT_CHUNK + (rest > 0 ? rest + AEAD_TAG_BYTES : 0);
}

export function encryptedFrameLength(payloadLength: number): number {
  return ENCRYPTED_HEADER_BYTES + encryptedPayloadLength(payloadLength);
}

/**
 * Encrypts one plaintext frame (header + payload) into a new array. For the hot path use
 * `EncryptedFrameWriter`, which encodes and encrypts in place.
 */
export function encryptFrame(cipher: CipherState, plainFrame: Uint8Array): Uint8Array {
  const header = decodeFrameHeader(plainFrame);
  const payload = plainFrame.subarray(FRAME_HEADER_BYTES);
  if (payload.length !== header.msgLength) throw new RangeError('frame length does not match its header');
  const out = new Uint8Array(encryptedFrameLength(payload.length));
  out.set(plainFrame.subarray(0, FRAME_HEADER_BYTES), 0);
  cipher.encryptInPlace(out, 0, FRAME_HEADER_BYTES);
  let src = 0;
  let dst = ENCRYPTED_HEADER_BYTES;
  while (src < payload.length) {
    const n = Math.min(MAX_PLAINTEXT_CHUNK, payload.length - src);
    out.set(payload.subarray(src, src + n), dst);
    cipher.encryptInPlace(out, dst, n);
    src += n;
    dst += n + AEAD_TAG_BYTES;
  }
  return out;
}

const SLAB_BYTES = 64 * 1024;

/**
 * Encodes messages straight into the ciphertext layout and encrypts them in place. Output views are carved
 * from a slab and never reused (the socket may still hold them), so a share costs no allocation beyond the
 * cipher's own bookkeeping; a fresh slab is taken every 64 KiB.
 */
export class EncryptedFrameWriter {
  private slab = new Uint8Array(SLAB_BYTES);
  private used = 0;

  constructor(private readonly cipher: CipherState) {}

  private take(n: number): Uint8Array {
    if (this.used + n > this.slab.length) {
      this.slab = new Uint8Array(Math.max(SLAB_BYTES, n));
      this.used = 0;
    }
    const view = this.slab.subarray(this.used, this.used + n);
    this.used += n;
    return view;
  }

  /** The encrypted frame for `value` (a view valid until the caller drops it). */
  write<V>(def: MessageDef<V>, value: V): Uint8Array {
    const payloadLength = def.size(value);
    const header: FrameHeader = {
      extensionType: def.extensionType,
      channelMsg: def.channelMsg,
      msgType: def.msgType,
      msgLength: payloadLength,
    };
    if (payloadLength > MAX_PLAINTEXT_CHUNK) {
      // Rare (large extended jobs): encode once, then chunk.
      const plain = new Uint8Array(FRAME_HEADER_BYTES + payloadLength);
      encodeFrameHeader(header, plain, 0);
      def.encodeInto(value, plain, FRAME_HEADER_BYTES);
      return encryptFrame(this.cipher, plain);
    }
    const out = this.take(encryptedFrameLength(payloadLength));
    encodeFrameHeader(header, out, 0);
    this.cipher.encryptInPlace(out, 0, FRAME_HEADER_BYTES);
    if (payloadLength > 0) {
      def.encodeInto(value, out, ENCRYPTED_HEADER_BYTES);
      this.cipher.encryptInPlace(out, ENCRYPTED_HEADER_BYTES, payloadLength);
    }
    return out;
  }
}

/**
 * Reassembles and decrypts frames from a byte stream (TCP chunks of any size). `maxPayloadBytes` caps the
 * length a header may announce, checked right after the header decrypts and before anything is allocated.
 * Errors (NoiseError 'frame-auth-failed', Sv2ProtocolError 'frame-too-large') are fatal for the connection.
 */
export class EncryptedFrameReader {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  private pending: FrameHeader | null = null;
  private readonly headerScratch = new Uint8Array(FRAME_HEADER_BYTES);
  private failed = false;

  constructor(
    private readonly cipher: CipherState,
    readonly maxPayloadBytes: number,
  ) {}

  get bufferedBytes(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    const needed = this.end - this.start + chunk.length;
    if (this.end + chunk.length > this.buf.length) {
      if (needed <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(needed, this.buf.length * 2));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  /** The next complete frame, or null when more bytes are needed. The payload is a fresh array. */
  next(): Sv2Frame | null {
    if (this.failed) throw new Error('EncryptedFrameReader used after a fatal error');
    try {
      return this.step();
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }

  private step(): Sv2Frame | null {
    if (this.pending === null) {
      if (this.end - this.start < ENCRYPTED_HEADER_BYTES) return null;
      this.cipher.decryptInto(this.buf.subarray(this.start, this.start + ENCRYPTED_HEADER_BYTES), this.headerScratch);
      this.start += ENCRYPTED_HEADER_BYTES;
      const header = decodeFrameHeader(this.headerScratch);
      if (header.msgLength > this.maxPayloadBytes) {
        throw new Sv2ProtocolError(
          'frame-too-large',
          `frame announces a ${header.msgLength}-byte payload (type 0x${header.msgType.toString(16)}); ` +
            `this connection accepts at most ${this.maxPayloadBytes}`,
        );
      }
      this.pending = header;
    }
    const header = this.pending;
    const cipherLength = encryptedPayloadLength(header.msgLength);
    if (this.end - this.start < cipherLength) return null;
    const payload = new Uint8Array(header.msgLength);
    let src = this.start;
    let dst = 0;
    while (dst < header.msgLength) {
      const n = Math.min(MAX_PLAINTEXT_CHUNK, header.msgLength - dst);
      this.cipher.decryptInto(this.buf.subarray(src, src + n + AEAD_TAG_BYTES), payload.subarray(dst, dst + n));
      src += n + AEAD_TAG_BYTES;
      dst += n;
    }
    this.start += cipherLength;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    this.pending = null;
    return { header, payload };
  }
}

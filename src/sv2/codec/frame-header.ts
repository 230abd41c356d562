/**
 * The 6-byte SV2 frame header: `extension_type` U16 (bit 15 of the value = `channel_msg`), `msg_type` U8,
 * `msg_length` U24 (payload bytes only). All little-endian, so a core channel message starts `00 80`.
 */
import { Sv2ProtocolError } from './errors.js';

export const FRAME_HEADER_BYTES = 6;
export const CHANNEL_MSG_BIT = 0x8000;
/** Largest payload a U24 length can describe. */
export const MAX_MSG_LENGTH = 0xffffff;

export interface FrameHeader {
  /** Extension id without the channel bit (0 for every core message). */
  extensionType: number;
  channelMsg: boolean;
  msgType: number;
  /** Payload length in bytes (plaintext length, also on encrypted connections). */
  msgLength: number;
}

export function encodeFrameHeader(header: FrameHeader, out: Uint8Array, offset = 0): void {
  const ext = (header.extensionType & 0x7fff) | (header.channelMsg ? CHANNEL_MSG_BIT : 0);
  const len = header.msgLength;
  if (!Number.isInteger(len) || len < 0 || len > MAX_MSG_LENGTH) {
    throw new RangeError(`SV2 payload length ${len} does not fit the U24 msg_length (max ${MAX_MSG_LENGTH})`);
  }
  out[offset] = ext;
  out[offset + 1] = ext >>> 8;
  out[offset + 2] = header.msgType;
  out[offset + 3] = len;
  out[offset + 4] = len >>> 8;
  out[offset + 5] = len >>> 16;
}

export function decodeFrameHeader(bytes: Uint8Array, offset = 0): FrameHeader {
  if (bytes.length - offset < FRAME_HEADER_BYTES) {
    throw new Sv2ProtocolError(
      'truncated',
      `frame header needs ${FRAME_HEADER_BYTES} bytes, got ${Math.max(0, bytes.length - offset)}`,
    );
  }
  const ext = bytes[offset] | (bytes[offset + 1] << 8);
  return {
    extensionType: ext & 0x7fff,
    channelMsg: (ext & CHANNEL_MSG_BIT) !== 0,
    msgType: bytes[offset + 2],
    msgLength: bytes[offset + 3] | (bytes[offset + 4] << 8) | (bytes[offset + 5] << 16),
  };
}

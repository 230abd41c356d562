/**
 * Plaintext frames: header + payload. Encrypted connections carry the same frames, encrypted piecewise
 * (noise/frame-cipher.ts); the message layer only ever sees plaintext.
 */
import { Sv2ProtocolError } from './errors.js';
import { decodeFrameHeader, encodeFrameHeader, FRAME_HEADER_BYTES, type FrameHeader } from './frame-header.js';
import type { MessageDef } from './message.js';

export interface Sv2Frame {
  header: FrameHeader;
  /** Exactly `header.msgLength` bytes (a view; no copy). */
  payload: Uint8Array;
}

export function frameSize<V>(def: MessageDef<V>, value: V): number {
  return FRAME_HEADER_BYTES + def.size(value);
}

/** Writes header + payload at `out[offset..]`; returns the end offset. */
export function encodeFrameInto<V>(def: MessageDef<V>, value: V, out: Uint8Array, offset = 0): number {
  const payloadLength = def.size(value);
  encodeFrameHeader(
    { extensionType: def.extensionType, channelMsg: def.channelMsg, msgType: def.msgType, msgLength: payloadLength },
    out,
    offset,
  );
  return def.encodeInto(value, out, offset + FRAME_HEADER_BYTES);
}

export function encodeFrame<V>(def: MessageDef<V>, value: V): Uint8Array {
  const out = new Uint8Array(frameSize(def, value));
  encodeFrameInto(def, value, out, 0);
  return out;
}

/** Splits exactly one frame: the header's length must match the bytes that follow it. */
export function splitFrame(bytes: Uint8Array): Sv2Frame {
  const header = decodeFrameHeader(bytes);
  const available = bytes.length - FRAME_HEADER_BYTES;
  if (available < header.msgLength) {
    throw new Sv2ProtocolError(
      'truncated',
      `frame says its payload is ${header.msgLength} bytes, only ${available} follow the header`,
    );
  }
  if (available > header.msgLength) {
    throw new Sv2ProtocolError(
      'trailing-bytes',
      `frame says its payload is ${header.msgLength} bytes, but ${available} follow the header`,
    );
  }
  return { header, payload: bytes.subarray(FRAME_HEADER_BYTES) };
}

/**
 * A plaintext frame taken apart for people and scripts (`hashaxe inspect sv2`, logs): the header's raw and
 * decoded fields, the message it names, and every field in wire order with its SV2 type and value. Built from
 * the same message tables the codec uses, so inspection can never disagree with decoding.
 */
import { Sv2ProtocolError } from '../codec/errors.js';
import type { JsonValue } from '../codec/field-types.js';
import { splitFrame } from '../codec/frame.js';
import { FRAME_HEADER_BYTES } from '../codec/frame-header.js';
import { COMMON_MESSAGES } from './common.js';
import { EXTENSION_MESSAGES } from './extensions.js';
import { JOB_DECLARATION_MESSAGES } from './job-declaration.js';
import { MINING_MESSAGES } from './mining.js';
import { decodeFrameMessage } from './registry.js';
import { TEMPLATE_DISTRIBUTION_MESSAGES } from './template-distribution.js';

export type Sv2Subprotocol =
  | 'common'
  | 'mining'
  | 'job-declaration'
  | 'template-distribution'
  | 'extension-negotiation';

const SUBPROTOCOL_OF = new Map<string, Sv2Subprotocol>();
for (const [list, protocol] of [
  [COMMON_MESSAGES, 'common'],
  [MINING_MESSAGES, 'mining'],
  [JOB_DECLARATION_MESSAGES, 'job-declaration'],
  [TEMPLATE_DISTRIBUTION_MESSAGES, 'template-distribution'],
  [EXTENSION_MESSAGES, 'extension-negotiation'],
] as const) {
  for (const def of list) SUBPROTOCOL_OF.set(def.name, protocol);
}

export interface DescribedField {
  /** The spec's field name. */
  name: string;
  /** The spec's type, e.g. `OPTION[U32]`, `SEQ0_255[U256]`. */
  type: string;
  /** Numbers as numbers (U64 beyond 2^53 as a decimal string), bytes as hex, strings as strings. */
  value: JsonValue;
}

export interface FrameDescription {
  /** The 6 header bytes as hex. */
  headerHex: string;
  /** `extension_type` exactly as on the wire (U16, channel bit included). */
  extensionTypeRaw: number;
  /** The extension id: `extension_type` without the channel bit (0 for every core message). */
  extensionId: number;
  channelMsg: boolean;
  msgType: number;
  msgLength: number;
  message: string;
  subprotocol: Sv2Subprotocol;
  /** The channel bit the spec fixes for this message. */
  expectedChannelMsg: boolean;
  /** The frame's channel bit differs from the spec's (SRI ignores it; worth knowing when debugging a peer). */
  channelBitMismatch: boolean;
  fields: DescribedField[];
}

/**
 * Describes exactly one plaintext frame (header + payload, nothing after it). Throws Sv2ProtocolError for a
 * truncated frame, trailing bytes, an unknown message or a payload that does not decode.
 */
export function describeFrame(bytes: Uint8Array): FrameDescription {
  const frame = splitFrame(bytes);
  const { header } = frame;
  let decoded: ReturnType<typeof decodeFrameMessage>;
  try {
    decoded = decodeFrameMessage(frame);
  } catch (err) {
    if (err instanceof Sv2ProtocolError && err.code === 'unknown-message') {
      throw new Sv2ProtocolError(
        'unknown-message',
        `${err.message} (header: extension_type 0x${rawExtension(bytes).toString(16).padStart(4, '0')}, ` +
          `msg_length ${header.msgLength})`,
      );
    }
    throw err;
  }
  const { def, value } = decoded;
  const json = def.toJson(value);
  return {
    headerHex: hex(bytes.subarray(0, FRAME_HEADER_BYTES)),
    extensionTypeRaw: rawExtension(bytes),
    extensionId: header.extensionType,
    channelMsg: header.channelMsg,
    msgType: header.msgType,
    msgLength: header.msgLength,
    message: def.name,
    subprotocol: SUBPROTOCOL_OF.get(def.name) ?? 'common',
    expectedChannelMsg: def.channelMsg,
    channelBitMismatch: decoded.channelBitMismatch,
    fields: def.fields.map((f) => ({ name: f.wireName, type: f.type.name, value: json[f.wireName] })),
  };
}

function rawExtension(bytes: Uint8Array): number {
  return bytes[0] | (bytes[1] << 8);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

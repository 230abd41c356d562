/**
 * Every message hashaxe knows, looked up by (extension id, message type): the one place that maps a frame
 * header to a message definition.
 */
import { Sv2ProtocolError } from '../codec/errors.js';
import type { Sv2Frame } from '../codec/frame.js';
import { splitFrame } from '../codec/frame.js';
import type { MessageDef } from '../codec/message.js';
import { COMMON_MESSAGES } from './common.js';
import { EXTENSION_MESSAGES } from './extensions.js';
import { JOB_DECLARATION_MESSAGES } from './job-declaration.js';
import { MINING_MESSAGES } from './mining.js';
import { TEMPLATE_DISTRIBUTION_MESSAGES } from './template-distribution.js';

/** A message definition whose value type is not known statically (dispatch tables, inspection). */
export type AnyMessageDef = MessageDef<unknown>;

export const ALL_MESSAGES: readonly AnyMessageDef[] = [
  ...COMMON_MESSAGES,
  ...MINING_MESSAGES,
  ...JOB_DECLARATION_MESSAGES,
  ...TEMPLATE_DISTRIBUTION_MESSAGES,
  ...EXTENSION_MESSAGES,
] as unknown as readonly AnyMessageDef[];

const byKey = new Map<number, AnyMessageDef>();
for (const def of ALL_MESSAGES) {
  const key = def.extensionType * 256 + def.msgType;
  if (byKey.has(key)) throw new Error(`two SV2 messages share extension ${def.extensionType} type ${def.msgType}`);
  byKey.set(key, def);
}

/** The definition for a header's (extension id, msg_type), or undefined for messages hashaxe does not know. */
export function messageDefFor(extensionType: number, msgType: number): AnyMessageDef | undefined {
  return byKey.get((extensionType & 0x7fff) * 256 + msgType);
}

export interface DecodedMessage {
  def: AnyMessageDef;
  value: unknown;
  /** The frame's channel bit differs from the one the spec fixes for this message (SRI ignores it; we log it). */
  channelBitMismatch: boolean;
}

/** Decodes a frame's payload with the definition its header names. Throws only Sv2ProtocolError. */
export function decodeFrameMessage(frame: Sv2Frame): DecodedMessage {
  const { header } = frame;
  const def = messageDefFor(header.extensionType, header.msgType);
  if (def === undefined) {
    throw new Sv2ProtocolError(
      'unknown-message',
      `unknown message type 0x${header.msgType.toString(16).padStart(2, '0')} for extension ${header.extensionType}`,
    );
  }
  return { def, value: def.decode(frame.payload), channelBitMismatch: def.channelMsg !== header.channelMsg };
}

/** Splits and decodes one complete plaintext frame (header + payload, nothing after it). */
export function decodeFrameBytes(bytes: Uint8Array): DecodedMessage & { frame: Sv2Frame } {
  const frame = splitFrame(bytes);
  return { frame, ...decodeFrameMessage(frame) };
}

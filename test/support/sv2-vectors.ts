/**
 * Shapes of the SV2 vector files in ../shared/vectors/sv2 and helpers to compare decoded messages with them
 * (the sv2 room's test support).
 */
import type { JsonValue } from '../../src/sv2/codec/field-types.js';

export interface FrameVector {
  message: string;
  extensionType?: number;
  msgType?: number;
  channelMsg?: boolean;
  fields: Record<string, JsonValue>;
  frame: string;
  /** Payload bytes (the header's msg_length). */
  payloadLength?: number;
}

export interface SessionVector {
  frames: Array<{ sender: string; message: string; fields: Record<string, JsonValue>; frame: string }>;
  check: Record<string, unknown>;
}

export interface Sv2FramesFile {
  sriFixtures: FrameVector[];
  catalog: FrameVector[];
  standardSession: SessionVector;
  extendedSession: SessionVector;
  hashrateToTarget: {
    cases: Array<{ nominalHashRate: number; sharesPerMinute: number; targetLE: string; targetBE: string }>;
  };
}

/**
 * The vector files write F32 fields as the JSON number whose float32 is sent (1.0e12 is sent as 999999995904):
 * round those to float32 so they compare with what a decoder returns.
 */
export function normaliseF32(
  fields: Record<string, JsonValue>,
  f32Fields: readonly string[],
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { ...fields };
  for (const k of f32Fields) if (typeof out[k] === 'number') out[k] = Math.fround(out[k] as number);
  return out;
}

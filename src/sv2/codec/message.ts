/**
 * A message is defined once, as data: its name, extension type, message type, channel bit and the ordered list
 * of (spec field name, SV2 type). Encode, decode, size and JSON inspection are derived from that list, so the
 * wire format lives in one table per sub-protocol (messages/*.ts) and nowhere else.
 *
 * TypeScript values use camelCase property names derived from the spec's snake_case names
 * (`channel_id` → `channelId`, `coinbase_tx_input_nSequence` → `coinbaseTxInputNSequence`).
 */
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { Sv2ProtocolError } from './errors.js';
import type { FieldType, JsonValue } from './field-types.js';

export type FieldSpec = readonly [wireName: string, type: FieldType<unknown>];

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
type ValueOfType<T> = T extends FieldType<infer V> ? V : never;

/** The TypeScript value of a message with these fields. */
export type MessageValue<F extends readonly FieldSpec[]> = {
  [P in F[number] as CamelCase<P[0]>]: ValueOfType<P[1]>;
};

/** The value type of a message definition: `type NewMiningJob = ValueOf<typeof NewMiningJob>`. */
export type ValueOf<D> = D extends MessageDef<infer V> ? V : never;

export interface MessageDef<V> {
  /** As the spec names it, e.g. `SetupConnection.Success`. */
  readonly name: string;
  /** Extension id (15 bits; 0 for the core protocols). */
  readonly extensionType: number;
  readonly msgType: number;
  /** The `channel_msg` bit this message is sent with. */
  readonly channelMsg: boolean;
  /** Spec field names and types, in wire order. */
  readonly fields: readonly { readonly wireName: string; readonly key: string; readonly type: FieldType<unknown> }[];
  /** Payload size of `value` (throws Sv2EncodeError naming the field that does not fit). */
  size(value: V): number;
  /** Writes the payload at `out[offset..]` (which must have `size(value)` bytes free); returns the end offset. */
  encodeInto(value: V, out: Uint8Array, offset: number): number;
  /** The payload as a new array. */
  encode(value: V): Uint8Array;
  /**
   * Decodes exactly `payload` (no trailing bytes allowed). Byte fields are views into `payload`.
   * Throws only Sv2ProtocolError.
   */
  decode(payload: Uint8Array): V;
  /** Fields by spec name as plain JSON values (bytes as hex), for inspection and logs. */
  toJson(value: V): Record<string, JsonValue>;
}

export function camelCase(wireName: string): string {
  return wireName.replace(/_([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function defineMessage<const F extends readonly FieldSpec[]>(spec: {
  name: string;
  extensionType?: number;
  msgType: number;
  channelMsg: boolean;
  fields: F;
}): MessageDef<MessageValue<F>> {
  type V = MessageValue<F>;
  const fields = spec.fields.map(([wireName, type]) => ({ wireName, key: camelCase(wireName), type }));
  const name = spec.name;
  // Field access goes through a plain record: the mapped type V is correct at the boundary, not inside.
  type Loose = Record<string, unknown>;

  const size = (value: V): number => {
    const rec = value as unknown as Loose;
    let n = 0;
    for (const f of fields) n += f.type.size(rec[f.key], `${name}.${f.wireName}`);
    return n;
  };
  const write = (value: V, out: Uint8Array, offset: number): number => {
    const rec = value as unknown as Loose;
    const w = new ByteWriter(out, offset);
    for (const f of fields) f.type.write(w, rec[f.key]);
    return w.offset;
  };
  return {
    name,
    extensionType: spec.extensionType ?? 0,
    msgType: spec.msgType,
    channelMsg: spec.channelMsg,
    fields,
    size,
    encodeInto(value, out, offset) {
      const n = size(value);
      if (out.length - offset < n) throw new RangeError(`${name}: needs ${n} bytes, buffer has ${out.length - offset}`);
      const end = write(value, out, offset);
      if (end !== offset + n) throw new Error(`${name}: encoder wrote ${end - offset} bytes, size said ${n}`);
      return end;
    },
    encode(value) {
      const out = new Uint8Array(size(value));
      write(value, out, 0);
      return out;
    },
    decode(payload) {
      const r = new ByteReader(payload);
      const rec: Loose = {};
      for (const f of fields) rec[f.key] = f.type.read(r, `${name}.${f.wireName}`);
      if (r.remaining !== 0) {
        throw new Sv2ProtocolError(
          'trailing-bytes',
          `${name}: ${r.remaining} bytes left over after the last field (payload ${payload.length} bytes)`,
        );
      }
      return rec as unknown as V;
    },
    toJson(value) {
      const rec = value as unknown as Loose;
      const out: Record<string, JsonValue> = {};
      for (const f of fields) out[f.wireName] = f.type.json(rec[f.key]);
      return out;
    },
  };
}

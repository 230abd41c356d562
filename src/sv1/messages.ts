/**
 * The Stratum V1 methods hashaxe speaks, both directions, as data: each method is its name and the ordered list of
 * (wire name, parameter type). Decoding the params of a message, encoding a request line and the error that
 * names a bad field all come from these tables, so what a pool may send is written down once (shared/spec/sv1.md
 * §3–§5; slush's original sheet; BIP310 for mining.configure).
 *
 * TypeScript values use camelCase keys (`clean_jobs` → `cleanJobs`). An `optional` parameter may be missing (or
 * null) at the end of the list. A `last` parameter is read from the final element whatever the count: notify's
 * `clean_jobs` is the last param even when a pool puts extra ones before it (ESP-Miner's test has 10).
 */
import { Sv1ProtocolError } from './errors.js';
import type { Sv1Id } from './json-rpc.js';
import {
  ANY,
  BOOL,
  DIFFICULTY,
  type EncodeStyle,
  EXTRANONCE1,
  EXTRANONCE2_SIZE,
  HOST_OR_SAME,
  hex,
  MASK_HEX,
  MAX_COINBASE_PART_BYTES,
  MERKLE_BRANCHES,
  message,
  NAMES,
  OBJECT,
  type ParamType,
  PORT_OR_SAME,
  PREV_HASH,
  SECONDS_OR_NONE,
  text,
  U32_HEX,
} from './param-types.js';
import { Sv1FieldError } from './wire-format.js';

interface ParamOptions {
  optional?: boolean;
  last?: boolean;
}

export type ParamSpec = readonly [wireName: string, type: ParamType<unknown>, options?: ParamOptions];

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
type ValueOfType<T> = T extends ParamType<infer V> ? V : never;
type IsOptional<P> = P extends readonly [string, ParamType<unknown>, { optional: true }] ? true : false;

/** The TypeScript value of a method's params. */
export type ParamsValue<P extends readonly ParamSpec[]> = {
  [S in P[number] as IsOptional<S> extends true ? never : CamelCase<S[0]>]: ValueOfType<S[1]>;
} & {
  [S in P[number] as IsOptional<S> extends true ? CamelCase<S[0]> : never]?: ValueOfType<S[1]>;
};

export type ValueOf<D> = D extends MethodDef<infer V> ? V : never;

export interface MethodDef<V> {
  /** As on the wire, e.g. `mining.notify`. */
  readonly method: string;
  /** Who sends it. */
  readonly from: 'pool' | 'miner';
  readonly params: readonly { readonly wireName: string; readonly key: string; readonly type: ParamType<unknown> }[];
  /** Checks and converts `params`; throws Sv1ProtocolError('bad-params') naming the method and field. */
  decode(params: readonly unknown[]): V;
  /** The params as a JSON array text. */
  encodeParams(value: V, style?: EncodeStyle): string;
  /** A whole line, `\n` included: a request when `id` is not null, else a notification (`"id":null`). */
  line(id: Sv1Id | null, value: V, style?: EncodeStyle): string;
}

function camelCase(wireName: string): string {
  return wireName.replace(/_([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function defineMethod<const P extends readonly ParamSpec[]>(spec: {
  method: string;
  from: 'pool' | 'miner';
  params: P;
}): MethodDef<ParamsValue<P>> {
  type V = ParamsValue<P>;
  const params = spec.params.map(([wireName, type, options]) => ({
    wireName,
    key: camelCase(wireName),
    type,
    optional: options?.optional === true,
    last: options?.last === true,
    label: `${spec.method} ${wireName}`,
  }));
  const required = params.filter((p) => !p.optional).length;
  const methodJson = JSON.stringify(spec.method);
  const def: MethodDef<V> = {
    method: spec.method,
    from: spec.from,
    params,
    decode(values) {
      if (values.length < required) {
        throw new Sv1ProtocolError(
          'bad-params',
          `${spec.method}: needs ${required} params (${params.map((p) => p.wireName).join(', ')}), got ${values.length}`,
          spec.method,
        );
      }
      const out: Record<string, unknown> = {};
      for (let i = 0; i < params.length; i++) {
        const p = params[i];
        const raw = p.last ? values[values.length - 1] : values[i];
        if (p.optional && (raw === undefined || raw === null)) continue;
        try {
          out[p.key] = p.type.decode(raw, p.label);
        } catch (err) {
          if (err instanceof Sv1FieldError) throw new Sv1ProtocolError('bad-params', err.message, p.label);
          throw err;
        }
      }
      return out as V;
    },
    encodeParams: compileParamsEncoder(spec.method, params),
    line(id, value, style) {
      return `{"id":${id === null ? 'null' : typeof id === 'number' ? id : JSON.stringify(id)},"method":${methodJson},"params":${def.encodeParams(value, style)}}\n`;
    },
  };
  return def;
}

/**
 * A straight-line params encoder generated from the table (as the SV2 codec does, message.ts): one fixed string
 * expression per method instead of a loop of computed property reads and megamorphic calls, so mining.submit,
 * which is on the share's path to the pool, costs a few string joins. Only keys from the tables (checked to be
 * plain identifiers) are spliced into the source; an optional param ends the list when it is undefined.
 */
function compileParamsEncoder<V>(
  method: string,
  params: ReadonlyArray<{ key: string; type: ParamType<unknown>; optional: boolean }>,
): (value: V, style?: EncodeStyle) => string {
  for (const p of params) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.key) || p.key === '__proto__') {
      throw new Error(`${method}: param ${p.key} is not a plain identifier`);
    }
  }
  let body = "let s = '[';\n";
  let close = '';
  params.forEach((p, i) => {
    const sep = i === 0 ? '' : "','";
    const piece = `${sep === '' ? '' : `${sep} + `}t[${i}].encode(value.${p.key}, style)`;
    if (p.optional) {
      body += `if (value.${p.key} !== undefined) {\ns += ${piece};\n`;
      close += '}\n';
    } else {
      body += `s += ${piece};\n`;
    }
  });
  body += `${close}return s + ']';`;
  const factory = new Function('t', `return function encodeParams(value, style) {\n${body}\n};`) as (
    t: ParamType<unknown>[],
  ) => (value: V, style?: EncodeStyle) => string;
  return factory(params.map((p) => p.type));
}

// ---- pool → miner ----

export const Notify = defineMethod({
  method: 'mining.notify',
  from: 'pool',
  params: [
    ['job_id', text(1, 128)],
    ['prevhash', PREV_HASH],
    ['coinb1', hex(MAX_COINBASE_PART_BYTES)],
    ['coinb2', hex(MAX_COINBASE_PART_BYTES)],
    ['merkle_branch', MERKLE_BRANCHES],
    ['version', U32_HEX],
    ['nbits', U32_HEX],
    ['ntime', U32_HEX],
    ['clean_jobs', BOOL, { last: true }],
  ],
});
export type Notify = ValueOf<typeof Notify>;

export const SetDifficulty = defineMethod({
  method: 'mining.set_difficulty',
  from: 'pool',
  params: [['difficulty', DIFFICULTY]],
});
export type SetDifficulty = ValueOf<typeof SetDifficulty>;

export const SetExtranonce = defineMethod({
  method: 'mining.set_extranonce',
  from: 'pool',
  params: [
    ['extranonce1', EXTRANONCE1],
    ['extranonce2_size', EXTRANONCE2_SIZE],
  ],
});
export type SetExtranonce = ValueOf<typeof SetExtranonce>;

export const SetVersionMask = defineMethod({
  method: 'mining.set_version_mask',
  from: 'pool',
  params: [['mask', MASK_HEX]],
});
export type SetVersionMask = ValueOf<typeof SetVersionMask>;

export const Reconnect = defineMethod({
  method: 'client.reconnect',
  from: 'pool',
  params: [
    ['host', HOST_OR_SAME, { optional: true }],
    ['port', PORT_OR_SAME, { optional: true }],
    ['wait', SECONDS_OR_NONE, { optional: true }],
  ],
});
export type Reconnect = ValueOf<typeof Reconnect>;

export const Ping = defineMethod({ method: 'mining.ping', from: 'pool', params: [] });

export const ShowMessage = defineMethod({
  method: 'client.show_message',
  from: 'pool',
  params: [['message', message(1024)]],
});
export type ShowMessage = ValueOf<typeof ShowMessage>;

export const GetVersion = defineMethod({ method: 'client.get_version', from: 'pool', params: [] });

// ---- miner → pool ----

export const Configure = defineMethod({
  method: 'mining.configure',
  from: 'miner',
  params: [
    ['extensions', NAMES],
    ['parameters', OBJECT],
  ],
});
export type Configure = ValueOf<typeof Configure>;

export const Subscribe = defineMethod({
  method: 'mining.subscribe',
  from: 'miner',
  params: [
    ['user_agent', message(256), { optional: true }],
    ['extranonce1', ANY, { optional: true }],
  ],
});
export type Subscribe = ValueOf<typeof Subscribe>;

export const Authorize = defineMethod({
  method: 'mining.authorize',
  from: 'miner',
  params: [
    ['user', text(1, 255)],
    ['password', message(255), { optional: true }],
  ],
});
export type Authorize = ValueOf<typeof Authorize>;

export const SuggestDifficulty = defineMethod({
  method: 'mining.suggest_difficulty',
  from: 'miner',
  params: [['difficulty', DIFFICULTY]],
});
export type SuggestDifficulty = ValueOf<typeof SuggestDifficulty>;

export const ExtranonceSubscribe = defineMethod({ method: 'mining.extranonce.subscribe', from: 'miner', params: [] });

export const Submit = defineMethod({
  method: 'mining.submit',
  from: 'miner',
  params: [
    ['user', text(1, 255)],
    ['job_id', text(1, 128)],
    ['extranonce2', hex(32)],
    ['ntime', U32_HEX],
    ['nonce', U32_HEX],
    ['version_bits', U32_HEX, { optional: true }],
  ],
});
export type Submit = ValueOf<typeof Submit>;

/** Every method by name, for dispatch and inspection. */
export const METHODS: ReadonlyMap<string, MethodDef<unknown>> = new Map(
  [
    Notify,
    SetDifficulty,
    SetExtranonce,
    SetVersionMask,
    Reconnect,
    Ping,
    ShowMessage,
    GetVersion,
    Configure,
    Subscribe,
    Authorize,
    SuggestDifficulty,
    ExtranonceSubscribe,
    Submit,
  ].map((d) => [d.method, d as MethodDef<unknown>]),
);

// ---- results of miner requests ----

/** mining.subscribe's result: `[subscriptions, extranonce1, extranonce2_size]` (the list is informational). */
export const SubscribeResult = defineMethod({
  method: 'mining.subscribe result',
  from: 'pool',
  params: [
    ['subscriptions', ANY],
    ['extranonce1', EXTRANONCE1],
    ['extranonce2_size', EXTRANONCE2_SIZE],
  ],
});
export type SubscribeResult = ValueOf<typeof SubscribeResult>;

/** What mining.configure's result says about version rolling (BIP310). */
export interface VersionRollingGrant {
  /** False when the pool said no, answered an error string, or left the extension out. */
  granted: boolean;
  /** The mask the pool allows (0 when not granted). */
  mask: number;
  /** Why not, when not. */
  reason: string | null;
}

export function decodeConfigureResult(result: unknown): VersionRollingGrant {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    throw new Sv1ProtocolError('bad-result', 'mining.configure result must be an object', 'mining.configure result');
  }
  const r = result as Record<string, unknown>;
  const vr = r['version-rolling'];
  if (vr !== true) {
    const reason = typeof vr === 'string' ? vr : vr === false ? 'the pool said no' : 'not in the answer';
    return { granted: false, mask: 0, reason };
  }
  try {
    const mask = MASK_HEX.decode(r['version-rolling.mask'], 'mining.configure result version-rolling.mask');
    return mask === 0
      ? { granted: false, mask: 0, reason: 'the pool granted an empty mask' }
      : { granted: true, mask, reason: null };
  } catch (err) {
    if (err instanceof Sv1FieldError) throw new Sv1ProtocolError('bad-result', err.message, err.field);
    throw err;
  }
}

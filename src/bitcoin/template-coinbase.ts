/**
 * The device's own coinbase for a node template:
 *
 *   version ‖ [00 01] ‖ 01 ‖ 32×00 ffffffff ‖ len ‖ scriptSig ‖ sequence ‖ count ‖ own outputs ‖ template outputs
 *           ‖ [01 20 ‖ witness reserved value] ‖ locktime
 *   scriptSig = template prefix (BIP34 height) ‖ tag push ‖ OP_PUSHBYTES_n ‖ extranonce prefix ‖ rolled bytes
 *
 * The extranonce is the last push, as SV2 extended channels and job declaration lay it out (a pool's
 * extranonce_prefix goes where a solo device puts its per-session random bytes), so the same coinbase serves solo
 * mining now and a declared job later. The engine hashes the non-witness form split around the rolled bytes; the
 * block carries the witness form (BIP141), which is why both are kept here.
 */
import { compactSize, MAX_COINBASE_SCRIPT_SIG, pushBytes, serializeOutputs, type TxOutput } from './coinbase.js';
import type { TemplateCoinbaseRules } from './node-template.js';

export class TemplateCoinbaseError extends Error {
  override readonly name = 'TemplateCoinbaseError';
}

export interface CoinbaseLayout {
  /** The device's outputs, before the template's; their values must not exceed the template's remaining value. */
  payouts: readonly TxOutput[];
  /** Pushed after the template's scriptSig prefix (a miner tag such as "/hashaxe/"); may be empty. */
  tag: Uint8Array;
  /** Fixed bytes at the start of the extranonce push (per-session random bytes; a pool's prefix in JD). */
  extranoncePrefix: Uint8Array;
  /** Bytes the device rolls at the end of the scriptSig. */
  extranonceSize: number;
}

export interface TemplateCoinbase {
  /** The non-witness serialization before the rolled bytes (what a job's coinbase header source carries). */
  prefix: Uint8Array;
  /** ... and after them. */
  suffix: Uint8Array;
  extranonceSize: number;
  scriptSigLength: number;
  /** Serialized size of the device's own outputs (what CoinbaseOutputConstraints bounds). */
  payoutOutputsBytes: number;
  /** BIP141 weight of the coinbase in the block. */
  weight: number;
  /** The full coinbase for the block: witness form when the template commits to witnesses. */
  forBlock(extranonce: Uint8Array): Uint8Array;
  /** The non-witness serialization (whose hash is the txid). */
  withoutWitness(extranonce: Uint8Array): Uint8Array;
}

/** Builds the coinbase pieces; throws TemplateCoinbaseError when the layout cannot fit the template's rules. */
export function buildTemplateCoinbase(rules: TemplateCoinbaseRules, layout: CoinbaseLayout): TemplateCoinbase {
  const n = layout.extranoncePrefix.length + layout.extranonceSize;
  if (layout.extranonceSize < 1) throw new TemplateCoinbaseError('the rolled extranonce needs at least 1 byte');
  if (n > 75) throw new TemplateCoinbaseError(`an extranonce of ${n} bytes does not fit one push (75 at most)`);
  if (layout.tag.length > 75)
    throw new TemplateCoinbaseError(`a coinbase tag of ${layout.tag.length} bytes is too long`);
  const tag = layout.tag.length > 0 ? pushBytes(layout.tag) : new Uint8Array(0);
  const scriptSigLength = rules.scriptSigPrefix.length + tag.length + 1 + n;
  if (scriptSigLength > MAX_COINBASE_SCRIPT_SIG) {
    throw new TemplateCoinbaseError(
      `the coinbase scriptSig would be ${scriptSigLength} bytes (the template's ${rules.scriptSigPrefix.length}, ` +
        `tag ${tag.length}, extranonce ${1 + n}); consensus allows ${MAX_COINBASE_SCRIPT_SIG}`,
    );
  }
  let paid = 0n;
  for (const p of layout.payouts) {
    if (p.valueSats < 0n) throw new TemplateCoinbaseError('a payout value is negative');
    paid += p.valueSats;
  }
  if (paid > rules.valueRemainingSats) {
    throw new TemplateCoinbaseError(
      `the payouts take ${paid} sat but the template leaves ${rules.valueRemainingSats} sat (the block would be bad-cb-amount)`,
    );
  }
  const own = serializeOutputs(layout.payouts).subarray(compactSize(layout.payouts.length).length);
  const all = serializeOutputs([...layout.payouts, ...rules.outputs]);
  const version = u32le(rules.txVersion);
  // Non-witness prefix: everything up to the rolled bytes.
  const prefix = concat([
    version,
    Uint8Array.of(1),
    new Uint8Array(32),
    Uint8Array.of(0xff, 0xff, 0xff, 0xff),
    compactSize(scriptSigLength),
    rules.scriptSigPrefix,
    tag,
    Uint8Array.of(n),
    layout.extranoncePrefix,
  ]);
  const locktime = u32le(rules.locktime);
  const outputsAndSequence = concat([u32le(rules.sequence), all]);
  const suffix = concat([outputsAndSequence, locktime]);
  const reserved = rules.witnessReservedValue;
  const witness = reserved === null ? null : concat([Uint8Array.of(1), compactSize(reserved.length), reserved]);
  const size = layout.extranonceSize;
  const baseBytes = prefix.length + size + suffix.length;
  const weight = witness === null ? baseBytes * 4 : baseBytes * 4 + 2 + witness.length;
  if (rules.maxWeight !== null && weight > rules.maxWeight) {
    throw new TemplateCoinbaseError(
      `the coinbase would weigh ${weight} WU but the template leaves ${Math.max(0, rules.maxWeight)} WU for it: the block would exceed the weight limit (bad-blk-weight)`,
    );
  }
  const withoutWitness = (extranonce: Uint8Array): Uint8Array => {
    if (extranonce.length !== size)
      throw new TemplateCoinbaseError(`extranonce must be ${size} bytes, got ${extranonce.length}`);
    return concat([prefix, extranonce, suffix]);
  };
  return {
    prefix,
    suffix,
    extranonceSize: size,
    scriptSigLength,
    payoutOutputsBytes: own.length,
    weight,
    withoutWitness,
    forBlock(extranonce) {
      if (witness === null) return withoutWitness(extranonce);
      if (extranonce.length !== size)
        throw new TemplateCoinbaseError(`extranonce must be ${size} bytes, got ${extranonce.length}`);
      return concat([
        version,
        Uint8Array.of(0, 1),
        prefix.subarray(4),
        extranonce,
        outputsAndSequence,
        witness,
        locktime,
      ]);
    },
  };
}

function u32le(v: number): Uint8Array {
  return Uint8Array.of(v, v >>> 8, v >>> 16, v >>> 24);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Bitcoin Core's `getblocktemplate` answer (BIP22/23, Core's src/rpc/mining.cpp) read field by field into a
 * NodeTemplate. The answer is untrusted input: every field is checked for type, shape and range, and an error
 * names the field (`getblocktemplate: transactions[3].txid must be 64 hex digits`).
 *
 * Byte orders: `previousblockhash`, `txid` and `hash` come in display order and are reversed here; `data` is the
 * full serialization with witness, used unchanged; `bits` is the compact target as big-endian hex.
 *
 * The template's txids are taken as the node states them (as pools do): hashing every transaction of a full
 * mempool would cost far more than the rest of a template switch. A node that lied about a txid would only make
 * its own block invalid, and the synthetic node's full check catches such a mismatch in tests.
 */
import { bip34HeightPush } from '../../bitcoin/coinbase.js';
import { merklePathOfFirst } from '../../bitcoin/merkle.js';
import { type NodeTemplate, rollableVersionBits, type TemplateTransaction } from '../../bitcoin/node-template.js';
import { nbitsToTarget } from '../../bitcoin/target.js';
import { describe, type Json, JsonReader } from '../../config/json-reader.js';
import { hexToBytes } from '../../util/hex.js';
import { TemplateSourceError } from '../template-source.js';

/** Rules a template may require (a `!` prefix) that the device's coinbase and blocks already honour. */
const UNDERSTOOD_RULES = new Set(['segwit', 'csv', 'taproot']);

export interface GbtOptions {
  /** A local id for the template. */
  id: bigint;
  /**
   * The coinbase's nSequence and nLockTime. Default: what Core's own block assembler uses since it prepares for
   * BIP54 (sequence 0xfffffffe, locktime height − 1), which every current node accepts.
   */
  coinbaseSequence?: number;
  coinbaseLocktime?: number;
  /** Coinbase transaction version (default 2). */
  coinbaseTxVersion?: number;
}

/** What else the RPC source needs from the answer besides the template. */
export interface GbtTemplate {
  template: NodeTemplate;
  /** For the next longpoll. */
  longpollId: string | null;
  /** Earliest valid ntime. */
  minTime: number;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

function reader(): JsonReader {
  return new JsonReader('getblocktemplate', (source, field, detail) => {
    return new TemplateSourceError('protocol', `${source}: ${field === '' ? '' : `${field} `}${detail}`);
  });
}

/** Reads a `getblocktemplate` result; throws TemplateSourceError('protocol') naming the bad field. */
export function parseBlockTemplate(result: unknown, options: GbtOptions): GbtTemplate {
  const r: JsonReader = reader();
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    r.fail('', `must answer with an object, got ${describe(result)}`);
  }
  const o = result as Json;
  const version = r.number(o, 'version', '', { min: 0, max: 0xffffffff, integer: true }) >>> 0;
  const height = r.number(o, 'height', '', { min: 1, max: 0x7fffffff, integer: true });
  const bitsText = r.string(o, 'bits', '', /^[0-9a-fA-F]{8}$/, '8 hex digits');
  const nbits = Number.parseInt(bitsText, 16) >>> 0;
  let target: bigint;
  try {
    target = nbitsToTarget(nbits);
  } catch (err) {
    r.fail('bits', (err as Error).message);
  }
  const prevText = r.string(o, 'previousblockhash', '', HEX64, '64 hex digits');
  const curtime = r.number(o, 'curtime', '', { min: 0, max: 0xffffffff, integer: true });
  const minTime = 'mintime' in o ? r.number(o, 'mintime', '', { min: 0, max: 0xffffffff, integer: true }) : 0;
  const coinbaseValue = r.number(o, 'coinbasevalue', '', { min: 0, max: 21e14, integer: true });
  let rules: unknown[] = [];
  if ('rules' in o) {
    if (!Array.isArray(o.rules)) r.fail('rules', `must be a list, got ${describe(o.rules)}`);
    rules = o.rules;
  }
  for (const [i, rule] of rules.entries()) {
    if (typeof rule !== 'string') r.fail(`rules[${i}]`, `must be a string, got ${describe(rule)}`);
    if (rule === '!signet') {
      r.fail(
        'rules',
        "names signet: signet blocks must carry the signet signer's signature, which a miner cannot make",
      );
    }
    if (rule.startsWith('!') && !UNDERSTOOD_RULES.has(rule.slice(1))) {
      r.fail(
        'rules',
        `requires ${JSON.stringify(rule.slice(1))}, a rule hashaxe does not implement (BIP9: refuse such a template)`,
      );
    }
  }
  let deploymentBits = 0;
  if ('vbavailable' in o) {
    const av = objectField(r, o.vbavailable, 'vbavailable');
    for (const name of Object.keys(av)) {
      const bit = r.number(av, name, 'vbavailable', { min: 0, max: 28, integer: true });
      deploymentBits |= 1 << bit;
    }
  }
  if ('vbrequired' in o) deploymentBits |= r.number(o, 'vbrequired', '', { min: 0, max: 0xffffffff, integer: true });
  let commitment: Uint8Array | null = null;
  if ('default_witness_commitment' in o) {
    const text = r.string(
      o,
      'default_witness_commitment',
      '',
      /^6a24aa21a9ed[0-9a-fA-F]{64}$/i,
      'a 38-byte witness commitment script',
    );
    commitment = hexToBytes(text);
  }
  const txList = o.transactions;
  if (!Array.isArray(txList)) r.fail('transactions', `must be a list, got ${describe(txList)}`);
  const transactions: TemplateTransaction[] = [];
  const leaves: Uint8Array[] = [new Uint8Array(32)];
  let fees = 0n;
  let txWeight = 0;
  for (let i = 0; i < txList.length; i++) {
    const path = `transactions[${i}]`;
    const t = objectField(r, txList[i], path);
    const data = r.string(t, 'data', path);
    if (data.length % 2 !== 0 || data.length < 120 || !/^[0-9a-fA-F]*$/.test(data)) {
      r.fail(`${path}.data`, 'must be the transaction as an even number of hex digits');
    }
    const txid = hexToBytes(r.string(t, 'txid', path, HEX64, '64 hex digits')).reverse();
    const wtxid = 'hash' in t ? hexToBytes(r.string(t, 'hash', path, HEX64, '64 hex digits')).reverse() : txid;
    const fee = 'fee' in t ? BigInt(r.number(t, 'fee', path, { min: 0, max: 21e14, integer: true })) : null;
    // Without a stated weight, four times the full size bounds it from above.
    txWeight += 'weight' in t ? r.number(t, 'weight', path, { min: 1, max: 4e6, integer: true }) : data.length * 2;
    if (fee !== null) fees += fee;
    transactions.push({ data: hex(data), txid, wtxid, feeSats: fee });
    leaves.push(txid);
  }
  const weightLimit =
    'weightlimit' in o ? r.number(o, 'weightlimit', '', { min: 1, max: 4e6, integer: true }) : 4_000_000;
  // Header and the transaction count's CompactSize (at most 3 bytes below 65536 transactions), times 4.
  const maxWeight = weightLimit - (80 + 3) * 4 - txWeight;
  const longpollId = 'longpollid' in o ? r.string(o, 'longpollid', '') : null;
  const template: NodeTemplate = {
    id: options.id,
    height,
    version,
    versionRollingMask: rollableVersionBits(version, deploymentBits),
    prevHash: hexToBytes(prevText).reverse(),
    nbits,
    target,
    // Core's curtime is already at least mintime; a node clock behind the chain's median is its problem, not ours.
    ntime: Math.max(curtime, minTime),
    coinbase: {
      txVersion: options.coinbaseTxVersion ?? 2,
      scriptSigPrefix: bip34HeightPush(height),
      sequence: options.coinbaseSequence ?? 0xfffffffe,
      locktime: options.coinbaseLocktime ?? height - 1,
      valueRemainingSats: BigInt(coinbaseValue),
      outputs: commitment === null ? [] : [{ valueSats: 0n, script: commitment }],
      witnessReservedValue: commitment === null ? null : new Uint8Array(32),
      maxWeight,
    },
    merklePath: merklePathOfFirst(leaves),
    transactions,
    transactionCount: transactions.length,
    feesSats: transactions.every((t) => t.feeSats !== null) ? fees : null,
  };
  return { template, longpollId, minTime };
}

/**
 * An object whose unknown keys are ignored: a node's answer may carry fields newer than this code (the config
 * reader's strictness would refuse a template from the next Core release).
 */
function objectField(r: JsonReader, value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    r.fail(path, `must be an object, got ${describe(value)}`);
  return value as Json;
}

/** Hex that a pattern already checked (Buffer's native decoder: a full mempool is megabytes of it). */
function hex(text: string): Uint8Array {
  const b = Buffer.from(text, 'hex');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

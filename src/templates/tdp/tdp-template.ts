/**
 * Template Distribution's NewTemplate + SetNewPrevHash (spec §7; templates.md §2) read into a NodeTemplate, and
 * the CoinbaseOutputConstraints the device declares for its own outputs.
 *
 * What differs from getblocktemplate: the TP fixes the coinbase's version, scriptSig prefix (the BIP34 height),
 * nSequence and nLockTime, which the device copies unchanged (a pool rebuilds the coinbase from them in job
 * declaration); `coinbase_tx_outputs` carries `coinbase_tx_outputs_count` outputs with no count of its own; the
 * template's transactions arrive only on request (RequestTransactionData), so the height is read from the
 * prefix and the transaction count stays unknown until then.
 */
import type { TxOutput } from '../../bitcoin/coinbase.js';
import { type NodeTemplate, rollableVersionBits } from '../../bitcoin/node-template.js';
import { leBytesToTarget, nbitsToTarget } from '../../bitcoin/target.js';
import type { NewTemplate, TdSetNewPrevHash } from '../../sv2/messages/template-distribution.js';
import { TemplateSourceError } from '../template-source.js';

const COMMITMENT_HEADER = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/** Builds the template a SetNewPrevHash activates. Throws TemplateSourceError('protocol') for malformed fields. */
export function templateFromTdp(nt: NewTemplate, ph: TdSetNewPrevHash): NodeTemplate {
  if (nt.templateId !== ph.templateId) {
    throw new TemplateSourceError('protocol', `SetNewPrevHash names template ${ph.templateId}, not ${nt.templateId}`);
  }
  let target: bigint;
  try {
    target = nbitsToTarget(ph.nbits);
  } catch (err) {
    throw new TemplateSourceError('protocol', `SetNewPrevHash: ${(err as Error).message}`);
  }
  const stated = leBytesToTarget(ph.target);
  if (stated !== target) {
    throw new TemplateSourceError('protocol', `SetNewPrevHash: target does not match nbits 0x${ph.nbits.toString(16)}`);
  }
  const outputs = parseOutputs(nt.coinbaseTxOutputs, nt.coinbaseTxOutputsCount);
  const commits = outputs.some((o) => o.script.length >= 38 && COMMITMENT_HEADER.every((b, i) => o.script[i] === b));
  const height = heightFromScriptSig(nt.coinbasePrefix);
  if (height === null) {
    throw new TemplateSourceError('protocol', 'NewTemplate: coinbase_prefix does not start with a BIP34 height push');
  }
  return {
    id: nt.templateId,
    height,
    version: nt.version >>> 0,
    versionRollingMask: rollableVersionBits(nt.version >>> 0),
    prevHash: ph.prevHash.slice(),
    nbits: ph.nbits >>> 0,
    target,
    ntime: ph.headerTimestamp >>> 0,
    coinbase: {
      txVersion: nt.coinbaseTxVersion >>> 0,
      scriptSigPrefix: nt.coinbasePrefix.slice(),
      sequence: nt.coinbaseTxInputSequence >>> 0,
      locktime: nt.coinbaseTxLocktime >>> 0,
      valueRemainingSats: nt.coinbaseTxValueRemaining,
      outputs,
      // sv2-tp's RequestTransactionData answers excess_data = 32 zero bytes: the value its commitment used.
      witnessReservedValue: commits ? new Uint8Array(32) : null,
      // The TP sized the block from our CoinbaseOutputConstraints.
      maxWeight: null,
    },
    merklePath: nt.merklePath.map((p) => p.slice()),
    transactions: null,
    transactionCount: null,
    feesSats: null,
  };
}

/** `count` serialized outputs (value LE, CompactSize script length, script) with nothing after them. */
export function parseOutputs(bytes: Uint8Array, count: number): TxOutput[] {
  const out: TxOutput[] = [];
  let o = 0;
  const fail = (why: string): never => {
    throw new TemplateSourceError('protocol', `NewTemplate: coinbase_tx_outputs ${why}`);
  };
  for (let i = 0; i < count; i++) {
    if (o + 9 > bytes.length) fail(`ends inside output ${i} of ${count}`);
    let value = 0n;
    for (let j = 7; j >= 0; j--) value = (value << 8n) | BigInt(bytes[o + j]);
    o += 8;
    let len = bytes[o++];
    if (len === 0xfd) {
      if (o + 2 > bytes.length) fail(`ends inside output ${i}'s script length`);
      len = bytes[o] | (bytes[o + 1] << 8);
      o += 2;
    } else if (len > 0xfd) {
      fail(`output ${i} has an impossible script length`);
    }
    if (o + len > bytes.length) fail(`output ${i}'s script runs past the end`);
    out.push({ valueSats: value, script: bytes.slice(o, o + len) });
    o += len;
  }
  if (o !== bytes.length) fail(`has ${bytes.length - o} bytes after its ${count} outputs`);
  return out;
}

/** The height a scriptSig starts with (BIP34: OP_0, OP_1..OP_16 or a minimal little-endian push), or null. */
export function heightFromScriptSig(script: Uint8Array): number | null {
  if (script.length === 0) return null;
  const op = script[0];
  if (op === 0x00) return 0;
  if (op >= 0x51 && op <= 0x60) return op - 0x50;
  if (op < 1 || op > 5 || script.length < 1 + op) return null;
  let v = 0;
  for (let i = op; i >= 1; i--) v = v * 256 + script[i];
  return v;
}

/**
 * What the device declares in CoinbaseOutputConstraints for its own outputs: their serialized size (8-byte value,
 * CompactSize length, script) and legacy sigops × 4 (a P2PKH output's OP_CHECKSIG counts 4; templates.md §2.3).
 */
export function coinbaseOutputConstraints(outputs: readonly TxOutput[]): { size: number; sigops: number } {
  let size = 0;
  let sigops = 0;
  for (const o of outputs) {
    size += 8 + (o.script.length < 0xfd ? 1 : 3) + o.script.length;
    const s = o.script;
    if (s.length === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[24] === 0xac) sigops += 4;
  }
  return { size, sigops };
}

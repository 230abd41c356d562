/**
 * Transactions for the synthetic node's mempool: well-formed Bitcoin transactions (one input, two outputs; a
 * P2WPKH spend with a witness or a P2PKH spend with a scriptSig) whose signatures and keys are random bytes of the
 * right shape. They parse, hash and weigh like real ones, so templates, witness commitments and block checks run
 * on real structure; nothing here could be spent on a real network (the synthetic node runs no scripts).
 */
import { compactSize, pushBytes, serializeOutputs } from '../../bitcoin/coinbase.js';
import { parseTransaction, transactionWeight, txidOf, wtxidOf } from '../../bitcoin/transaction.js';

export interface SyntheticTransaction {
  /** Full serialization (witness included). */
  data: Uint8Array;
  /** Internal byte order. */
  txid: Uint8Array;
  wtxid: Uint8Array;
  feeSats: bigint;
  weight: number;
  /** Legacy sigops × 4, as getblocktemplate reports them (one OP_CHECKSIG in a P2PKH output script). */
  sigops: number;
  /** txids (internal) of mempool transactions this one spends. */
  spends: Uint8Array[];
}

/**
 * A transaction spending output 0 of `parent` (a mempool transaction, so it depends on it) or of a random
 * confirmed-looking txid.
 */
export function makeSyntheticTransaction(
  random: (n: number) => Uint8Array,
  options: { segwit: boolean; parent: Uint8Array | null },
): SyntheticTransaction {
  const r = random(4);
  const feeSats = BigInt(1000 + ((r[0] << 8) | r[1]) * 2);
  const prevTxid = options.parent ?? random(32);
  const signature = Uint8Array.of(0x30, 0x44, 0x02, 0x20, ...random(32), 0x02, 0x20, ...random(32), 0x01);
  const pubkey = Uint8Array.of(0x02 | (r[2] & 1), ...random(32));
  const scriptSig = options.segwit ? new Uint8Array(0) : concat([pushBytes(signature), pushBytes(pubkey)]);
  const p2wpkh = Uint8Array.of(0x00, 0x14, ...random(20));
  const p2pkh = Uint8Array.of(0x76, 0xa9, 0x14, ...random(20), 0x88, 0xac);
  const outputs = serializeOutputs([
    { valueSats: 10_000n + BigInt(r[3]) * 1000n, script: p2wpkh },
    { valueSats: 50_000n, script: r[3] & 1 ? p2pkh : Uint8Array.of(0x00, 0x14, ...random(20)) },
  ]);
  const input = concat([prevTxid, u32le(0), compactSize(scriptSig.length), scriptSig, u32le(0xfffffffd)]);
  const witness = options.segwit
    ? concat([Uint8Array.of(2), compactSize(signature.length), signature, compactSize(pubkey.length), pubkey])
    : new Uint8Array(0);
  const data = concat([
    u32le(2),
    options.segwit ? Uint8Array.of(0, 1) : new Uint8Array(0),
    Uint8Array.of(1),
    input,
    outputs,
    witness,
    u32le(0),
  ]);
  const tx = parseTransaction(data);
  const sigops = tx.outputs.reduce((n, o) => n + (o.script.length === 25 && o.script[24] === 0xac ? 4 : 0), 0);
  return {
    data,
    txid: txidOf(tx),
    wtxid: wtxidOf(tx),
    feeSats,
    weight: transactionWeight(tx),
    sigops,
    spends: options.parent === null ? [] : [options.parent],
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

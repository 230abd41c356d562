/**
 * A winning nonce turned into the block the network needs: the header the chips hashed (rebuilt from the share's
 * version, ntime, nonce and rolled extranonce), the coinbase in its witness form, and the template's
 * transactions in order. Everything comes from the template and the share; nothing is looked up.
 */
import { serializeBlock } from './block.js';
import { encodeHeader } from './header.js';
import { merkleRootFromPath } from './merkle.js';
import type { NodeTemplate } from './node-template.js';
import { sha256d } from './sha256.js';
import type { TemplateCoinbase } from './template-coinbase.js';

export interface BlockSolution {
  extranonce: Uint8Array;
  version: number;
  ntime: number;
  nonce: number;
}

export interface AssembledBlock {
  /** The 80-byte header. */
  header: Uint8Array;
  /** Block hash, internal byte order (display it reversed). */
  hash: Uint8Array;
  /** The coinbase as it goes into the block (witness form when the template commits to witnesses). */
  coinbase: Uint8Array;
  /** The whole block; null when the template's transactions are not known here (a TP has them). */
  block: Uint8Array | null;
}

export function assembleBlock(template: NodeTemplate, coinbase: TemplateCoinbase, s: BlockSolution): AssembledBlock {
  const txid = sha256d(coinbase.withoutWitness(s.extranonce));
  const header = encodeHeader({
    version: s.version,
    prevHash: template.prevHash,
    merkleRoot: merkleRootFromPath(txid, template.merklePath),
    time: s.ntime,
    bits: template.nbits,
    nonce: s.nonce,
  });
  const cb = coinbase.forBlock(s.extranonce);
  const txs = template.transactions;
  return {
    header,
    hash: sha256d(header),
    coinbase: cb,
    block: txs === null ? null : serializeBlock(header, [cb, ...txs.map((t) => t.data)]),
  };
}

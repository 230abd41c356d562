/**
 * Where the owner's own block templates come from: Bitcoin Core over JSON-RPC (`getblocktemplate`), or an SV2
 * Template Provider over Noise (Template Distribution). Both hand out the same protocol-neutral NodeTemplate and
 * take a finished block back, so solo mining (and, later, job declaration) is written once against this.
 */
import type { Chain } from '../bitcoin/address.js';
import type { NodeTemplate } from '../bitcoin/node-template.js';
import type { TypedEmitter } from '../util/typed-emitter.js';

/** Why a template source could not start or went away; `code` is stable for tests and the CLI's exit status. */
export type TemplateSourceErrorCode =
  /** TCP refused, DNS, timeout: nothing answered. */
  | 'unreachable'
  /** The node refused the credentials (HTTP 401/403) or the TP's certificate did not check out. */
  | 'unauthorized'
  /** The node is still in initial block download (or has no peers, on mainnet): its templates would be stale. */
  | 'initial-block-download'
  /** The source runs another chain than the payout address belongs to. */
  | 'wrong-network'
  /** The device's coinbase does not fit what the source allows (CoinbaseOutputConstraints, scriptSig size). */
  | 'constraints'
  /** The peer answered something that is not what the protocol says (a malformed template, an RPC error). */
  | 'protocol'
  /** Configuration that cannot work (a bad URL, an unreadable cookie file). */
  | 'config'
  /** The connection went away after it worked. */
  | 'disconnected';

export class TemplateSourceError extends Error {
  override readonly name = 'TemplateSourceError';
  constructor(
    readonly code: TemplateSourceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a source reports once it can hand out templates. */
export interface TemplateSourceInfo {
  /** `node` (Bitcoin Core RPC) or `template-provider` (SV2 TDP). */
  kind: TemplateSourceKind;
  /** Where templates come from, credentials left out: `http://127.0.0.1:8332`, `sv2+tcp://127.0.0.1:8442`. */
  endpoint: string;
  /** The chain the source mines on (reported by the node, or configured for a TP). */
  chain: Chain;
  /** A short description for the log: "Bitcoin Core v31.0 (regtest), height 108". */
  description: string;
  /** True when the peer was authenticated (RPC credentials accepted; a TP's certificate checked against its key). */
  authenticated: boolean;
}

export type TemplateSourceKind = 'node' | 'template-provider';

/** A template to mine now. `newTip` when it builds on another block than the one before it. */
export interface TemplateEvent {
  template: NodeTemplate;
  newTip: boolean;
}

/** What the node said about a submitted block. */
export type BlockAnswerKind =
  /** Accepted and connected (submitblock null; the TP's next prev hash is this block). */
  | 'accepted'
  /** Refused; `reason` is the node's BIP22 string (bad-cb-height, high-hash, …). */
  | 'rejected'
  /** The node already had it. */
  | 'duplicate'
  /** Stored but not on the best chain (another block won the race). */
  | 'inconclusive'
  /** Sent, and nothing says whether it was taken (a TP moved on to another tip, or never answered). */
  | 'unconfirmed'
  /** Could not be delivered (the connection was down). */
  | 'error';

export interface BlockAnswer {
  kind: BlockAnswerKind;
  /** The node's words (null for a plain acceptance). */
  reason: string | null;
}

/** A block ready for the node: the whole block (RPC) or what a TP needs to rebuild it (TDP). */
export interface BlockSubmission {
  template: NodeTemplate;
  /** The 80-byte header and the coinbase in its block (witness) form. */
  header: Uint8Array;
  coinbase: Uint8Array;
  /** The whole block, or null when the source keeps the transactions itself (a TP). */
  block: Uint8Array | null;
  /** Internal byte order. */
  hash: Uint8Array;
}

export interface TemplateSourceEvents {
  template: TemplateEvent;
  warning: { message: string };
  /** Gone after it worked; a source does not reconnect by itself (the daemon's failover decides). */
  down: { code: TemplateSourceErrorCode; reason: string };
  /** A source that checks a template's transactions after it is mined (TDP): `transactionCount` is now known. */
  transactions: { template: NodeTemplate };
  /** A TDP source: every decrypted frame, before it is decoded (tracing and latency measurement). */
  frame: { msgType: number; payloadBytes: number };
}

export interface TemplateSource extends TypedEmitter<TemplateSourceEvents> {
  readonly kind: TemplateSourceKind;
  /** Credential-free, for logs and the API. */
  readonly endpoint: string;
  readonly connected: boolean;
  /**
   * Connects, checks the peer (auth, chain, sync state), asks for templates, and resolves once the first template
   * is in `current`. `template` events follow for every later one. Rejects with TemplateSourceError.
   */
  connect(): Promise<TemplateSourceInfo>;
  /** The template the source would mine now. */
  readonly current: NodeTemplate | null;
  /** Delivers a block; resolves with the node's answer (never rejects: an undeliverable block is kind `error`). */
  submitBlock(block: BlockSubmission): Promise<BlockAnswer>;
  close(reason: string): void;
}

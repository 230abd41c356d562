/**
 * A synthetic SV2 Template Provider (Template Distribution over Noise), serving a SyntheticNodeChain the way
 * sv2-tp serves Bitcoin Core (templates.md §2): it waits for CoinbaseOutputConstraints before sending anything;
 * every new block brings NewTemplate (future) + SetNewPrevHash together; mempool growth brings a non-future
 * NewTemplate at most every `templateIntervalMs`; template ids count across connections; the coinbase prefix is
 * the BIP34 push, sequence 0xfffffffe, locktime height − 1; RequestTransactionData answers with the 32-byte
 * witness reserved value and the transactions; SubmitSolution gets no reply — the provider rebuilds the block
 * (its template, the miner's coinbase, the header fields) and hands it to the chain, whose verdict it logs and
 * counts. A connection that sends anything out of place is closed with a reason.
 *
 *   const tp = await SyntheticTemplateProvider.start({ chain: { nbits: 0x207fffff } });
 *   tp.url     // sv2+tcp://127.0.0.1:41235/9b… (authority key included)
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { serializeBlock } from '../../bitcoin/block.js';
import { bip34HeightPush, serializeOutputs } from '../../bitcoin/coinbase.js';
import { encodeHeader } from '../../bitcoin/header.js';
import { merkleRootFromPath } from '../../bitcoin/merkle.js';
import { nbitsToTarget, targetToLeBytes } from '../../bitcoin/target.js';
import { parseTransaction, TransactionError, txidOf } from '../../bitcoin/transaction.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { formatSv2Url } from '../client/url.js';
import { type Clock, systemClock } from '../clock.js';
import { Sv2ProtocolError } from '../codec/errors.js';
import type { Sv2Frame } from '../codec/frame.js';
import { type Sv2Logger, silentLogger } from '../logger.js';
import {
  PROTOCOL_TEMPLATE_DISTRIBUTION,
  SetupConnection,
  SetupConnectionError,
  SetupConnectionSuccess,
  SV2_PROTOCOL_VERSION,
} from '../messages/common.js';
import { decodeFrameMessage } from '../messages/registry.js';
import {
  CoinbaseOutputConstraints,
  NewTemplate,
  RequestTransactionData,
  RequestTransactionDataError,
  RequestTransactionDataSuccess,
  SubmitSolution,
  TdSetNewPrevHash,
} from '../messages/template-distribution.js';
import { encodeAuthorityKey } from '../noise/authority-key.js';
import { signCertificate } from '../noise/certificate.js';
import { createNoiseKeypair, type NoiseKeypair } from '../noise/keys.js';
import { Sv2Connection } from '../transport/connection.js';
import { SyntheticNodeChain, type SyntheticNodeChainOptions, type SyntheticTemplate } from './synthetic-node-chain.js';

export interface SyntheticTemplateProviderOptions {
  host?: string;
  port?: number;
  chain: SyntheticNodeChain | SyntheticNodeChainOptions;
  authoritySecretKey?: Uint8Array;
  staticSecretKey?: Uint8Array;
  /** Fee updates on the same tip at most this often (sv2-tp's -templateinterval, 5 s). 0 = none. */
  templateIntervalMs?: number;
  /** Extra bytes the provider puts after the BIP34 push in coinbase_prefix (tests of an oversized prefix). */
  coinbasePrefixExtra?: Uint8Array;
  clock?: Clock;
  logger?: Sv2Logger;
}

export interface SolutionEvent {
  templateId: bigint;
  hashHex: string;
  /** The chain's answer: null = accepted, else Core's reason. */
  answer: string | null;
}

export interface SyntheticTemplateProviderEvents {
  solution: SolutionEvent;
  connectionClosed: { code: string; message: string };
}

/** Stored templates per connection (SubmitSolution / RequestTransactionData may name an older one). */
const KEPT = 16;

export class SyntheticTemplateProvider extends TypedEmitter<SyntheticTemplateProviderEvents> {
  readonly chain: SyntheticNodeChain;
  readonly authorityKeyText: string;
  private readonly ownsChain: boolean;
  private readonly staticKey: NoiseKeypair;
  private readonly authoritySecret: Uint8Array;
  private readonly clock: Clock;
  private readonly log: Sv2Logger;
  private server: Server | null = null;
  private boundPort = 0;
  private readonly sessions = new Set<TpSession>();
  private readonly sockets = new Set<Socket>();
  /** Counts across connections, as sv2-tp's. */
  private templateCounter = 0n;
  private readonly solutions: SolutionEvent[] = [];

  private constructor(private readonly options: SyntheticTemplateProviderOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    if (options.chain instanceof SyntheticNodeChain) {
      this.chain = options.chain;
      this.ownsChain = false;
    } else {
      this.chain = new SyntheticNodeChain(options.chain);
      this.ownsChain = true;
    }
    const authority = createNoiseKeypair(options.authoritySecretKey, new Uint8Array(randomBytes(32)));
    this.authoritySecret = authority.secret;
    this.authorityKeyText = encodeAuthorityKey(authority.xOnly);
    this.staticKey = createNoiseKeypair(options.staticSecretKey, new Uint8Array(randomBytes(32)));
    this.chain.on('tip', () => {
      for (const s of this.sessions) s.newTip();
    });
    this.chain.on('mempool', () => {
      for (const s of this.sessions) s.mempoolChanged();
    });
  }

  static async start(options: SyntheticTemplateProviderOptions): Promise<SyntheticTemplateProvider> {
    const tp = new SyntheticTemplateProvider(options);
    await tp.listen();
    if (tp.ownsChain) tp.chain.start();
    return tp;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get port(): number {
    return this.boundPort;
  }

  /** `sv2+tcp://host:port/<authority key>`. */
  get url(): string {
    return formatSv2Url(this.host, this.port, this.authorityKeyText);
  }

  /** Every SubmitSolution and the chain's verdict, oldest first. */
  submittedSolutions(): SolutionEvent[] {
    return this.solutions.slice();
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  nextTemplateId(): bigint {
    this.templateCounter++;
    return this.templateCounter;
  }

  nowMs(): number {
    return this.clock.nowMs();
  }

  get templateIntervalMs(): number {
    return this.options.templateIntervalMs ?? 5000;
  }

  get coinbasePrefixExtra(): Uint8Array {
    return this.options.coinbasePrefixExtra ?? new Uint8Array(0);
  }

  recordSolution(e: SolutionEvent): void {
    this.solutions.push(e);
    if (this.solutions.length > 100) this.solutions.shift();
    this.log.info('SubmitSolution', {
      template: e.templateId.toString(),
      hash: e.hashHex,
      answer: e.answer ?? 'accepted',
    });
    this.emit('solution', e);
  }

  /** Closes every connection (the clients see the socket close). */
  dropConnections(): void {
    for (const s of [...this.sessions]) s.close('dropped', 'dropped by the template provider');
  }

  private listen(): Promise<void> {
    const server = createServer((socket) => this.onSocket(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.host, () => {
        server.off('error', reject);
        const a = server.address();
        this.boundPort = typeof a === 'object' && a !== null ? a.port : 0;
        resolve();
      });
    });
  }

  private onSocket(socket: Socket): void {
    socket.on('error', () => {});
    if (this.server === null) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    Sv2Connection.accept(socket, {
      responder: {
        staticKey: this.staticKey,
        certificate: () => {
          const now = Math.floor(this.clock.nowMs() / 1000);
          return signCertificate(
            { version: 0, validFrom: now - 3600, notValidAfter: 0xffffffff },
            this.staticKey.xOnly,
            this.authoritySecret,
          );
        },
      },
      limits: { maxPayloadBytes: 1 << 20, handshakeTimeoutMs: 10_000 },
    }).then(
      (connection) => {
        if (this.server === null) {
          connection.close('shutdown', 'template provider is shutting down');
          return;
        }
        const session = new TpSession(connection, this);
        this.sessions.add(session);
        connection.on('close', (info) => {
          this.sessions.delete(session);
          session.stop();
          this.emit('connectionClosed', { code: info.code, message: info.message });
        });
        connection.start();
      },
      () => undefined,
    );
  }

  async close(): Promise<void> {
    if (this.ownsChain) this.chain.stop();
    const server = this.server;
    this.server = null;
    for (const s of [...this.sessions]) s.close('shutdown', 'template provider is shutting down');
    for (const socket of this.sockets) socket.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** One client of the provider. */
class TpSession {
  private state: 'setup' | 'constraints' | 'serving' = 'setup';
  private readonly sent = new Map<bigint, { template: SyntheticTemplate; prefix: Uint8Array }>();
  private currentKey: string | null = null;
  private currentTip: string | null = null;
  private lastUpdateMs = 0;
  private updateTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly connection: Sv2Connection,
    private readonly tp: SyntheticTemplateProvider,
  ) {
    connection.on('frame', (frame) => this.onFrame(frame));
  }

  close(code: string, message: string): void {
    this.connection.close(code, message);
  }

  stop(): void {
    if (this.updateTimer !== null) clearTimeout(this.updateTimer);
    this.updateTimer = null;
  }

  /** A new block: a future template for it and the SetNewPrevHash naming it, together. */
  newTip(): void {
    if (this.state !== 'serving') return;
    this.sendTemplate(true);
  }

  /** New transactions on the same tip: a fee update, at most every templateIntervalMs. */
  mempoolChanged(): void {
    if (this.state !== 'serving' || this.tp.templateIntervalMs === 0 || this.updateTimer !== null) return;
    const wait = Math.max(0, this.lastUpdateMs + this.tp.templateIntervalMs - this.tp.nowMs());
    this.updateTimer = setTimeout(() => {
      this.updateTimer = null;
      if (this.state === 'serving' && !this.connection.closed) this.sendTemplate(false);
    }, wait);
    this.updateTimer.unref();
  }

  private sendTemplate(withPrevHash: boolean): void {
    const t = this.tp.chain.template();
    const tipChanged = t.prevHash.join() !== this.currentTip;
    if (!withPrevHash && (t.key === this.currentKey || tipChanged)) return;
    const id = this.tp.nextTemplateId();
    const prefix = new Uint8Array([...bip34HeightPush(t.height), ...this.tp.coinbasePrefixExtra]);
    this.sent.set(id, { template: t, prefix });
    while (this.sent.size > KEPT) this.sent.delete(this.sent.keys().next().value as bigint);
    this.currentKey = t.key;
    this.lastUpdateMs = this.tp.nowMs();
    this.connection.send(NewTemplate, {
      templateId: id,
      futureTemplate: withPrevHash,
      version: t.version,
      coinbaseTxVersion: 2,
      coinbasePrefix: prefix,
      coinbaseTxInputSequence: 0xfffffffe,
      coinbaseTxValueRemaining: t.subsidySats + t.feesSats,
      coinbaseTxOutputsCount: 1,
      coinbaseTxOutputs: serializeOutputs([{ valueSats: 0n, script: t.witnessCommitment }]).subarray(1),
      coinbaseTxLocktime: t.height - 1,
      merklePath: t.merklePath,
    });
    if (withPrevHash) {
      this.currentTip = t.prevHash.join();
      this.connection.send(TdSetNewPrevHash, {
        templateId: id,
        prevHash: t.prevHash,
        headerTimestamp: t.curtime,
        nbits: t.nbits,
        target: targetToLeBytes(nbitsToTarget(t.nbits)),
      });
    }
  }

  private onFrame(frame: Sv2Frame): void {
    let decoded: ReturnType<typeof decodeFrameMessage>;
    try {
      decoded = decodeFrameMessage(frame);
    } catch (err) {
      const e = err instanceof Sv2ProtocolError ? err : new Sv2ProtocolError('bad-frame', String(err));
      this.close(e.code, e.message);
      return;
    }
    const { def, value } = decoded;
    if (this.state === 'setup') {
      if (def !== SetupConnection) {
        this.close('unexpected-message', `${def.name} before SetupConnection`);
        return;
      }
      const s = value as SetupConnection;
      if (s.protocol !== PROTOCOL_TEMPLATE_DISTRIBUTION) {
        this.connection.send(SetupConnectionError, { flags: 0, errorCode: 'unsupported-protocol' });
        this.close('unsupported-protocol', `SetupConnection for protocol ${s.protocol}`);
        return;
      }
      if (s.minVersion > SV2_PROTOCOL_VERSION || s.maxVersion < SV2_PROTOCOL_VERSION) {
        this.connection.send(SetupConnectionError, { flags: 0, errorCode: 'protocol-version-mismatch' });
        this.close('protocol-version-mismatch', 'no common protocol version');
        return;
      }
      this.connection.send(SetupConnectionSuccess, { usedVersion: SV2_PROTOCOL_VERSION, flags: 0 });
      this.state = 'constraints';
      return;
    }
    switch (def) {
      case CoinbaseOutputConstraints: {
        const c = value as CoinbaseOutputConstraints;
        if (c.coinbaseOutputMaxAdditionalSize > 4_000_000) {
          this.close('bad-constraints', 'coinbase_output_max_additional_size above the block size');
          return;
        }
        this.state = 'serving';
        // The first one starts the templates; sv2-tp rebuilds the template at once on a re-sent one as well.
        this.sendTemplate(true);
        return;
      }
      case RequestTransactionData: {
        const r = value as RequestTransactionData;
        const entry = this.sent.get(r.templateId);
        if (entry === undefined) {
          this.connection.send(RequestTransactionDataError, {
            templateId: r.templateId,
            errorCode: 'template-id-not-found',
          });
          return;
        }
        this.connection.send(RequestTransactionDataSuccess, {
          templateId: r.templateId,
          excessData: new Uint8Array(32),
          transactionList: entry.template.transactions.map((t) => t.data),
        });
        return;
      }
      case SubmitSolution:
        this.onSolution(value as SubmitSolution);
        return;
      default:
        this.close('unexpected-message', `${def.name} is not a message a template provider takes`);
    }
  }

  /** Rebuilds the block the miner found and hands it to the chain, as sv2-tp does (no reply on the wire). */
  private onSolution(s: SubmitSolution): void {
    const entry = this.sent.get(s.templateId);
    if (entry === undefined) {
      this.tp.recordSolution({ templateId: s.templateId, hashHex: '', answer: 'template-id-not-found' });
      return;
    }
    const t = entry.template;
    let txid: Uint8Array;
    try {
      txid = txidOf(parseTransaction(s.coinbaseTx));
    } catch (err) {
      const why = err instanceof TransactionError ? err.message : String(err);
      this.tp.recordSolution({ templateId: s.templateId, hashHex: '', answer: `bad-coinbase: ${why}` });
      return;
    }
    const header = encodeHeader({
      version: s.version,
      prevHash: t.prevHash,
      merkleRoot: merkleRootFromPath(txid, t.merklePath),
      time: s.headerTimestamp,
      bits: t.nbits,
      nonce: s.headerNonce,
    });
    const block = serializeBlock(header, [s.coinbaseTx, ...t.transactions.map((x) => x.data)]);
    try {
      const { answer, hashHex } = this.tp.chain.submit(block, { via: 'tdp' });
      this.tp.recordSolution({ templateId: s.templateId, hashHex, answer });
    } catch (err) {
      this.tp.recordSolution({
        templateId: s.templateId,
        hashHex: '',
        answer: err instanceof Error ? err.message : String(err),
      });
    }
  }
}

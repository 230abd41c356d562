/**
 * Templates from an SV2 Template Provider (Bitcoin Core 30+ through sv2-tp or bitcoin-core-sv2) over Noise.
 *
 * Session (spec §7; the sv2-tp capture in templates.md §2.2):
 *   → SetupConnection (protocol 2)            ← SetupConnection.Success
 *   → CoinbaseOutputConstraints               (sv2-tp sends nothing before it)
 *   ← NewTemplate (future) + SetNewPrevHash   per new block; ← NewTemplate (not future) per fee update
 *   → RequestTransactionData                  ← .Success (excess_data, transaction_list) | .Error
 *   → SubmitSolution                          (no reply: the next SetNewPrevHash naming our block says it won)
 *
 * The provider's certificate is checked against its authority key like a pool's: the URL's key (or the
 * configured one) must have signed it, else the connection is refused before any template is read.
 *
 * A future template waits for the SetNewPrevHash naming it; a non-future one is for the current tip. Templates
 * are kept by id (a few: SubmitSolution and RequestTransactionData may name an older one).
 */
import type { Chain } from '../../bitcoin/address.js';
import type { TxOutput } from '../../bitcoin/coinbase.js';
import type { NodeTemplate } from '../../bitcoin/node-template.js';
import type { DeviceInfo } from '../../sv2/client/mining-client.js';
import { parseSv2Url } from '../../sv2/client/url.js';
import { type Clock, systemClock } from '../../sv2/clock.js';
import { Sv2ProtocolError } from '../../sv2/codec/errors.js';
import type { Sv2Frame } from '../../sv2/codec/frame.js';
import {
  PROTOCOL_TEMPLATE_DISTRIBUTION,
  SetupConnection,
  SetupConnectionError,
  SetupConnectionSuccess,
  SV2_PROTOCOL_VERSION,
} from '../../sv2/messages/common.js';
import { decodeFrameMessage } from '../../sv2/messages/registry.js';
import {
  CoinbaseOutputConstraints,
  NewTemplate,
  RequestTransactionData,
  RequestTransactionDataError,
  RequestTransactionDataSuccess,
  SubmitSolution,
  TdSetNewPrevHash,
} from '../../sv2/messages/template-distribution.js';
import { parseAuthorityKey } from '../../sv2/noise/authority-key.js';
import { DEFAULT_CERTIFICATE_LEEWAY_SEC } from '../../sv2/noise/certificate.js';
import { CertificateError, NoiseError } from '../../sv2/noise/errors.js';
import { Sv2ConnectError, Sv2Connection } from '../../sv2/transport/connection.js';
import { bytesToHexReversed } from '../../util/hex.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import {
  type BlockAnswer,
  type BlockSubmission,
  type TemplateSource,
  TemplateSourceError,
  type TemplateSourceEvents,
  type TemplateSourceInfo,
} from '../template-source.js';
import { coinbaseOutputConstraints, templateFromTdp } from './tdp-template.js';
import { TemplateChecker, type TransactionData } from './template-check.js';

export interface TemplateProviderSourceOptions {
  /** `sv2+tcp://HOST:PORT/AUTHORITY_KEY`. */
  url: string;
  /** Overrides the key in the URL. */
  authorityKey?: string | null;
  /** TDP carries no network id: the chain the owner says the provider's node runs. */
  chain: Chain;
  /** The device's own coinbase outputs (what CoinbaseOutputConstraints declares room for). */
  payoutOutputs: readonly TxOutput[];
  device: DeviceInfo;
  clock?: Clock;
  handshakeTimeoutMs?: number;
  /** SetupConnection's answer, then the first template. Default 10 s / 30 s. */
  setupTimeoutMs?: number;
  firstTemplateTimeoutMs?: number;
  /** How long a SubmitSolution waits for the SetNewPrevHash that confirms it. Default 60 s. */
  confirmTimeoutMs?: number;
  /**
   * After each new block's template is being mined, fetch its transactions (RequestTransactionData) and check
   * the provider's merkle path and witness commitment against them; a mismatch is a warning (the block would be
   * refused), a match tells the status how many transactions the block carries. Default true.
   */
  verifyTransactions?: boolean;
  /** At most one such check this often (ms). Default 60 s. */
  verifyIntervalMs?: number;
}

/** Templates kept by id for SubmitSolution and RequestTransactionData. */
const KEPT_TEMPLATES = 8;

interface PendingSolution {
  hash: Uint8Array;
  resolve: (a: BlockAnswer) => void;
  timer: NodeJS.Timeout;
}

export class TemplateProviderSource extends TypedEmitter<TemplateSourceEvents> implements TemplateSource {
  readonly kind = 'template-provider' as const;
  readonly endpoint: string;
  private readonly host: string;
  private readonly port: number;
  private readonly authorityKey: Uint8Array;
  private readonly clock: Clock;
  private connection: Sv2Connection | null = null;
  private readonly templates = new Map<bigint, NewTemplate>();
  private active: NodeTemplate | null = null;
  private firstTemplate: ((t: NodeTemplate) => void) | null = null;
  private setupAnswer: ((ok: SetupConnectionSuccess | SetupConnectionError) => void) | null = null;
  /** RequestTransactionData waiting for answers, per template id in the order asked (the TP answers in order). */
  private readonly txRequests = new Map<
    bigint,
    Array<{ resolve: (v: TransactionData) => void; reject: (e: Error) => void }>
  >();
  private readonly solutions: PendingSolution[] = [];
  private closedByUs = false;
  private open = false;
  private abort: AbortController | null = null;
  private lastVerifyMs = Number.NEGATIVE_INFINITY;
  /** Checks templates against their transactions in a worker thread (started on first use). */
  private checker: TemplateChecker | null = null;
  /** Rejects the setup step being waited for (the connection closed under it). */
  private pendingFailure: ((e: Error) => void) | null = null;

  constructor(private readonly options: TemplateProviderSourceOptions) {
    super();
    let endpoint: ReturnType<typeof parseSv2Url>;
    try {
      endpoint = parseSv2Url(options.url);
    } catch (err) {
      throw new TemplateSourceError(
        'config',
        `template provider URL: ${(err as Error).message.replace(/^pool URL:? ?/, '')}`,
      );
    }
    this.host = endpoint.host;
    this.port = endpoint.port;
    let key = endpoint.authorityKey;
    if (options.authorityKey) {
      try {
        key = parseAuthorityKey(options.authorityKey);
      } catch (err) {
        throw new TemplateSourceError('config', `template provider authority key: ${(err as Error).message}`);
      }
    }
    if (key === null) {
      throw new TemplateSourceError(
        'config',
        `no authority key for the template provider at ${this.host}:${this.port}: add the key sv2-tp logs at start ("Template Provider authority key") to the URL: sv2+tcp://HOST:PORT/KEY`,
      );
    }
    this.authorityKey = key;
    this.clock = options.clock ?? systemClock;
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    this.endpoint = `sv2+tcp://${h}:${this.port}`;
  }

  get connected(): boolean {
    return this.open && this.connection !== null && !this.connection.closed;
  }

  get current(): NodeTemplate | null {
    return this.active;
  }

  async connect(): Promise<TemplateSourceInfo> {
    this.closedByUs = false;
    const abort = new AbortController();
    this.abort = abort;
    let opened: Awaited<ReturnType<typeof Sv2Connection.connect>>;
    try {
      opened = await Sv2Connection.connect({
        host: this.host,
        port: this.port,
        initiator: {
          authorityKey: this.authorityKey,
          nowSec: () => this.clock.nowMs() / 1000,
          certificateLeewaySec: DEFAULT_CERTIFICATE_LEEWAY_SEC,
        },
        limits: { handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? 10_000, maxPayloadBytes: 16 << 20 },
        signal: abort.signal,
      });
    } catch (err) {
      throw connectError(err, `${this.host}:${this.port}`);
    }
    const connection = opened.connection;
    this.connection = connection;
    connection.on('frame', (frame) => this.onFrame(connection, frame));
    connection.on('close', (info) => this.onClose(connection, info.code, info.message));
    connection.start();
    try {
      const setup = this.waitFor<SetupConnectionSuccess | SetupConnectionError>(
        (resolve) => {
          this.setupAnswer = resolve;
        },
        this.options.setupTimeoutMs ?? 10_000,
        'answer to SetupConnection',
      );
      const device = this.options.device;
      connection.send(SetupConnection, {
        protocol: PROTOCOL_TEMPLATE_DISTRIBUTION,
        minVersion: SV2_PROTOCOL_VERSION,
        maxVersion: SV2_PROTOCOL_VERSION,
        flags: 0,
        endpointHost: this.host,
        endpointPort: this.port,
        vendor: device.vendor,
        hardwareVersion: device.hardwareVersion,
        firmware: device.firmware,
        deviceId: device.deviceId ?? '',
      });
      const answer = await setup;
      if ('errorCode' in answer) {
        throw new TemplateSourceError('protocol', `the template provider refused SetupConnection: ${answer.errorCode}`);
      }
      const c = coinbaseOutputConstraints(this.options.payoutOutputs);
      connection.send(CoinbaseOutputConstraints, {
        coinbaseOutputMaxAdditionalSize: c.size,
        coinbaseOutputMaxAdditionalSigops: c.sigops,
      });
      const first = await this.waitFor<NodeTemplate>(
        (resolve) => {
          this.firstTemplate = resolve;
        },
        this.options.firstTemplateTimeoutMs ?? 30_000,
        'the first template (NewTemplate + SetNewPrevHash)',
      );
      this.open = true;
      return {
        kind: 'template-provider',
        endpoint: this.endpoint,
        chain: this.options.chain,
        description: `template provider ${this.endpoint} (${this.options.chain}, key checked), height ${first.height}`,
        authenticated: true,
      };
    } catch (err) {
      this.closedByUs = true;
      connection.close('setup-failed', err instanceof Error ? err.message : String(err));
      throw err instanceof TemplateSourceError ? err : new TemplateSourceError('protocol', String(err));
    }
  }

  /** The template's transactions and excess data (RequestTransactionData). Rejects with the TP's error code. */
  requestTransactions(templateId: bigint): Promise<TransactionData> {
    const connection = this.connection;
    if (connection === null || connection.closed) {
      return Promise.reject(new TemplateSourceError('disconnected', 'not connected to the template provider'));
    }
    return new Promise((resolve, reject) => {
      const queue = this.txRequests.get(templateId) ?? [];
      this.txRequests.set(templateId, queue);
      const waiter = {
        resolve: (v: TransactionData) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        if (queue.length === 0) this.txRequests.delete(templateId);
        reject(new TemplateSourceError('protocol', `no answer to RequestTransactionData(${templateId}) within 10 s`));
      }, 10_000);
      timer.unref();
      queue.push(waiter);
      connection.send(RequestTransactionData, { templateId });
    });
  }

  /**
   * SubmitSolution: the TP rebuilds the block from its template, our coinbase and the header fields. It never
   * answers; the block won when the next SetNewPrevHash builds on it (`accepted`), otherwise it is `unconfirmed`.
   */
  submitBlock(s: BlockSubmission): Promise<BlockAnswer> {
    const connection = this.connection;
    if (connection === null || connection.closed) {
      return Promise.resolve({ kind: 'error', reason: 'not connected to the template provider' });
    }
    const h = s.header;
    const u32 = (o: number): number => (h[o] | (h[o + 1] << 8) | (h[o + 2] << 16) | (h[o + 3] << 24)) >>> 0;
    connection.send(SubmitSolution, {
      templateId: s.template.id,
      version: u32(0),
      headerTimestamp: u32(68),
      headerNonce: u32(76),
      coinbaseTx: s.coinbase,
    });
    return new Promise((resolve) => {
      const ms = this.options.confirmTimeoutMs ?? 60_000;
      const pending: PendingSolution = {
        hash: s.hash,
        resolve,
        timer: setTimeout(() => {
          this.solutions.splice(this.solutions.indexOf(pending), 1);
          resolve({
            kind: 'unconfirmed',
            reason: `the template provider announced no block on it within ${Math.round(ms / 1000)} s`,
          });
        }, ms),
      };
      pending.timer.unref();
      this.solutions.push(pending);
    });
  }

  close(reason: string): void {
    this.closedByUs = true;
    this.checker?.close();
    this.checker = null;
    this.abort?.abort();
    this.connection?.close('closed', reason);
    // It was sent: whether the provider took it is unknown, not an error.
    this.settleSolutions({
      kind: 'unconfirmed',
      reason: 'closed before the template provider announced a block on it',
    });
  }

  private onFrame(connection: Sv2Connection, frame: Sv2Frame): void {
    if (this.listenerCount('frame') > 0) {
      this.emit('frame', { msgType: frame.header.msgType, payloadBytes: frame.payload.length });
    }
    let decoded: ReturnType<typeof decodeFrameMessage>;
    try {
      decoded = decodeFrameMessage(frame);
    } catch (err) {
      const e = err instanceof Sv2ProtocolError ? err : new Sv2ProtocolError('bad-frame', String(err));
      connection.close(e.code, `template provider sent a malformed frame: ${e.message}`);
      return;
    }
    const { def, value } = decoded;
    try {
      switch (def) {
        case SetupConnectionSuccess:
        case SetupConnectionError:
          this.setupAnswer?.(value as SetupConnectionSuccess | SetupConnectionError);
          this.setupAnswer = null;
          return;
        case NewTemplate:
          this.onNewTemplate(value as NewTemplate);
          return;
        case TdSetNewPrevHash:
          this.onPrevHash(value as TdSetNewPrevHash);
          return;
        case RequestTransactionDataSuccess: {
          const v = value as RequestTransactionDataSuccess;
          // Views into the frame: the check reads them once and nothing keeps them.
          this.nextTxWaiter(v.templateId)?.resolve({ excessData: v.excessData, transactions: v.transactionList });
          return;
        }
        case RequestTransactionDataError: {
          const v = value as RequestTransactionDataError;
          this.nextTxWaiter(v.templateId)?.reject(
            new TemplateSourceError('protocol', `RequestTransactionData(${v.templateId}): ${v.errorCode}`),
          );
          return;
        }
        default:
          connection.close(
            'unexpected-message',
            `template provider sent ${def.name}, which a TDP client never receives`,
          );
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      connection.close('protocol-error', `template provider: ${message}`);
    }
  }

  private nextTxWaiter(
    templateId: bigint,
  ): { resolve: (v: TransactionData) => void; reject: (e: Error) => void } | undefined {
    const queue = this.txRequests.get(templateId);
    const waiter = queue?.shift();
    if (queue !== undefined && queue.length === 0) this.txRequests.delete(templateId);
    return waiter;
  }

  private onNewTemplate(t: NewTemplate): void {
    const copy: NewTemplate = {
      ...t,
      coinbasePrefix: t.coinbasePrefix.slice(),
      coinbaseTxOutputs: t.coinbaseTxOutputs.slice(),
      merklePath: t.merklePath.map((p) => p.slice()),
    };
    this.templates.set(t.templateId, copy);
    while (this.templates.size > KEPT_TEMPLATES) this.templates.delete(this.templates.keys().next().value as bigint);
    // A template for the tip we are on replaces the current one at once (a fee update).
    if (!t.futureTemplate && this.active !== null) {
      const ph = this.prevHashMessage(this.active);
      const template = templateFromTdp(copy, { ...ph, templateId: t.templateId });
      this.active = template;
      this.emit('template', { template, newTip: false });
    }
  }

  private onPrevHash(ph: TdSetNewPrevHash): void {
    const nt = this.templates.get(ph.templateId);
    if (nt === undefined) throw new Error(`SetNewPrevHash names template ${ph.templateId}, which was never sent`);
    // Older future templates can no longer be activated.
    for (const id of [...this.templates.keys()]) if (id < ph.templateId) this.templates.delete(id);
    const template = templateFromTdp(nt, { ...ph, prevHash: ph.prevHash.slice(), target: ph.target.slice() });
    for (const s of [...this.solutions]) {
      clearTimeout(s.timer);
      this.solutions.splice(this.solutions.indexOf(s), 1);
      s.resolve(
        sameBytes(s.hash, template.prevHash)
          ? { kind: 'accepted', reason: null }
          : {
              kind: 'unconfirmed',
              reason: `the template provider moved to block ${bytesToHexReversed(template.prevHash)}, not ours`,
            },
      );
    }
    this.active = template;
    if (this.firstTemplate !== null) {
      const first = this.firstTemplate;
      this.firstTemplate = null;
      first(template);
    } else {
      this.emit('template', { template, newTip: true });
    }
    // Once the chips have the job: the template's transactions, checked against what we mine (at most once a
    // minute: every block on mainnet, without piling up megabytes during a test network's block storm).
    const now = this.clock.nowMs();
    if (
      (this.options.verifyTransactions ?? true) &&
      now - this.lastVerifyMs >= (this.options.verifyIntervalMs ?? 60_000)
    ) {
      this.lastVerifyMs = now;
      setImmediate(() => void this.verify(template));
    }
  }

  /** RequestTransactionData for `t`, its merkle path and commitment checked; the template learns how many it holds. */
  private async verify(t: NodeTemplate): Promise<void> {
    if (this.connection === null || this.connection.closed) return;
    let data: TransactionData;
    try {
      data = await this.requestTransactions(t.id);
    } catch (err) {
      if (this.connection !== null)
        this.emit('warning', { message: `transactions of template ${t.id}: ${(err as Error).message}` });
      return;
    }
    // Off the main thread: parsing and hashing thousands of transactions must never delay a job switch.
    this.checker ??= new TemplateChecker();
    let problem: string | null;
    try {
      problem = await this.checker.check(t, data);
    } catch (err) {
      this.emit('warning', { message: `template ${t.id}: the check did not run (${(err as Error).message})` });
      return;
    }
    if (problem !== null) {
      this.emit('warning', { message: `template ${t.id} from the template provider is inconsistent: ${problem}` });
      return;
    }
    // Only the count is kept: the provider rebuilds the block itself, and megabytes of transactions held per
    // template would cost the daemon's memory (and its garbage collector's pauses) for nothing.
    t.transactionCount = data.transactions.length;
    this.emit('transactions', { template: t });
  }

  /** The SetNewPrevHash fields of the active template (a fee update keeps them). */
  private prevHashMessage(t: NodeTemplate): TdSetNewPrevHash {
    const target = new Uint8Array(32);
    let v = t.target;
    for (let i = 0; i < 32; i++) {
      target[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return { templateId: t.id, prevHash: t.prevHash, headerTimestamp: t.ntime, nbits: t.nbits, target };
  }

  private onClose(connection: Sv2Connection, code: string, message: string): void {
    if (connection !== this.connection) return;
    this.connection = null;
    for (const queue of this.txRequests.values()) {
      for (const w of queue) w.reject(new TemplateSourceError('disconnected', message));
    }
    this.txRequests.clear();
    this.settleSolutions({
      kind: 'unconfirmed',
      reason: `the template provider connection closed (${message}) before it announced a block on it`,
    });
    const wasOpen = this.open;
    this.open = false;
    if (this.setupAnswer !== null || this.firstTemplate !== null) {
      this.pendingFailure?.(
        new TemplateSourceError('disconnected', `the template provider closed the connection during setup: ${message}`),
      );
    }
    if (wasOpen && !this.closedByUs) this.emit('down', { code: 'disconnected', reason: `${code}: ${message}` });
  }

  private settleSolutions(answer: BlockAnswer): void {
    for (const s of this.solutions.splice(0)) {
      clearTimeout(s.timer);
      s.resolve(answer);
    }
  }

  private waitFor<T>(register: (resolve: (v: T) => void) => void, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingFailure = null;
        reject(new TemplateSourceError('protocol', `no ${what} from the template provider within ${ms} ms`));
      }, ms);
      this.pendingFailure = (e) => {
        clearTimeout(timer);
        this.pendingFailure = null;
        reject(e);
      };
      register((v) => {
        clearTimeout(timer);
        this.pendingFailure = null;
        resolve(v);
      });
    });
  }

  protected override onListenerError(event: string, err: unknown): void {
    if (event === 'warning') return;
    this.emit('warning', { message: `a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}` });
  }
}

export type { TransactionData } from './template-check.js';

function connectError(err: unknown, where: string): TemplateSourceError {
  if (err instanceof Sv2ConnectError) {
    if (err.cause instanceof CertificateError || (err.cause instanceof NoiseError && err.code === 'handshake-failed')) {
      return new TemplateSourceError(
        'unauthorized',
        `the template provider at ${where} failed the key check: ${err.cause.message} (is the authority key in the URL the one it logs?)`,
      );
    }
    if (err.code === 'connect-failed' || err.code === 'handshake-timeout') {
      return new TemplateSourceError('unreachable', err.message);
    }
    return new TemplateSourceError('protocol', err.message);
  }
  return new TemplateSourceError('protocol', err instanceof Error ? err.message : String(err));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Templates from the owner's Bitcoin Core over JSON-RPC.
 *
 * connect: getblockchaininfo (which chain; still in initial block download?), getnetworkinfo (for the log), then
 * getblocktemplate {"rules":["segwit"]}. Refused with a TemplateSourceError naming the cause when the node is
 * unreachable, refuses the credentials, or is syncing — except on regtest, where Core reports a stale tip as
 * initial download until someone mines, so only a warning is given there.
 *
 * Noticing new blocks, three ways at once, because each alone falls short (spec: templates.md §1.6):
 * - a longpoll (getblocktemplate with the last longpollid) on its own connection: Core answers at once when the
 *   tip changes, otherwise after a minute or more once the mempool changed;
 * - a getbestblockhash poll every `pollIntervalMs`: catches a tip change when the longpoll is slow or broken
 *   (an rpcservertimeout, a proxy), and is the liveness check — `failuresBeforeDown` failed polls in a row, or
 *   refused credentials, and the source reports itself down;
 * - a fee refresh every `refreshIntervalMs`: a new template on the same tip when the mempool moved.
 * Whichever sees a change first fetches the new template; a fetch already under way is shared, and a template
 * for an older height than the one in use is dropped (a slow reply overtaken by a faster one).
 */
import { parseChain } from '../../bitcoin/address.js';
import type { NodeTemplate } from '../../bitcoin/node-template.js';
import { bytesToHex, bytesToHexReversed } from '../../util/hex.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import {
  type BlockAnswer,
  type BlockSubmission,
  type TemplateSource,
  TemplateSourceError,
  type TemplateSourceEvents,
  type TemplateSourceInfo,
} from '../template-source.js';
import { type GbtTemplate, parseBlockTemplate } from './gbt-template.js';
import { JsonRpcClient, RpcError } from './json-rpc-client.js';
import { parseNodeUrl } from './node-url.js';

export interface BitcoindSourceOptions {
  /** `http://[USER:PASS@]HOST:PORT`. */
  url: string;
  /** Core's cookie file, instead of credentials in the URL. */
  cookieFile?: string | null;
  /** getbestblockhash poll (ms). Default 1000. */
  pollIntervalMs?: number;
  /** A fresh template on the same tip (fees) this often (ms). Default 30 s; 0 = never. */
  refreshIntervalMs?: number;
  /** Longpoll on (default) or off (poll only). */
  longpoll?: boolean;
  /** Regular calls. Default 15 s. */
  timeoutMs?: number;
  /** Failed getbestblockhash polls in a row before the source reports itself down. Default 3. */
  failuresBeforeDown?: number;
  /** After a failed longpoll, wait this long before the next (ms). */
  longpollRetryMs?: number;
  /** Between submitblock tries when the node cannot be reached (default 1 s, 2 s, 3 s, 4 s). */
  submitRetryMs?: number;
}

/** submitblock tries before a block counts as undelivered. */
const SUBMIT_ATTEMPTS = 5;

/** Core's RPC error codes that mean "not ready" rather than "broken". */
const RPC_CLIENT_NOT_CONNECTED = -9;
const RPC_CLIENT_IN_INITIAL_DOWNLOAD = -10;

export class BitcoindTemplateSource extends TypedEmitter<TemplateSourceEvents> implements TemplateSource {
  readonly kind = 'node' as const;
  readonly endpoint: string;
  private readonly client: JsonRpcClient;
  private template: NodeTemplate | null = null;
  private longpollId: string | null = null;
  private templateCounter = 0n;
  private running = false;
  private fetching: Promise<void> | null = null;
  private longpollAbort: AbortController | null = null;
  private timers: NodeJS.Timeout[] = [];
  private pollFailures = 0;
  private polling = false;
  private downReported = false;

  constructor(private readonly options: BitcoindSourceOptions) {
    super();
    const endpoint = parseNodeUrl(options.url);
    this.endpoint = endpoint.display;
    const cookie = options.cookieFile ?? null;
    if (cookie !== null && endpoint.credentials !== null) {
      throw new TemplateSourceError('config', 'give the node either USER:PASS in its URL or a cookie file, not both');
    }
    if (cookie === null && endpoint.credentials === null) {
      throw new TemplateSourceError(
        'config',
        `no credentials for the node at ${endpoint.display}: put USER:PASS in the URL (http://USER:PASS@HOST:PORT) or give its cookie file`,
      );
    }
    this.client = new JsonRpcClient({
      host: endpoint.host,
      port: endpoint.port,
      auth:
        cookie !== null
          ? { kind: 'cookie', path: cookie }
          : { kind: 'password', ...(endpoint.credentials as { user: string; password: string }) },
      timeoutMs: options.timeoutMs ?? 15_000,
    });
  }

  get connected(): boolean {
    return this.running;
  }

  get current(): NodeTemplate | null {
    return this.template;
  }

  async connect(): Promise<TemplateSourceInfo> {
    try {
      return await this.open();
    } catch (err) {
      this.close('connect failed');
      throw err;
    }
  }

  private async open(): Promise<TemplateSourceInfo> {
    const info = await this.call('getblockchaininfo', []);
    const o = (info ?? {}) as {
      chain?: unknown;
      initialblockdownload?: unknown;
      blocks?: unknown;
      headers?: unknown;
      verificationprogress?: unknown;
    };
    const chain = typeof o.chain === 'string' ? parseChain(o.chain) : null;
    if (chain === null)
      throw new TemplateSourceError('protocol', `getblockchaininfo: unknown chain ${JSON.stringify(o.chain)}`);
    if (chain === 'signet') {
      throw new TemplateSourceError(
        'config',
        "the node runs signet, whose blocks need the signet signer's signature: a miner cannot make them",
      );
    }
    if (o.initialblockdownload === true) {
      const progress =
        typeof o.verificationprogress === 'number' ? ` (${(o.verificationprogress * 100).toFixed(1)} % verified)` : '';
      const where = `block ${String(o.blocks)} of ${String(o.headers)} headers${progress}`;
      if (chain !== 'regtest') {
        throw new TemplateSourceError(
          'initial-block-download',
          `the node at ${this.endpoint} is still in initial block download, at ${where}: its templates would build on an old tip; start solo mining once it has caught up`,
        );
      }
      this.emit('warning', {
        message: `the regtest node reports initial block download (${where}); mining on its tip anyway`,
      });
    }
    let version = '';
    try {
      const net = (await this.client.call('getnetworkinfo', [])) as { subversion?: unknown } | null;
      if (typeof net?.subversion === 'string') version = net.subversion.replace(/^\/|\/$/g, '');
    } catch {
      // Only for the log line: a node that hides it still mines.
    }
    const first = await this.fetchTemplate();
    this.accept(first, false);
    this.running = true;
    this.startLoops();
    const t = first.template;
    return {
      kind: 'node',
      endpoint: this.endpoint,
      chain,
      description: `${version === '' ? 'Bitcoin node' : version} on ${chain} at ${this.endpoint}, height ${t.height}, ${t.transactionCount ?? 0} transactions in the template`,
      authenticated: true,
    };
  }

  async submitBlock(s: BlockSubmission): Promise<BlockAnswer> {
    if (s.block === null) return { kind: 'error', reason: 'the block has no transactions attached (internal error)' };
    const hex = bytesToHex(s.block);
    let answer: unknown;
    // A found block is worth a few tries: a node restarting or a dropped connection must not lose it.
    for (let attempt = 1; ; attempt++) {
      try {
        answer = await this.client.call('submitblock', [hex], { timeoutMs: 60_000 });
        break;
      } catch (err) {
        if (err instanceof RpcError) return { kind: 'rejected', reason: err.rpcMessage };
        const retry = err instanceof TemplateSourceError && err.code === 'unreachable' && attempt < SUBMIT_ATTEMPTS;
        if (!retry) return { kind: 'error', reason: err instanceof Error ? err.message : String(err) };
        this.emit('warning', {
          message: `submitblock failed (${err.message}); trying again (${attempt + 1} of ${SUBMIT_ATTEMPTS})`,
        });
        await sleep(this.options.submitRetryMs ?? 1000 * attempt);
      }
    }
    // The tip moved (or the block lost a race): look at once rather than at the next poll.
    if (this.running) void this.refresh();
    if (answer === null) return { kind: 'accepted', reason: null };
    if (answer === 'duplicate') return { kind: 'duplicate', reason: 'duplicate' };
    if (answer === 'inconclusive') return { kind: 'inconclusive', reason: 'inconclusive' };
    if (typeof answer === 'string') return { kind: 'rejected', reason: answer };
    return { kind: 'rejected', reason: `unexpected submitblock answer ${JSON.stringify(answer)}` };
  }

  close(_reason: string): void {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.longpollAbort?.abort();
    this.client.close();
  }

  private startLoops(): void {
    const poll = this.options.pollIntervalMs ?? 1000;
    const refresh = this.options.refreshIntervalMs ?? 30_000;
    this.timers.push(setInterval(() => void this.poll(), poll));
    if (refresh > 0) this.timers.push(setInterval(() => void this.refresh(), refresh));
    for (const t of this.timers) t.unref();
    if (this.options.longpoll ?? true) void this.longpollLoop();
  }

  private async longpollLoop(): Promise<void> {
    while (this.running) {
      const id = this.longpollId;
      if (id === null) return;
      const abort = new AbortController();
      this.longpollAbort = abort;
      try {
        const result = await this.client.call('getblocktemplate', [{ rules: ['segwit'], longpollid: id }], {
          ownConnection: true,
          timeoutMs: 30 * 60_000,
          signal: abort.signal,
        });
        if (!this.running) return;
        this.accept(this.parse(result), true);
      } catch (err) {
        if (!this.running) return;
        // The poll watches liveness; a broken longpoll only waits a little and tries again.
        this.emit('warning', { message: `longpoll: ${err instanceof Error ? err.message : String(err)}` });
        await sleep(this.options.longpollRetryMs ?? 5000);
      }
    }
  }

  private async poll(): Promise<void> {
    if (!this.running || this.polling) return;
    this.polling = true;
    try {
      const best = await this.client.call('getbestblockhash', [], {
        timeoutMs: Math.max(2000, this.options.pollIntervalMs ?? 1000) * 3,
      });
      this.pollFailures = 0;
      const t = this.template;
      if (this.running && typeof best === 'string' && t !== null && best !== bytesToHexReversed(t.prevHash)) {
        await this.refresh();
      }
    } catch (err) {
      if (!this.running) return;
      this.pollFailures++;
      const e =
        err instanceof TemplateSourceError
          ? err
          : new TemplateSourceError('protocol', String(err instanceof Error ? err.message : err));
      if (e.code === 'unauthorized' || this.pollFailures >= (this.options.failuresBeforeDown ?? 3)) {
        this.reportDown(e.code === 'unauthorized' ? 'unauthorized' : 'disconnected', e.message);
      }
    } finally {
      this.polling = false;
    }
  }

  /** Fetches a template now (shared with a fetch already running) and takes it if it is news. */
  private refresh(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        const t = await this.fetchTemplate();
        if (this.running) this.accept(t, true);
      } catch (err) {
        if (this.running)
          this.emit('warning', { message: `getblocktemplate: ${err instanceof Error ? err.message : String(err)}` });
      } finally {
        this.fetching = null;
      }
    })();
    return this.fetching;
  }

  private async fetchTemplate(): Promise<GbtTemplate> {
    return this.parse(await this.call('getblocktemplate', [{ rules: ['segwit'] }]));
  }

  private parse(result: unknown): GbtTemplate {
    this.templateCounter++;
    return parseBlockTemplate(result, { id: this.templateCounter });
  }

  /** Takes a template if it says something new: another tip, or other transactions on the same tip. */
  private accept(g: GbtTemplate, emit: boolean): void {
    const old = this.template;
    const t = g.template;
    if (old !== null) {
      if (t.height < old.height) return;
      if (g.longpollId !== null && g.longpollId === this.longpollId && sameBytes(t.prevHash, old.prevHash)) return;
    }
    const newTip = old === null || !sameBytes(t.prevHash, old.prevHash);
    this.template = t;
    this.longpollId = g.longpollId;
    if (emit) this.emit('template', { template: t, newTip });
  }

  /** One RPC call with Core's "not ready" errors told apart from broken ones. */
  private async call(method: string, params: unknown[]): Promise<unknown> {
    try {
      return await this.client.call(method, params);
    } catch (err) {
      if (err instanceof RpcError) {
        if (err.code === RPC_CLIENT_IN_INITIAL_DOWNLOAD) {
          throw new TemplateSourceError(
            'initial-block-download',
            `the node at ${this.endpoint} is in initial block download (${err.rpcMessage})`,
          );
        }
        if (err.code === RPC_CLIENT_NOT_CONNECTED) {
          throw new TemplateSourceError(
            'initial-block-download',
            `the node at ${this.endpoint} has no peers (${err.rpcMessage})`,
          );
        }
        throw new TemplateSourceError('protocol', `the node at ${this.endpoint} answered ${err.message}`);
      }
      throw err;
    }
  }

  private reportDown(code: 'unauthorized' | 'disconnected', reason: string): void {
    if (this.downReported) return;
    this.downReported = true;
    this.close(reason);
    this.emit('down', { code, reason });
  }

  protected override onListenerError(event: string, err: unknown): void {
    if (event === 'warning') return;
    this.emit('warning', { message: `a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}` });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

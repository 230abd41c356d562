/**
 * A synthetic Bitcoin Core for solo mining without a network: JSON-RPC over HTTP on 127.0.0.1, answering the
 * calls a solo miner makes — getblockchaininfo, getnetworkinfo, getblocktemplate (segwit rules, longpoll,
 * proposal mode), getbestblockhash, getblockcount, submitblock — the way Core does (error codes, messages, the
 * BIP22 answers of submitblock), on a SyntheticNodeChain whose blocks it validates fully.
 *
 *   const node = await SyntheticNode.start({ chain: { nbits: 0x2000ffff }, auth: { user: 'u', password: 'p' } });
 *   node.url                       // http://127.0.0.1:41234
 *   node.chain.stats()             // blocks accepted, answers by reason, the payouts of accepted blocks
 *   node.setInitialBlockDownload(true)   // what a syncing node says
 *   await node.close();
 *
 * Auth as Core: HTTP Basic with the configured user:password, or the `__cookie__` password it writes to
 * `cookieFile` at start (and removes at close: it created it). A wrong password gets 401 with no body.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockDecodeError } from '../../bitcoin/block.js';
import { BlockSubmitError } from '../../bitcoin/block-check.js';
import { difficultyFromTarget, nbitsToTarget } from '../../bitcoin/target.js';
import { bytesToHex, bytesToHexReversed } from '../../util/hex.js';
import { type Sv2Logger, silentLogger } from '../logger.js';
import { SyntheticNodeChain, type SyntheticNodeChainOptions } from './synthetic-node-chain.js';

export interface SyntheticNodeOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The chain to serve, or options for a new one (started and stopped with the node). */
  chain: SyntheticNodeChain | SyntheticNodeChainOptions;
  /** Accepted credentials (either or both). */
  auth?: { user: string; password: string };
  /** Write a Core-style cookie here at start (removed at close). */
  cookieFile?: string;
  /** A longpoll with no new block returns after this long if the mempool changed (Core: 60 s, then every 10 s). */
  longpollMempoolMs?: number;
  /** Largest request body (a hex block). Default 32 MiB. */
  maxRequestBytes?: number;
  logger?: Sv2Logger;
}

/** Core's RPC error codes used here (src/rpc/protocol.h). */
const RPC = {
  METHOD_NOT_FOUND: -32601,
  INVALID_REQUEST: -32600,
  PARSE_ERROR: -32700,
  INVALID_PARAMETER: -8,
  CLIENT_NOT_CONNECTED: -9,
  CLIENT_IN_INITIAL_DOWNLOAD: -10,
  DESERIALIZATION_ERROR: -22,
  TYPE_ERROR: -3,
} as const;

class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class SyntheticNode {
  readonly chain: SyntheticNodeChain;
  private readonly ownsChain: boolean;
  private server: Server | null = null;
  private boundPort = 0;
  private ibd = false;
  private peers = 8;
  private cookie: { user: string; password: string } | null = null;
  private readonly waiters = new Set<() => void>();
  private readonly log: Sv2Logger;
  private calls: Record<string, number> = {};

  private constructor(private readonly options: SyntheticNodeOptions) {
    this.log = options.logger ?? silentLogger;
    if (options.chain instanceof SyntheticNodeChain) {
      this.chain = options.chain;
      this.ownsChain = false;
    } else {
      this.chain = new SyntheticNodeChain(options.chain);
      this.ownsChain = true;
    }
    const wake = (): void => {
      for (const w of [...this.waiters]) w();
    };
    this.chain.on('tip', wake);
    this.chain.on('mempool', wake);
  }

  static async start(options: SyntheticNodeOptions): Promise<SyntheticNode> {
    const node = new SyntheticNode(options);
    await node.listen();
    if (node.ownsChain) node.chain.start();
    return node;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get port(): number {
    return this.boundPort;
  }

  /** `http://host:port` (no credentials). */
  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  /** How often each method was called (tests check longpoll and polling behaviour). */
  callCounts(): Record<string, number> {
    return { ...this.calls };
  }

  /** What getblockchaininfo says and whether getblocktemplate refuses on mainnet (-10), as a syncing node. */
  setInitialBlockDownload(ibd: boolean): void {
    this.ibd = ibd;
  }

  /** Peers the node has; on mainnet 0 makes getblocktemplate fail with -9. */
  setPeers(n: number): void {
    this.peers = n;
  }

  private listen(): Promise<void> {
    if (this.options.cookieFile !== undefined) {
      this.cookie = { user: '__cookie__', password: bytesToHex(new Uint8Array(randomBytes(32))) };
      writeFileSync(this.options.cookieFile, `${this.cookie.user}:${this.cookie.password}`, { mode: 0o600 });
    }
    const server = createServer((req, res) => this.onRequest(req, res));
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

  private authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const m = /^Basic\s+(.+)$/i.exec(header);
    if (m === null) return false;
    const text = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = text.indexOf(':');
    const user = text.slice(0, colon);
    const password = text.slice(colon + 1);
    const ok = (c: { user: string; password: string } | null | undefined): boolean =>
      c != null && c.user === user && c.password === password;
    return ok(this.options.auth) || ok(this.cookie);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => res.destroy());
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    if (!this.authorized(req)) {
      // Core: 401 with a WWW-Authenticate header and no body (and a short delay against brute force).
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"' }).end();
      return;
    }
    const max = this.options.maxRequestBytes ?? 32 << 20;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (size > max) return;
      void this.answer(Buffer.concat(chunks).toString('utf8'), req, res);
    });
  }

  private async answer(text: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let request: { id?: unknown; method?: unknown; params?: unknown; jsonrpc?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      this.reply(res, null, null, new RpcFailure(RPC.PARSE_ERROR, 'Parse error'), false);
      return;
    }
    const v2 = request.jsonrpc === '2.0';
    const id = request.id ?? null;
    if (typeof request !== 'object' || request === null || typeof request.method !== 'string') {
      this.reply(res, id, null, new RpcFailure(RPC.INVALID_REQUEST, 'Method must be a string'), v2);
      return;
    }
    const params = Array.isArray(request.params) ? request.params : [];
    this.calls[request.method] = (this.calls[request.method] ?? 0) + 1;
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    try {
      const result = await this.dispatch(request.method, params, closed.signal, req);
      if (closed.signal.aborted) return;
      this.reply(res, id, result, null, v2);
    } catch (err) {
      if (closed.signal.aborted) return;
      const failure =
        err instanceof RpcFailure ? err : new RpcFailure(-1, err instanceof Error ? err.message : String(err));
      this.reply(res, id, null, failure, v2);
    }
  }

  /** Legacy (1.0) replies carry errors with HTTP 500 (404 for an unknown method); 2.0 replies with HTTP 200. */
  private reply(res: ServerResponse, id: unknown, result: unknown, error: RpcFailure | null, v2: boolean): void {
    const body = v2
      ? JSON.stringify(
          error === null
            ? { jsonrpc: '2.0', result, id }
            : { jsonrpc: '2.0', error: { code: error.code, message: error.message }, id },
        )
      : JSON.stringify({
          result: error === null ? result : null,
          error: error === null ? null : { code: error.code, message: error.message },
          id,
        });
    const status = error === null || v2 ? 200 : error.code === RPC.METHOD_NOT_FOUND ? 404 : 500;
    res.writeHead(status, { 'content-type': 'application/json' }).end(`${body}\n`);
  }

  private async dispatch(
    method: string,
    params: unknown[],
    signal: AbortSignal,
    _req: IncomingMessage,
  ): Promise<unknown> {
    const c = this.chain;
    switch (method) {
      case 'getblockchaininfo': {
        const tip = c.tip;
        return {
          chain: c.chain,
          blocks: tip.height,
          headers: this.ibd ? tip.height + 5000 : tip.height,
          bestblockhash: tip.hashHex,
          bits: c.nbits.toString(16).padStart(8, '0'),
          difficulty: difficultyFromTarget(nbitsToTarget(c.nbits)),
          time: tip.time,
          mediantime: c.medianTimePast(tip),
          verificationprogress: this.ibd ? 0.42 : 1,
          initialblockdownload: this.ibd,
          pruned: false,
          warnings: [],
        };
      }
      case 'getnetworkinfo':
        return { version: 310000, subversion: '/Satoshi:31.0.0(hashaxe-synthetic)/', connections: this.peers };
      case 'getbestblockhash':
        return c.tip.hashHex;
      case 'getblockcount':
        return c.tip.height;
      case 'submitblock':
        return this.submitblock(params);
      case 'getblocktemplate':
        return this.getblocktemplate(params, signal);
      default:
        throw new RpcFailure(RPC.METHOD_NOT_FOUND, 'Method not found');
    }
  }

  private submitblock(params: unknown[]): string | null {
    const hex = params[0];
    if (typeof hex !== 'string')
      throw new RpcFailure(RPC.TYPE_ERROR, 'JSON value of type null is not of expected type string');
    const bytes = /^([0-9a-fA-F]{2})*$/.test(hex) ? Buffer.from(hex, 'hex') : null;
    if (bytes === null) throw new RpcFailure(RPC.DESERIALIZATION_ERROR, 'Block decode failed');
    try {
      const { answer, hashHex } = this.chain.submit(new Uint8Array(bytes), { via: 'rpc' });
      this.log.info('submitblock', { hash: hashHex, answer: answer ?? 'accepted' });
      return answer;
    } catch (err) {
      if (err instanceof BlockDecodeError) throw new RpcFailure(RPC.DESERIALIZATION_ERROR, 'Block decode failed');
      if (err instanceof BlockSubmitError) throw new RpcFailure(RPC.DESERIALIZATION_ERROR, err.message);
      throw err;
    }
  }

  private async getblocktemplate(params: unknown[], signal: AbortSignal): Promise<unknown> {
    const request = (params[0] ?? {}) as { mode?: unknown; rules?: unknown; longpollid?: unknown; data?: unknown };
    if (typeof request !== 'object' || request === null)
      throw new RpcFailure(RPC.TYPE_ERROR, 'template_request must be an object');
    if (request.mode === 'proposal') {
      if (typeof request.data !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(request.data)) {
        throw new RpcFailure(RPC.TYPE_ERROR, 'Missing data String key for proposal');
      }
      try {
        return this.chain.submit(new Uint8Array(Buffer.from(request.data, 'hex')), { via: 'rpc', proposal: true })
          .answer;
      } catch (err) {
        if (err instanceof BlockDecodeError || err instanceof BlockSubmitError) {
          throw new RpcFailure(RPC.DESERIALIZATION_ERROR, 'Block decode failed');
        }
        throw err;
      }
    }
    if (request.mode !== undefined && request.mode !== 'template')
      throw new RpcFailure(RPC.INVALID_PARAMETER, 'Invalid mode');
    const rules = Array.isArray(request.rules) ? request.rules : [];
    if (!rules.includes('segwit')) {
      throw new RpcFailure(
        RPC.INVALID_PARAMETER,
        'getblocktemplate must be called with the segwit rule set (call with {"rules": ["segwit"]})',
      );
    }
    // Core checks these on mainnet only (IsTestChain skips them).
    if (this.chain.chain === 'main') {
      if (this.peers === 0) throw new RpcFailure(RPC.CLIENT_NOT_CONNECTED, 'Bitcoin Core is not connected!');
      if (this.ibd)
        throw new RpcFailure(
          RPC.CLIENT_IN_INITIAL_DOWNLOAD,
          'Bitcoin Core is in initial sync and waiting for blocks...',
        );
    }
    if (typeof request.longpollid === 'string') await this.longpoll(request.longpollid, signal);
    return this.templateJson();
  }

  /** Waits until the tip differs from the longpoll id's, or the mempool changed and `longpollMempoolMs` passed. */
  private longpoll(id: string, signal: AbortSignal): Promise<void> {
    const tipPart = id.slice(0, 64);
    const counter = Number(id.slice(64));
    const mempoolMs = this.options.longpollMempoolMs ?? 60_000;
    const started = Date.now();
    return new Promise((resolve) => {
      const check = (): void => {
        const c = this.chain;
        const tipMoved = c.tip.hashHex !== tipPart;
        const mempoolMoved = c.mempoolCounter !== counter && Date.now() - started >= mempoolMs;
        if (tipMoved || mempoolMoved || signal.aborted) {
          this.waiters.delete(check);
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(check, Math.min(1000, Math.max(50, mempoolMs)));
      timer.unref();
      this.waiters.add(check);
      signal.addEventListener('abort', check, { once: true });
      check();
    });
  }

  private templateJson(): unknown {
    const t = this.chain.template();
    const index = new Map(t.transactions.map((tx, i) => [bytesToHexReversed(tx.txid), i + 1]));
    const target = nbitsToTarget(t.nbits);
    return {
      capabilities: ['proposal'],
      version: t.version,
      rules: ['csv', '!segwit', 'taproot'],
      vbavailable: {},
      vbrequired: 0,
      previousblockhash: bytesToHexReversed(t.prevHash),
      transactions: t.transactions.map((tx) => ({
        data: bytesToHex(tx.data),
        txid: bytesToHexReversed(tx.txid),
        hash: bytesToHexReversed(tx.wtxid),
        depends: tx.spends.map((p) => index.get(bytesToHexReversed(p))).filter((i) => i !== undefined),
        fee: Number(tx.feeSats),
        sigops: tx.sigops,
        weight: tx.weight,
      })),
      coinbaseaux: {},
      coinbasevalue: Number(t.subsidySats + t.feesSats),
      longpollid: t.longpollId,
      target: target.toString(16).padStart(64, '0'),
      mintime: t.mintime,
      mutable: ['time', 'transactions', 'prevblock'],
      noncerange: '00000000ffffffff',
      sigoplimit: 80000,
      sizelimit: 4000000,
      weightlimit: t.weightLimit,
      curtime: t.curtime,
      bits: t.nbits.toString(16).padStart(8, '0'),
      height: t.height,
      default_witness_commitment: bytesToHex(t.witnessCommitment),
    };
  }

  async close(): Promise<void> {
    if (this.ownsChain) this.chain.stop();
    for (const w of [...this.waiters]) w();
    const server = this.server;
    this.server = null;
    if (server !== null) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (this.options.cookieFile !== undefined && this.cookie !== null) {
      try {
        unlinkSync(this.options.cookieFile);
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }
}

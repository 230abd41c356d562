/**
 * A JSON-RPC client for Bitcoin Core over HTTP: POST / with Basic auth, one request per call.
 *
 * What comes back is read as untrusted input, to the standard of the chip response framer:
 * - the body is collected up to a cap (a full mempool's template is megabytes; anything past the cap is a
 *   broken or hostile peer, and the request is aborted rather than buffered);
 * - Core answers an RPC error either as HTTP 500 with a JSON-RPC error object (legacy 1.0 replies) or as HTTP 200
 *   with one (2.0 replies, Core 28+), so the status alone never decides: a body that parses as a reply with a
 *   non-null `error` is an RpcError whatever the status; 401/403 without a reply body are credentials or
 *   rpcallowip; anything else that is not a JSON-RPC reply is a protocol error naming the status;
 * - the reply's `id` must match the request's, so a proxy mixing up connections cannot feed us another answer.
 *
 * Credentials: user:password, or Core's cookie file, re-read once after a 401 (the node writes a new cookie at
 * every start, so a restarted node would otherwise lock us out until hashaxe restarts too).
 */
import { Agent, request } from 'node:http';
import { TemplateSourceError } from '../template-source.js';
import { readCookieFile } from './node-url.js';

/** A JSON-RPC error the node answered with (`code` is Core's RPC error code, e.g. -10 "in initial sync"). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
  ) {
    super(`${method}: ${rpcMessage} (RPC error ${code})`);
  }
}

export type RpcAuth = { kind: 'password'; user: string; password: string } | { kind: 'cookie'; path: string };

export interface JsonRpcClientOptions {
  host: string;
  port: number;
  auth: RpcAuth;
  /** Per call unless the call says otherwise. Default 30 s. */
  timeoutMs?: number;
  /** Largest reply body accepted. Default 64 MiB. */
  maxResponseBytes?: number;
}

export interface CallOptions {
  timeoutMs?: number;
  /** A fresh connection (not the keep-alive pool): a longpoll that waits for minutes must not block other calls. */
  ownConnection?: boolean;
  signal?: AbortSignal;
}

export class JsonRpcClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 2 });
  private nextId = 1;
  private header: string | null = null;
  private readonly maxBytes: number;

  constructor(private readonly options: JsonRpcClientOptions) {
    this.maxBytes = options.maxResponseBytes ?? 64 << 20;
  }

  /** Calls `method`; resolves with its `result`. Rejects with RpcError or TemplateSourceError. */
  async call(method: string, params: unknown[] = [], call: CallOptions = {}): Promise<unknown> {
    try {
      return await this.callOnce(method, params, call);
    } catch (err) {
      // A restarted node wrote a new cookie: read it again and retry once.
      if (err instanceof TemplateSourceError && err.code === 'unauthorized' && this.options.auth.kind === 'cookie') {
        this.header = null;
        return this.callOnce(method, params, call);
      }
      throw err;
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private authorization(): string {
    if (this.header === null) {
      const a = this.options.auth;
      const { user, password } = a.kind === 'password' ? a : readCookieFile(a.path);
      this.header = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
    }
    return this.header;
  }

  private callOnce(method: string, params: unknown[], call: CallOptions): Promise<unknown> {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    const where = `${this.options.host}:${this.options.port}`;
    const timeoutMs = call.timeoutMs ?? this.options.timeoutMs ?? 30_000;
    const authorization = this.authorization();
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, value?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        call.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value);
      };
      const req = request({
        host: this.options.host,
        port: this.options.port,
        method: 'POST',
        path: '/',
        agent: call.ownConnection ? false : this.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization,
        },
      });
      const timer = setTimeout(() => {
        req.destroy();
        finish(
          new TemplateSourceError(
            'unreachable',
            `no answer from the node at ${where} to ${method} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const onAbort = (): void => {
        req.destroy();
        finish(new TemplateSourceError('disconnected', `${method} to ${where} was cancelled`));
      };
      call.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err: NodeJS.ErrnoException) => {
        finish(new TemplateSourceError('unreachable', `cannot reach the node at ${where}: ${err.code ?? err.message}`));
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxBytes) {
            req.destroy();
            finish(new TemplateSourceError('protocol', `${method}: the node's reply exceeds ${this.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) =>
          finish(new TemplateSourceError('unreachable', `${method}: reply cut off (${err.message})`)),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks, size).toString('utf8');
          try {
            finish(null, this.interpret(method, id, status, text));
          } catch (err) {
            finish(err as Error);
          }
        });
      });
      req.end(body);
    });
  }

  private interpret(method: string, id: number, status: number, text: string): unknown {
    const where = `${this.options.host}:${this.options.port}`;
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      reply = undefined;
    }
    const isReply =
      typeof reply === 'object' && reply !== null && !Array.isArray(reply) && ('result' in reply || 'error' in reply);
    if (!isReply) {
      if (status === 401) {
        throw new TemplateSourceError(
          'unauthorized',
          this.options.auth.kind === 'cookie'
            ? `the node at ${where} refused the cookie from ${this.options.auth.path} (is it this node's current .cookie?)`
            : `the node at ${where} refused the password for RPC user "${this.options.auth.user}" (check rpcauth/rpcuser in bitcoin.conf)`,
        );
      }
      if (status === 403) {
        throw new TemplateSourceError(
          'unauthorized',
          `the node at ${where} forbids this address: add it to rpcallowip in bitcoin.conf`,
        );
      }
      throw new TemplateSourceError(
        'protocol',
        `${method}: the node at ${where} answered HTTP ${status} without a JSON-RPC reply${text.length > 0 ? `: ${oneLine(text)}` : ''}`,
      );
    }
    const r = reply as { result?: unknown; error?: unknown; id?: unknown };
    if (r.id !== id && r.id !== null) {
      throw new TemplateSourceError(
        'protocol',
        `${method}: reply id ${JSON.stringify(r.id)} does not match request id ${id}`,
      );
    }
    if (r.error !== null && r.error !== undefined) {
      const e = r.error as { code?: unknown; message?: unknown };
      const code = typeof e.code === 'number' ? e.code : 0;
      const message = typeof e.message === 'string' ? e.message : JSON.stringify(r.error);
      throw new RpcError(method, code, oneLine(message));
    }
    return r.result ?? null;
  }
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

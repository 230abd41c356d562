import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { BoardDefinition } from '../../src/config/board.js';
import type { BoardControl, BoardLog } from '../board/board-control.js';
import { BoardStateError, stderrLog } from '../board/board-control.js';
import { BoardLimitError } from '../board/limits.js';
import type { ChainStatusProvider } from './chain-status.js';
import { METRICS_CONTENT_TYPE, renderMetrics, renderMetricsWithoutBoard } from './metrics.js';
import { idleMiningStatus, type MiningStatusProvider } from './mining-status.js';
import { boardSettingsNamed, PatchError, parseSettingsPatch } from './settings-patch.js';
import { buildAsicInfo, buildSystemInfo, buildSystemInfoWithoutBoard, hostMacAddress } from './system-info.js';

/** The default API port (documented in the README; the CLI's default too). */
export const DEFAULT_API_PORT = 4028;
export const DEFAULT_API_HOST = '127.0.0.1';
const MIN_TOKEN_LENGTH = 16;

/** What the server needs from the board control (BoardControl itself in the daemon). */
export type BoardApi = Pick<
  BoardControl,
  'board' | 'telemetry' | 'configureFan' | 'setVoltage' | 'setFrequency' | 'restart' | 'getSettings'
>;

export interface ApiServerOptions {
  /**
   * Board control. Null or absent when hashaxe does not drive the board (`--peripherals none`: a chain on a TCP
   * port or a bare pty, or a board whose fan and power are handled elsewhere). The API then serves the mining
   * half only: no board readings, and any change that needs the board is refused with 409.
   */
  board?: BoardApi | null;
  /** Which board this is when there is no board control (with it, `board.board` is used). */
  boardDefinition?: BoardDefinition;
  /** The chips' frequency as the daemon set it, reported when there is no board control. */
  chain?: ChainStatusProvider;
  mining?: MiningStatusProvider;
  /** 127.0.0.1 by default. Any other address exposes the API and then requires `token`. */
  host?: string;
  /** 4028 by default; 0 picks a free port. */
  port?: number;
  /** Bearer token for writes. Required when exposed; when set, enforced on loopback too. */
  token?: string | null;
  version?: string;
  hostname?: string;
  /** AxeOS `macAddr`; by default the first external interface's. */
  macAddr?: string;
  log?: BoardLog;
  maxBodyBytes?: number;
  /** Labels of the ASIC temperature sensors, for /metrics. */
  sensorLabels?: readonly string[];
}

/** What a refused change says on a daemon without board control (HTTP 409). */
const NO_BOARD_CONTROL = 'this device has no board control (hashaxe runs with --peripherals none)';

/** The API cannot start with this configuration; the message says what to change. */
export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The daemon's HTTP API on Node's `http`: AxeOS-compatible `/api/system/info`, `/api/system/asic`,
 * `PATCH /api/system`, `POST /api/system/restart`, plus `/metrics` (Prometheus) and `/health`.
 *
 * Access: bound to 127.0.0.1 unless told otherwise. Reads are open (AxeOS tools poll without auth). Writes
 * need `Authorization: Bearer <token>` when a token is configured, and a token is required to bind any
 * non-loopback address. A write carrying a browser `Origin` from another site is refused, so a web page
 * cannot drive the board through the operator's browser. Bodies are capped; every error is a JSON
 * `{"error": ...}` with a proper status, and no request can crash the daemon.
 */
export class ApiServer {
  private readonly server: Server;
  private readonly opts: Required<
    Omit<ApiServerOptions, 'board' | 'boardDefinition' | 'chain' | 'token' | 'mining' | 'sensorLabels'>
  > & {
    token: string | null;
    mining: MiningStatusProvider;
    sensorLabels: readonly string[];
  };
  /** Null without board control: the mining half only. */
  private readonly board: BoardApi | null;
  private readonly definition: BoardDefinition;
  private readonly chain: ChainStatusProvider | null;
  private readonly tokenDigest: Buffer | null;

  private constructor(options: ApiServerOptions) {
    const host = options.host ?? DEFAULT_API_HOST;
    const token = options.token ?? null;
    if (token !== null && token.length < MIN_TOKEN_LENGTH) {
      throw new ApiConfigError(`api token must be at least ${MIN_TOKEN_LENGTH} characters (try: openssl rand -hex 16)`);
    }
    if (!isLoopback(host) && token === null) {
      throw new ApiConfigError(
        `refusing to expose the API on ${host} without a token: set an API token (writes then need "Authorization: Bearer <token>") or bind ${DEFAULT_API_HOST}`,
      );
    }
    const definition = options.board?.board ?? options.boardDefinition;
    if (definition === undefined) {
      throw new ApiConfigError('the API needs board control or, without it, the board definition');
    }
    this.board = options.board ?? null;
    this.definition = definition;
    this.chain = options.chain ?? null;
    this.opts = {
      mining: options.mining ?? idleMiningStatus(Date.now()),
      host,
      port: options.port ?? DEFAULT_API_PORT,
      token,
      version: options.version ?? '0.0.0',
      hostname: options.hostname ?? osHostname(),
      macAddr: options.macAddr ?? hostMacAddress(),
      log: options.log ?? stderrLog,
      maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
      sensorLabels: options.sensorLabels ?? [],
    };
    this.tokenDigest = token === null ? null : digest(token);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.log.error(`api: ${req.method} ${req.url}: ${(err as Error).message}`);
        if (!res.headersSent) this.send(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Validates the options, binds, and resolves once listening. */
  static async start(options: ApiServerOptions): Promise<ApiServer> {
    const api = new ApiServer(options);
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', (err: NodeJS.ErrnoException) => {
        reject(
          new ApiConfigError(
            err.code === 'EADDRINUSE'
              ? `port ${api.opts.port} on ${api.opts.host} is in use (another hashaxe?); pick another API port`
              : `cannot listen on ${api.opts.host}:${api.opts.port}: ${err.message}`,
          ),
        );
      });
      api.server.listen(api.opts.port, api.opts.host, () => resolve());
    });
    api.opts.log.info(
      `API on http://${api.opts.host}:${api.port} (${isLoopback(api.opts.host) ? 'loopback only' : 'exposed'}, writes ${api.tokenDigest === null ? 'open' : 'need the token'}${api.board === null ? '; no board control: mining figures only, board settings refused' : ''})`,
    );
    return api;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    const h = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `http://${h}:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
    } catch {
      this.send(res, 400, { error: 'malformed request URL' });
      return;
    }
    try {
      await this.route(method, path, req, res);
    } catch (err) {
      if (err instanceof HttpError) {
        req.resume();
        this.send(res, err.status, { error: err.message }, err.headers);
        return;
      }
      throw err;
    }
  }

  private async route(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const routes: Record<string, string[]> = {
      '/api/system/info': ['GET'],
      '/api/system/asic': ['GET'],
      '/api/system': ['PATCH'],
      '/api/system/restart': ['POST'],
      '/metrics': ['GET'],
      '/health': ['GET'],
    };
    const allowed = routes[path];
    if (allowed === undefined) {
      throw new HttpError(404, path.startsWith('/api/') ? 'unknown route' : 'not found');
    }
    if (method === 'OPTIONS') {
      // Cross-origin browsers may read; they are never offered the write methods.
      res.writeHead(204, {
        Allow: ['OPTIONS', ...allowed].join(', '),
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, OPTIONS',
      });
      res.end();
      return;
    }
    if (!allowed.includes(method)) {
      throw new HttpError(405, `${method} is not allowed on ${path}; use ${allowed.join(', ')}`, {
        Allow: allowed.join(', '),
      });
    }
    const cors = { 'Access-Control-Allow-Origin': '*' };
    switch (path) {
      case '/api/system/info': {
        const id = { version: this.opts.version, hostname: this.opts.hostname, macAddr: this.opts.macAddr };
        const mining = this.opts.mining.miningStatus();
        const info =
          this.board === null
            ? buildSystemInfoWithoutBoard(this.definition, this.chain?.chainStatus() ?? null, mining, id)
            : buildSystemInfo(this.board.board, this.board.telemetry(), mining, id);
        this.send(res, 200, info, cors);
        return;
      }
      case '/api/system/asic':
        this.send(res, 200, buildAsicInfo(this.definition), cors);
        return;
      case '/metrics': {
        const text =
          this.board === null
            ? renderMetricsWithoutBoard(
                this.definition,
                this.chain?.chainStatus() ?? null,
                this.opts.mining.miningStatus(),
                this.opts.version,
              )
            : renderMetrics(
                this.board.telemetry(),
                this.opts.mining.miningStatus(),
                this.opts.sensorLabels,
                this.opts.version,
              );
        res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
        return;
      }
      case '/health': {
        if (this.board === null) {
          // Nothing here watches temperatures or power, so there is no fault to latch: the process answers.
          this.send(res, 200, {
            status: 'ok',
            asicRunning: this.chain?.chainStatus().running ?? false,
            problems: [],
            boardControl: false,
          });
          return;
        }
        const t = this.board.telemetry();
        const problems = [t.overheat?.reason, t.hardwareFault?.reason, t.sensorFault?.reason].filter(
          (r): r is string => typeof r === 'string',
        );
        this.send(res, problems.length === 0 ? 200 : 503, {
          status: problems.length === 0 ? 'ok' : 'fault',
          asicRunning: t.asicRunning,
          problems,
        });
        return;
      }
      case '/api/system':
        this.authorizeWrite(req);
        await this.patchSettings(await this.readJson(req), res);
        return;
      case '/api/system/restart':
        this.authorizeWrite(req);
        req.resume();
        if (this.board === null) {
          throw new HttpError(409, `${NO_BOARD_CONTROL}: it cannot power-cycle the chips; nothing was done`);
        }
        try {
          await this.board.restart();
        } catch (err) {
          if (err instanceof BoardStateError) throw new HttpError(409, err.message);
          throw err;
        }
        this.send(res, 200, { message: 'board restarted: ASIC power cycled' });
        return;
    }
  }

  private authorizeWrite(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // "null" is what sandboxed frames and file: pages send: never a page of this daemon.
      let originUrl: URL;
      try {
        originUrl = new URL(origin);
      } catch {
        throw new HttpError(403, 'writes from a browser page on another site are refused');
      }
      // A page whose name was re-pointed at this address (DNS rebinding) is "same host" by the Host header,
      // so without a token only a page served from a loopback name may write; with one, the token decides.
      const sameHost = originUrl.host === req.headers.host && this.tokenDigest !== null;
      if (!sameHost && !isLoopback(originUrl.hostname)) {
        throw new HttpError(403, 'writes from a browser page on another site are refused');
      }
    }
    if (this.tokenDigest === null) return;
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (m === null || !timingSafeEqual(digest(m[1]), this.tokenDigest)) {
      throw new HttpError(
        401,
        'this API needs "Authorization: Bearer <token>" for changes (hashaxe --token or HASHAXE_TOKEN)',
        {
          'WWW-Authenticate': 'Bearer realm="hashaxe"',
        },
      );
    }
  }

  private readJson(req: IncomingMessage): Promise<unknown> {
    const limit = this.opts.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      return Promise.reject(new HttpError(413, `request body over ${limit} bytes`, { Connection: 'close' }));
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      req.on('data', (chunk: Buffer) => {
        if (failed) return;
        size += chunk.length;
        if (size > limit) {
          failed = true;
          reject(new HttpError(413, `request body over ${limit} bytes`, { Connection: 'close' }));
          return;
        }
        chunks.push(chunk);
      });
      req.on('error', (err) => {
        if (!failed) {
          failed = true;
          reject(new HttpError(400, `request body: ${err.message}`));
        }
      });
      req.on('end', () => {
        if (failed) return;
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') {
          reject(new HttpError(400, 'empty body: send a JSON object of settings'));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(new HttpError(400, `invalid JSON: ${(err as Error).message}`));
        }
      });
    });
  }

  private async patchSettings(body: unknown, res: ServerResponse): Promise<void> {
    const board = this.board;
    if (board === null) {
      // Refused before the values are checked: no value of these settings can be applied here.
      const named = boardSettingsNamed(body);
      if (named.length > 0) {
        throw new HttpError(
          409,
          `${NO_BOARD_CONTROL}: ${named.join(', ')} cannot be changed here; nothing was changed`,
        );
      }
    }
    let patch: ReturnType<typeof parseSettingsPatch>;
    try {
      patch = parseSettingsPatch(body, this.definition);
    } catch (err) {
      if (err instanceof PatchError) throw new HttpError(400, err.message);
      throw err;
    }
    if (board === null) {
      // Only AxeOS settings this daemon ignores anyway (Wi-Fi, pools, display…): accepted as with board control.
      this.send(res, 200, { status: 'success', applied: {}, ignored: patch.ignored });
      return;
    }
    const applied: Record<string, unknown> = {};
    try {
      if (patch.fan !== null) {
        const s = await board.configureFan(patch.fan);
        applied.autofanspeed = s.fanMode === 'auto' ? 1 : 0;
        applied.manualFanSpeed = s.fanPercent;
        applied.minFanSpeed = s.minFanPercent;
        applied.temptarget = s.fanTargetC;
      }
      // More voltage before more clock; less clock before less voltage.
      const current = board.getSettings();
      const raiseVoltageFirst = patch.voltageMv !== null && patch.voltageMv > current.voltageMv;
      if (raiseVoltageFirst && patch.voltageMv !== null) applied.coreVoltage = await board.setVoltage(patch.voltageMv);
      if (patch.frequencyMhz !== null) applied.frequency = await board.setFrequency(patch.frequencyMhz);
      if (!raiseVoltageFirst && patch.voltageMv !== null) applied.coreVoltage = await board.setVoltage(patch.voltageMv);
      if (patch.clearOverheat) {
        // AxeOS clears the flag; here clearing means the checked restart (a no-op when nothing is latched).
        if (board.telemetry().overheat !== null) await board.restart();
        applied.overheat_mode = 0;
      }
    } catch (err) {
      if (err instanceof BoardLimitError) throw new HttpError(400, err.message);
      if (err instanceof BoardStateError) throw new HttpError(409, err.message);
      throw err;
    }
    this.send(res, 200, { status: 'success', applied, ignored: patch.ignored });
  }
}

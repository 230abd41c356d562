import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { BoardDefinition } from '../../src/config/board.js';
import type { BoardLog } from '../board/board-control.js';
import { stderrLog } from '../board/board-control.js';
import { LogRing, plainLogLine } from '../daemon/log-ring.js';
import { AccessControl, isLoopback } from './access.js';
import { AxeosCommands, type BoardApi } from './axeos-commands.js';
import type { ChainStatusProvider } from './chain-status.js';
import { ConnectionGuard, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-guard.js';
import type { DeviceApi } from './device-api.js';
import { HostMonitor } from './host-info.js';
import { CORS_HEADERS, errorBody, HttpError, readJson, sendJson, sendText } from './http-io.js';
import { LiveSockets } from './live-sockets.js';
import { METRICS_CONTENT_TYPE, renderMetrics, renderMetricsWithoutBoard } from './metrics.js';
import { idleMiningStatus, type MiningStatusProvider } from './mining-status.js';
import { PreferencesWriter, readPreferences } from './preferences-store.js';
import { StaticFiles } from './static-files.js';
import { StatisticsHistory } from './statistics-history.js';
import {
  buildAsicInfo,
  buildSystemInfo,
  buildSystemInfoWithoutBoard,
  DEFAULT_PREFERENCES,
  type DevicePreferences,
  hostMacAddress,
} from './system-info.js';

export { isLoopback } from './access.js';

/** The default API port (documented in the README; the CLI's default too). */
export const DEFAULT_API_PORT = 4028;
export const DEFAULT_API_HOST = '127.0.0.1';
const MIN_TOKEN_LENGTH = 16;

export type { BoardApi } from './axeos-commands.js';

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
  /** The running daemon's commands (pools, pause/resume, scoreboard); absent in board-only setups. */
  device?: DeviceApi | null;
  /** The daemon's log ring (for `/api/ws` and `/api/system/logs`). */
  logs?: LogRing;
  /** 127.0.0.1 by default. Any other address exposes the API and then requires `token`. */
  host?: string;
  /** 4028 by default; 0 picks a free port. */
  port?: number;
  /** Token for writes. Required when exposed; when set, every write needs it (loopback and own pages too). */
  token?: string | null;
  /** Origins (e.g. another device's AxeOS swarm page) trusted to write without the token. */
  trustedOrigins?: readonly string[];
  version?: string;
  hostname?: string;
  /** AxeOS `macAddr`; by default the first external interface's. */
  macAddr?: string;
  log?: BoardLog;
  maxBodyBytes?: number;
  /** Labels of the ASIC temperature sensors, for /metrics. */
  sensorLabels?: readonly string[];
  connectionLimits?: Partial<ConnectionLimits>;
  /** Where the dashboard's files are (default dist/web). */
  webRoot?: string;
  preferences?: Partial<DevicePreferences>;
  /** Where the theme and display settings are kept across restarts (null or absent: memory only). */
  preferencesFile?: string | null;
}

/** The API cannot start with this configuration; the message says what to change. */
export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, param: string | null) => Promise<void> | void;

interface Route {
  path: string;
  /** `/api/system/pools/*`: the last segment is the parameter. */
  prefix?: boolean;
  methods: Record<string, Handler>;
}

/**
 * The daemon's HTTP API and dashboard on Node's `http`: the AxeOS API (ESP-Miner's routes and fields, so the
 * AxeOS UI, its swarm page and pyasic-style tools work against it), `/api/ws` and `/api/ws/live`, `/metrics`
 * (Prometheus), `/health`, and hashaxe's own dashboard at `/`.
 *
 * Access (access.ts): reads are open; writes need the token when one is set, else the daemon's own page or no
 * page at all. Connections are capped and timed out with their sockets destroyed (connection-guard.ts); bodies
 * are capped; every refusal is a JSON `{"message", "error"}` with CORS headers, and no request can crash it.
 */
export class ApiServer {
  private readonly server: Server;
  private readonly opts: {
    host: string;
    port: number;
    version: string;
    hostname: string;
    macAddr: string;
    log: BoardLog;
    maxBodyBytes: number;
    sensorLabels: readonly string[];
    mining: MiningStatusProvider;
  };
  /** Null without board control: the mining half only. */
  private readonly board: BoardApi | null;
  private readonly definition: BoardDefinition;
  private readonly chain: ChainStatusProvider | null;
  private readonly device: DeviceApi | null;
  private readonly access: AccessControl;
  private readonly guard: ConnectionGuard;
  private readonly hostMonitor = new HostMonitor();
  private readonly logs: LogRing;
  private readonly live: LiveSockets;
  private readonly stats: StatisticsHistory;
  private readonly files: StaticFiles;
  private readonly preferences: DevicePreferences;
  private readonly commands: AxeosCommands;
  private blocksDismissed = 0;
  private readonly ticker: NodeJS.Timeout;
  private readonly startedAtMs = Date.now();
  private readonly routes: Route[];

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
    this.device = options.device ?? null;
    this.opts = {
      mining: options.mining ?? idleMiningStatus(Date.now()),
      host,
      port: options.port ?? DEFAULT_API_PORT,
      version: options.version ?? '0.0.0',
      hostname: options.hostname ?? osHostname(),
      macAddr: options.macAddr ?? hostMacAddress(),
      log: options.log ?? stderrLog,
      maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
      sensorLabels: options.sensorLabels ?? [],
    };
    const stored =
      options.preferencesFile != null ? readPreferences(options.preferencesFile, options.log ?? stderrLog) : {};
    this.preferences = { ...DEFAULT_PREFERENCES, ...options.preferences, ...stored.preferences };
    this.stats = new StatisticsHistory(this.preferences.statsFrequency);
    this.logs = options.logs ?? new LogRing();
    this.files = new StaticFiles(options.webRoot);
    this.access = new AccessControl({
      token,
      port: () => this.port,
      ...(options.trustedOrigins !== undefined ? { trustedOrigins: options.trustedOrigins } : {}),
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.log.error(`api: ${req.method} ${(req.url ?? '').slice(0, 200)}: ${(err as Error).message}`);
        if (!res.headersSent) sendJson(res, 500, errorBody('internal error'));
        else res.destroy();
      });
    });
    this.server.requestTimeout = 30_000;
    this.server.headersTimeout = 10_000;
    this.server.keepAliveTimeout = 5_000;
    // Node half-closes a socket whose request timed out or was malformed; a peer that never closes its end would
    // keep the descriptor. Answer, then destroy.
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) {
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
        setTimeout(() => socket.destroy(), 1000).unref();
      } else {
        socket.destroy();
      }
    });
    this.guard = new ConnectionGuard(this.server, { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits });
    this.live = new LiveSockets({
      info: () => this.systemInfo(),
      logs: (listener) => this.logs.subscribe(listener),
    });
    this.server.on('upgrade', (req, socket, head) => {
      const path = safePath(req.url);
      if (path !== null && LiveSockets.handles(path)) {
        this.live.upgrade(req, socket, head, path);
        return;
      }
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
    });
    // One second: the live frames and the statistics rows come from the same info object the GET returns.
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref();
    this.commands = new AxeosCommands({
      board: this.board,
      device: this.device,
      definition: this.definition,
      hostname: this.opts.hostname,
      log: this.opts.log,
      preferences: this.preferences,
      stats: this.stats,
      systemInfo: () => this.systemInfo(),
      body: (req) => this.body(req),
      ...(stored.theme !== undefined ? { theme: stored.theme } : {}),
      store: options.preferencesFile != null ? new PreferencesWriter(options.preferencesFile, this.opts.log) : null,
    });
    this.routes = this.buildRoutes();
  }

  /** Validates the options, binds, and resolves once listening. */
  static async start(options: ApiServerOptions): Promise<ApiServer> {
    const api = new ApiServer(options);
    try {
      await new Promise<void>((resolve, reject) => {
        api.server.once('error', (err: NodeJS.ErrnoException) => {
          reject(
            new ApiConfigError(
              err.code === 'EADDRINUSE'
                ? `port ${api.opts.port} on ${api.opts.host} is in use (another hashaxe?); pick another API port`
                : err.code === 'EACCES'
                  ? `cannot listen on port ${api.opts.port}: ports below 1024 need CAP_NET_BIND_SERVICE (the Pi service has it) or root`
                  : `cannot listen on ${api.opts.host}:${api.opts.port}: ${err.message}`,
            ),
          );
        });
        api.server.listen(api.opts.port, api.opts.host, () => resolve());
      });
    } catch (err) {
      api.stopTimers();
      throw err;
    }
    api.tick();
    api.opts.log.info(
      `API on http://${api.opts.host.includes(':') ? `[${api.opts.host}]` : api.opts.host}:${api.port}/ (${isLoopback(api.opts.host) ? 'loopback only' : 'exposed'}, writes ${api.access.tokenRequired ? 'need the token' : 'from its own page or non-browser clients'}${api.board === null ? '; no board control: mining figures only, board settings refused' : ''}${api.files.built ? '; dashboard at /' : '; dashboard not built'})`,
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

  /** Open HTTP connections (websockets not counted), for tests and /metrics. */
  get openConnections(): number {
    return this.guard.open;
  }

  close(): Promise<void> {
    this.stopTimers();
    this.live.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      this.guard.close();
    });
  }

  private stopTimers(): void {
    clearInterval(this.ticker);
    this.hostMonitor.stop();
  }

  private tick(): void {
    if (this.live.liveClients === 0 && !this.stats.due) return;
    try {
      const info = this.systemInfo();
      this.stats.offer(info);
      this.live.publish(info);
    } catch (err) {
      this.opts.log.warn(`api: live update failed: ${(err as Error).message}`);
    }
  }

  /** The AxeOS info object: one builder for GET, the live socket and the statistics. */
  systemInfo(): Record<string, unknown> {
    const id = { version: this.opts.version, hostname: this.opts.hostname, macAddr: this.opts.macAddr };
    const mining = this.opts.mining.miningStatus();
    const extras = {
      host: this.hostMonitor.readings(),
      preferences: this.preferences,
      processStartedAtMs: this.startedAtMs,
    };
    const info =
      this.board === null
        ? buildSystemInfoWithoutBoard(this.definition, this.chain?.chainStatus() ?? null, mining, id, extras)
        : buildSystemInfo(this.board.board, this.board.telemetry(), mining, id, extras);
    if (typeof info.blockFound === 'number') {
      info.showNewBlock = info.blockFound > this.blocksDismissed;
    }
    return info;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, errorBody('malformed request URL'));
      return;
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    try {
      const isApi = path.startsWith('/api/') || path === '/api' || path === '/metrics' || path === '/health';
      if (!isApi) {
        if (method !== 'GET' && method !== 'HEAD') {
          throw new HttpError(405, `${method} is not allowed on ${path}; the dashboard is GET only`, {
            Allow: 'GET, HEAD',
          });
        }
        this.files.serve(req, res, url.pathname);
        return;
      }
      await this.route(method, path, url, req, res);
    } catch (err) {
      if (err instanceof HttpError) {
        req.resume();
        sendJson(res, err.status, errorBody(err.message), err.headers);
        return;
      }
      throw err;
    }
  }

  private async route(
    method: string,
    path: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    let route: Route | undefined;
    let param: string | null = null;
    for (const r of this.routes) {
      if (r.prefix === true ? path.startsWith(`${r.path}/`) : path === r.path) {
        route = r;
        if (r.prefix === true) param = path.slice(r.path.length + 1);
        break;
      }
    }
    if (route === undefined) throw new HttpError(404, path.startsWith('/api') ? 'unknown route' : 'not found');
    const allowed = Object.keys(route.methods);
    if (method === 'OPTIONS') {
      // A browser's preflight (the swarm's cross-device POST and PATCH): answered for every method; the write
      // itself still passes the access check.
      const headers: Record<string, string> = {
        ...CORS_HEADERS,
        Allow: ['OPTIONS', ...allowed].join(', '),
        'Content-Length': '0',
      };
      if (req.headers['access-control-request-private-network'] === 'true') {
        headers['Access-Control-Allow-Private-Network'] = 'true';
      }
      res.writeHead(200, headers);
      res.end();
      return;
    }
    const handler = route.methods[method] ?? (method === 'HEAD' ? route.methods.GET : undefined);
    if (handler === undefined) {
      throw new HttpError(405, `${method} is not allowed on ${path}; use ${allowed.join(', ')}`, {
        Allow: allowed.join(', '),
      });
    }
    if (method !== 'GET' && method !== 'HEAD') this.access.authorizeWrite(req);
    await handler(req, res, url, param);
  }

  private buildRoutes(): Route[] {
    return [
      {
        path: '/api/system/info',
        methods: {
          GET: (_q, res) => {
            const info = this.systemInfo();
            this.stats.offer(info);
            sendJson(res, 200, info);
          },
        },
      },
      { path: '/api/system/asic', methods: { GET: (_q, res) => sendJson(res, 200, buildAsicInfo(this.definition)) } },
      {
        path: '/api/system/statistics',
        methods: { GET: (_q, res, url) => sendJson(res, 200, this.stats.query(url.searchParams.get('columns'))) },
      },
      {
        path: '/api/system/scoreboard',
        methods: { GET: (_q, res) => sendJson(res, 200, this.device?.scoreboard() ?? []) },
      },
      { path: '/api/system/wifi/scan', methods: { GET: (_q, res) => sendJson(res, 200, { networks: [] }) } },
      {
        path: '/api/system/logs',
        methods: {
          GET: (_q, res) =>
            sendText(res, 200, this.logs.recent().map(plainLogLine).join(''), 'text/plain; charset=utf-8', {
              'Content-Disposition': 'attachment; filename="bitaxe-logs.txt"',
            }),
        },
      },
      {
        path: '/api/system',
        methods: { PATCH: async (req, res) => this.commands.patchSettings(await this.body(req), res) },
      },
      {
        path: '/api/system/pools',
        prefix: true,
        methods: {
          PUT: (q, r, _u, p) => this.commands.putPool(q, r, p),
          DELETE: (_q, r, _u, p) => this.commands.deletePool(r, p),
        },
      },
      { path: '/api/system/restart', methods: { POST: (req, res) => this.commands.restart(req, res) } },
      { path: '/api/system/identify', methods: { POST: (req, res) => this.commands.identify(req, res) } },
      { path: '/api/system/pause', methods: { POST: (req, res) => this.commands.pauseResume(req, res, true) } },
      { path: '/api/system/resume', methods: { POST: (req, res) => this.commands.pauseResume(req, res, false) } },
      {
        path: '/api/system/blockFound/dismiss',
        methods: {
          POST: (req, res) => {
            req.resume();
            const found = this.opts.mining.miningStatus().blocks?.found ?? 0;
            this.blocksDismissed = found;
            sendJson(res, 200, {
              blockFound: found,
              showNewBlock: false,
              message: 'Block found notification dismissed',
            });
          },
        },
      },
      {
        path: '/api/system/boot',
        methods: {
          POST: () => {
            throw new HttpError(400, 'Partition switching not supported: hashaxe runs from its install directory');
          },
        },
      },
      { path: '/api/system/OTA', methods: { POST: (req, res) => this.commands.refuseUpload(req, res) } },
      { path: '/api/system/OTAWWW', methods: { POST: (req, res) => this.commands.refuseUpload(req, res) } },
      {
        path: '/api/theme',
        methods: {
          GET: (_q, res) => sendJson(res, 200, this.commands.theme),
          POST: async (req, res) => this.commands.setTheme(await this.body(req), res),
        },
      },
      { path: '/metrics', methods: { GET: (_q, res) => this.metrics(res) } },
      { path: '/health', methods: { GET: (_q, res) => this.health(res) } },
    ];
  }

  private body(req: IncomingMessage): Promise<unknown> {
    return readJson(req, this.opts.maxBodyBytes);
  }

  private metrics(res: ServerResponse): void {
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
  }

  private health(res: ServerResponse): void {
    if (this.board === null) {
      // Nothing here watches temperatures or power, so there is no fault to latch: the process answers.
      sendJson(res, 200, {
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
    sendJson(res, problems.length === 0 ? 200 : 503, {
      status: problems.length === 0 ? 'ok' : 'fault',
      asicRunning: t.asicRunning,
      problems,
    });
  }
}

function safePath(url: string | undefined): string | null {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  } catch {
    return null;
  }
}

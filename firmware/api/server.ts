import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname as osHostname } from 'node:os';
import type { BoardDefinition } from '../../src/config/board.js';
import type { BoardControl, BoardLog } from '../board/board-control.js';
import { BoardStateError, DEFAULT_POLICY, stderrLog } from '../board/board-control.js';
import { BoardLimitError } from '../board/limits.js';
import { LogRing, plainLogLine } from '../daemon/log-ring.js';
import { AccessControl, isLoopback } from './access.js';
import type { ChainStatusProvider } from './chain-status.js';
import { ConnectionGuard, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-guard.js';
import { type DeviceApi, PoolChangeError } from './device-api.js';
import { HostMonitor } from './host-info.js';
import { CORS_HEADERS, errorBody, HttpError, readJson, sendJson, sendText } from './http-io.js';
import { LiveSockets } from './live-sockets.js';
import { METRICS_CONTENT_TYPE, renderMetrics, renderMetricsWithoutBoard } from './metrics.js';
import { idleMiningStatus, type MiningStatusProvider } from './mining-status.js';
import { applyPoolPatch, parsePoolObject, removePoolSlot } from './pool-slots.js';
import { boardSettingsNamed, PatchError, parseSettingsPatch } from './settings-patch.js';
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

/** What the server needs from the board control (BoardControl itself in the daemon). */
export type BoardApi = Pick<
  BoardControl,
  'board' | 'telemetry' | 'configureFan' | 'setVoltage' | 'setFrequency' | 'restart' | 'getSettings'
> &
  Partial<Pick<BoardControl, 'identify'>>;

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
}

/** What a refused change says on a daemon without board control (HTTP 409). */
const NO_BOARD_CONTROL = 'this device has no board control (hashaxe runs with --peripherals none)';
const NO_DEVICE = 'no mining daemon is attached to this API';

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

const ECHO_MESSAGE = (res: ServerResponse, message: string): void => sendJson(res, 200, { message });

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
  private theme = { colorScheme: 'dark', primaryColor: '#F80421' };
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
    this.preferences = { ...DEFAULT_PREFERENCES, ...options.preferences };
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
      { path: '/api/system', methods: { PATCH: async (req, res) => this.patchSettings(await this.body(req), res) } },
      {
        path: '/api/system/pools',
        prefix: true,
        methods: { PUT: (q, r, _u, p) => this.putPool(q, r, p), DELETE: (_q, r, _u, p) => this.deletePool(r, p) },
      },
      { path: '/api/system/restart', methods: { POST: (req, res) => this.restart(req, res) } },
      { path: '/api/system/identify', methods: { POST: (req, res) => this.identify(req, res) } },
      { path: '/api/system/pause', methods: { POST: (req, res) => this.pauseResume(req, res, true) } },
      { path: '/api/system/resume', methods: { POST: (req, res) => this.pauseResume(req, res, false) } },
      {
        path: '/api/system/blockFound/dismiss',
        methods: {
          POST: (req, res) => {
            req.resume();
            const found = this.opts.mining.miningStatus().blocksFound ?? 0;
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
      { path: '/api/system/OTA', methods: { POST: (req, res) => this.refuseUpload(req, res) } },
      { path: '/api/system/OTAWWW', methods: { POST: (req, res) => this.refuseUpload(req, res) } },
      {
        path: '/api/theme',
        methods: {
          GET: (_q, res) => sendJson(res, 200, this.theme),
          POST: async (req, res) => this.setTheme(await this.body(req), res),
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

  /**
   * Answers at once and power-cycles after: the AxeOS swarm page gives up after 800 ms, and a power cycle takes
   * longer. What would refuse the restart (no board control, a dead sensor, still hot) is checked before the
   * answer, so a refusal still comes back with its reason.
   */
  private restart(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const board = this.board;
    if (board === null)
      throw new HttpError(409, `${NO_BOARD_CONTROL}: it cannot power-cycle the chips; nothing was done`);
    const t = board.telemetry();
    if (t.sensorFault !== null) throw new HttpError(409, `cannot restart: ${t.sensorFault.reason}`);
    const limit = board.board.limits.asicTempC.max - DEFAULT_POLICY.restartHysteresisC;
    if (t.asicTempC !== null && t.asicTempC > limit) {
      throw new HttpError(
        409,
        `cannot restart: ASIC still ${t.asicTempC.toFixed(1)} °C; restart is allowed below ${limit} °C`,
      );
    }
    sendJson(res, 200, { message: 'System will restart shortly.' });
    this.opts.log.info('restart requested through the API: power-cycling the chips');
    setTimeout(() => {
      board.restart().catch((err: unknown) => this.opts.log.warn(`restart: ${(err as Error).message}`));
    }, 20);
  }

  private identify(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    if (this.board?.identify === undefined) {
      throw new HttpError(409, `${NO_BOARD_CONTROL}: there is no fan under hashaxe's control to pulse`);
    }
    this.board.identify(30_000);
    ECHO_MESSAGE(res, 'Identify signal sent: the fan pulses for 30 s');
  }

  private pauseResume(req: IncomingMessage, res: ServerResponse, pause: boolean): void {
    req.resume();
    if (this.device === null) throw new HttpError(409, `${NO_DEVICE}: nothing to ${pause ? 'pause' : 'resume'}`);
    if (pause) this.device.pause();
    else this.device.resume();
    ECHO_MESSAGE(res, pause ? 'Mining paused' : 'Mining resumed');
  }

  private refuseUpload(req: IncomingMessage, res: ServerResponse): void {
    // Not read: an image of megabytes is refused without being received.
    sendJson(
      res,
      400,
      errorBody(
        'firmware images are for ESP32 Bitaxes: update hashaxe on the Pi (git pull && npm install, then restart the service)',
      ),
      { Connection: 'close' },
    );
    res.once('finish', () => req.destroy());
  }

  private setTheme(body: unknown, res: ServerResponse): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Invalid JSON');
    const b = body as Record<string, unknown>;
    // As on ESP-Miner: a key of the wrong type is skipped; lengths are bounded here.
    if (typeof b.colorScheme === 'string' && b.colorScheme.length <= 32) this.theme.colorScheme = b.colorScheme;
    if (typeof b.primaryColor === 'string' && b.primaryColor.length <= 32) this.theme.primaryColor = b.primaryColor;
    sendJson(res, 200, { status: 'ok' });
  }

  private async putPool(req: IncomingMessage, res: ServerResponse, param: string | null): Promise<void> {
    const id = poolIndex(param);
    const body = await this.body(req);
    const device = this.requireDevice();
    const table = device.poolTable();
    const slot = parsePoolObject(
      body,
      id,
      table.slots.find((s) => s.id === id),
    );
    const next = { ...table, slots: [...table.slots.filter((s) => s.id !== id), slot].sort((a, b) => a.id - b.id) };
    await this.applyPools(next);
    sendJson(res, 200, { message: 'Pool updated successfully' });
  }

  private async deletePool(res: ServerResponse, param: string | null): Promise<void> {
    const id = poolIndex(param);
    const device = this.requireDevice();
    await this.applyPools(removePoolSlot(device.poolTable(), id));
    sendJson(res, 200, { message: 'Pool cleared successfully' });
  }

  private requireDevice(): DeviceApi {
    if (this.device === null) throw new HttpError(409, `${NO_DEVICE}: pools cannot be changed here`);
    return this.device;
  }

  private async applyPools(table: ReturnType<DeviceApi['poolTable']>): Promise<void> {
    try {
      await this.requireDevice().applyPoolTable(table);
    } catch (err) {
      if (err instanceof PoolChangeError) throw new HttpError(400, err.message);
      throw err;
    }
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
    const info = this.systemInfo();
    const table = this.device?.poolTable() ?? null;
    let patch: ReturnType<typeof parseSettingsPatch>;
    try {
      patch = parseSettingsPatch(body, this.definition, {
        ssid: String(info.ssid ?? ''),
        hostname: this.opts.hostname,
        primaryPoolIndex: table?.primaryIndex ?? 0,
        secondaryPoolIndex: table?.secondaryIndex ?? 0,
      });
    } catch (err) {
      if (err instanceof PatchError) throw new HttpError(400, err.message);
      throw err;
    }
    // Everything is checked before anything changes; the pools go first, as they can still be refused by the
    // daemon (a protocol this build cannot speak), and then nothing else has changed.
    if (patch.pools !== null) {
      const next = applyPoolPatch(patch.pools, this.requireDevice().poolTable());
      if (next !== null) await this.applyPools(next);
    }
    const applied: Record<string, unknown> = {};
    Object.assign(this.preferences, patch.preferences);
    Object.assign(applied, patch.preferences);
    if (patch.preferences.statsFrequency !== undefined) this.stats.setFrequency(patch.preferences.statsFrequency);
    if (patch.pools !== null) applied.pools = 'applied';
    if (board !== null) {
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
        if (raiseVoltageFirst && patch.voltageMv !== null)
          applied.coreVoltage = await board.setVoltage(patch.voltageMv);
        if (patch.frequencyMhz !== null) applied.frequency = await board.setFrequency(patch.frequencyMhz);
        if (!raiseVoltageFirst && patch.voltageMv !== null)
          applied.coreVoltage = await board.setVoltage(patch.voltageMv);
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
    }
    sendJson(res, 200, { status: 'success', applied, ignored: patch.ignored });
  }
}

function poolIndex(param: string | null): number {
  if (param === null || param === '') throw new HttpError(400, 'Missing pool index');
  if (!/^[0-7]$/.test(param)) throw new HttpError(400, 'Invalid pool index');
  return Number(param);
}

function safePath(url: string | undefined): string | null {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') || '/';
  } catch {
    return null;
  }
}

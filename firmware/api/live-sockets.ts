/**
 * The API's websockets, as the AxeOS UI opens them:
 * - `/api/ws`: the daemon's log, one text frame per line in ESP-IDF's coloured shape (the logs page colours by
 *   the escape code and joins frames until a newline);
 * - `/api/ws/live`: what `/api/system/info` holds: the whole object first, then every second the keys whose
 *   value changed (`{"event":"update","data":{…}}`); the UI shallow-merges, so nested objects go whole.
 *
 * Built on the `ws` package (noServer mode on the API's own HTTP server): frame parsing, masking, fragmentation,
 * close and ping handling are where a hand-written server goes wrong, and this one faces the LAN. At most
 * `maxClients` sockets across both paths (AxeOS: 10; the next gets 429); idle peers are pinged and dropped when
 * they stop answering, so a vanished browser does not keep a descriptor.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { espIdfLogLine, type LogLine } from '../daemon/log-ring.js';

export const LIVE_PATH = '/api/ws/live';
export const LOG_PATH = '/api/ws';

/** Fields `/api/system/info` has that AxeOS leaves out of websocket frames. */
const GET_ONLY = ['fullHostname', 'mdnsHostname'];

interface Client {
  socket: WebSocket;
  kind: 'live' | 'log';
  alive: boolean;
}

export interface LiveSocketOptions {
  maxClients?: number;
  /** How often peers are pinged (a peer that missed the previous ping is dropped). */
  pingMs?: number;
  /** The info object now (built on demand for a new live client). */
  info: () => Record<string, unknown>;
  /** Subscribes to new log lines; returns the unsubscribe function. */
  logs: (listener: (line: LogLine) => void) => () => void;
}

export class LiveSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  private readonly maxClients: number;
  private last: Record<string, string> = {};
  private readonly pinger: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: LiveSocketOptions) {
    this.maxClients = options.maxClients ?? 10;
    this.pinger = setInterval(() => this.ping(), options.pingMs ?? 10_000);
    this.pinger.unref();
    this.unsubscribe = options.logs((line) => {
      const text = espIdfLogLine(line);
      for (const c of this.clients) if (c.kind === 'log') c.socket.send(text);
    });
  }

  get count(): number {
    return this.clients.size;
  }

  /** True when `path` is one of ours (the server then hands the upgrade here). */
  static handles(path: string): boolean {
    return path === LIVE_PATH || path === LOG_PATH;
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): void {
    if (this.clients.size >= this.maxClients) {
      const body = JSON.stringify({ message: 'Max WebSocket clients reached', error: 'Max WebSocket clients reached' });
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { socket: ws, kind: path === LIVE_PATH ? 'live' : 'log', alive: true };
      this.clients.add(client);
      ws.on('pong', () => {
        client.alive = true;
      });
      // Whatever a client sends is read and dropped (AxeOS sends nothing).
      ws.on('message', () => undefined);
      ws.on('error', () => ws.terminate());
      ws.on('close', () => this.clients.delete(client));
      if (client.kind === 'live') {
        const info = this.options.info();
        ws.send(JSON.stringify({ event: 'update', data: withoutGetOnly(info) }));
      }
    });
  }

  /** Sends live clients the keys of `info` that changed since the last call (nothing when nothing did). */
  publish(info: Record<string, unknown>): void {
    const data: Record<string, unknown> = {};
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries(withoutGetOnly(info))) {
      const text = JSON.stringify(v);
      next[k] = text;
      if (this.last[k] !== text) data[k] = v;
    }
    this.last = next;
    if (Object.keys(data).length === 0) return;
    const frame = JSON.stringify({ event: 'update', data });
    for (const c of this.clients) if (c.kind === 'live') c.socket.send(frame);
  }

  /** Live clients connected (the server builds the info object only when someone listens). */
  get liveClients(): number {
    let n = 0;
    for (const c of this.clients) if (c.kind === 'live') n++;
    return n;
  }

  close(): void {
    clearInterval(this.pinger);
    this.unsubscribe();
    for (const c of this.clients) c.socket.terminate();
    this.clients.clear();
    this.wss.close();
  }

  private ping(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.socket.terminate();
        this.clients.delete(c);
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }
}

function withoutGetOnly(info: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...info };
  for (const k of GET_ONLY) delete out[k];
  return out;
}

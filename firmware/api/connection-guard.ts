/**
 * Keeps the API's sockets bounded, so clients that connect and never finish (or never close) cannot hold the
 * daemon's file descriptors.
 *
 * - A cap on open HTTP connections. At the cap, a new connection is still served: the oldest idle connection
 *   (no request being answered: a keep-alive socket, or one that never finished its headers) is destroyed to
 *   make room. Only when every connection is busy answering a request does the newest wait on its own timeout.
 * - Every timeout destroys its socket. Node's own handling half-closes a timed-out socket with `end()`, which
 *   keeps the descriptor until the peer closes; a peer that never does would keep it forever. A sweep destroys
 *   any socket idle past `idleTimeoutMs`, and a request not finished within `requestTimeoutMs`.
 * Upgraded sockets (websockets) leave the guard: the websocket hub caps and pings its own.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Open HTTP connections at most (default 48). */
  maxConnections: number;
  /** A connection with no request in progress is closed after this long without bytes (default 10 s). */
  idleTimeoutMs: number;
  /** A request must be read and answered within this (default 30 s). */
  requestTimeoutMs: number;
  /** How often the sweep runs (default 1 s). */
  sweepMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 48,
  idleTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  sweepMs: 1000,
};

interface Tracked {
  socket: Socket;
  openedAtMs: number;
  lastByteMs: number;
  /** Requests being answered on it (0 or 1 without pipelining). */
  busy: number;
  busySinceMs: number;
  /** When it last finished a request (or opened): a trickle of header bytes does not keep it forever. */
  freeSinceMs: number;
}

export class ConnectionGuard {
  private readonly sockets = new Map<Socket, Tracked>();
  private readonly timer: NodeJS.Timeout;
  private evicted = 0;

  constructor(
    server: Server,
    private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('request', (req, res) => {
      const t = this.sockets.get(req.socket);
      if (t === undefined) return;
      t.busy++;
      t.busySinceMs = this.now();
      res.once('close', () => {
        t.busy = Math.max(0, t.busy - 1);
        t.lastByteMs = this.now();
        t.freeSinceMs = t.lastByteMs;
      });
    });
    server.on('upgrade', (req) => this.release(req.socket));
    this.timer = setInterval(() => this.sweep(), limits.sweepMs);
    this.timer.unref();
  }

  /** Open HTTP connections now (websockets not counted). */
  get open(): number {
    return this.sockets.size;
  }

  /** Connections closed to make room for newer ones, since start. */
  get evictions(): number {
    return this.evicted;
  }

  close(): void {
    clearInterval(this.timer);
    for (const t of this.sockets.values()) t.socket.destroy();
    this.sockets.clear();
  }

  /** Stops tracking a socket that became something else (a websocket). */
  release(socket: Socket): void {
    this.sockets.delete(socket);
  }

  private admit(socket: Socket): void {
    const now = this.now();
    while (this.sockets.size >= this.limits.maxConnections) {
      const victim = this.oldestIdle();
      if (victim === null) break;
      this.evicted++;
      this.drop(victim);
    }
    const t: Tracked = { socket, openedAtMs: now, lastByteMs: now, busy: 0, busySinceMs: 0, freeSinceMs: now };
    this.sockets.set(socket, t);
    socket.on('data', () => {
      t.lastByteMs = this.now();
    });
    socket.once('close', () => this.sockets.delete(socket));
  }

  private oldestIdle(): Tracked | null {
    let oldest: Tracked | null = null;
    for (const t of this.sockets.values()) {
      if (t.busy > 0) continue;
      if (oldest === null || t.lastByteMs < oldest.lastByteMs) oldest = t;
    }
    return oldest;
  }

  private sweep(): void {
    const now = this.now();
    for (const t of [...this.sockets.values()]) {
      const expired =
        t.busy > 0
          ? now - t.busySinceMs > this.limits.requestTimeoutMs
          : now - t.lastByteMs > this.limits.idleTimeoutMs || now - t.freeSinceMs > this.limits.requestTimeoutMs;
      if (expired) this.drop(t);
    }
  }

  private drop(t: Tracked): void {
    this.sockets.delete(t.socket);
    t.socket.destroy();
  }
}

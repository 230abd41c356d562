/**
 * One Stratum V1 connection, plain TCP or TLS: bytes in → lines (LineReader) → parsed messages out; lines out.
 * Used by the mining client (which connects) and the local V1 pool (which accepts).
 *
 * What a peer can get wrong and what it costs:
 * - a line that is not JSON or not a message: `malformed` is emitted and the line skipped (ESP-Miner skips such
 *   lines too); a peer that sends nothing but such lines (MAX_MALFORMED_IN_A_ROW) is cut off;
 * - a line longer than `maxLineBytes`: the connection is closed (`line-too-long`), nothing buffered past the limit;
 * - a peer that stops reading: the connection is closed once `maxWriteBufferBytes` queue up.
 * Everything ends in exactly one `close` with a code and a one-line message; nothing a peer sends throws out.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { KEEPALIVE_IDLE_MS } from '../sv2/transport/connection.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { Sv1ProtocolError } from './errors.js';
import { parseSv1Message, type Sv1Message } from './json-rpc.js';
import { DEFAULT_MAX_LINE_BYTES, LineReader } from './line-reader.js';

/** Malformed lines in a row (with no good one between) after which a peer is treated as not speaking V1. */
export const MAX_MALFORMED_IN_A_ROW = 10;

export interface Sv1CloseInfo {
  /** Stable (statistics, tests): 'closed', 'peer-closed', 'socket-error', 'line-too-long', 'not-stratum', …. */
  code: string;
  message: string;
  error?: Error;
}

export type Sv1ConnectErrorCode = 'refused' | 'dns' | 'timeout' | 'tls' | 'socket' | 'aborted';

/** Connecting failed; `code` says how, `cause` holds the socket's error. */
export class Sv1ConnectError extends Error {
  override readonly name = 'Sv1ConnectError';
  constructor(
    readonly code: Sv1ConnectErrorCode,
    message: string,
    override readonly cause?: Error,
  ) {
    super(message);
  }
}

export interface Sv1TlsOptions {
  /** Certificates the pool's chain must lead to (see tls-trust.ts). */
  ca: string[];
}

export interface Sv1ConnectOptions {
  host: string;
  port: number;
  /** null: plain TCP. */
  tls: Sv1TlsOptions | null;
  /** TCP connect plus the TLS handshake. */
  timeoutMs: number;
  signal?: AbortSignal;
  maxLineBytes?: number;
  maxWriteBufferBytes?: number;
}

interface ConnectionEvents {
  message: Sv1Message;
  /** A line skipped because it was not a message (the error says why and shows its start). */
  malformed: Sv1ProtocolError;
  close: Sv1CloseInfo;
}

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

export class Sv1Connection extends TypedEmitter<ConnectionEvents> {
  private readonly reader: LineReader;
  private readonly decoder = new TextDecoder();
  private readonly maxWriteBufferBytes: number;
  private closeInfo: CloseInfo | null = null;
  private malformedInARow = 0;
  private started = false;
  /** host:port of the peer, for logs. */
  readonly remote: string;
  readonly encrypted: boolean;
  linesIn = 0;
  linesOut = 0;
  malformed = 0;

  constructor(
    private readonly socket: Socket,
    options: { maxLineBytes?: number; maxWriteBufferBytes?: number } = {},
  ) {
    super();
    this.maxWriteBufferBytes = options.maxWriteBufferBytes ?? 4 << 20;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.encrypted = (socket as TLSSocket).encrypted === true;
    this.reader = new LineReader(
      (bytes, start, end) => this.onLine(bytes, start, end),
      (length) =>
        this.close(
          'line-too-long',
          `peer sent a line of more than ${length} bytes (limit ${this.reader.maxLineBytes}); not Stratum V1 as we know it`,
        ),
      options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    );
    socket.setNoDelay(true);
    // A gone host or path, never a stopped process (its kernel answers): see KEEPALIVE_IDLE_MS in the SV2 transport.
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) =>
      this.finish({ code: 'socket-error', message: `socket error: ${err.message}`, error: err }),
    );
    socket.on('close', () => this.finish({ code: 'peer-closed', message: 'connection closed by peer' }));
    socket.on('end', () => this.finish({ code: 'peer-closed', message: 'connection closed by peer' }));
    socket.pause();
  }

  /**
   * Connects (and for TLS: handshakes, the pool's certificate checked against `tls.ca` and its host name).
   * Rejects with Sv1ConnectError; `signal` cancels at once.
   */
  static async connect(options: Sv1ConnectOptions): Promise<Sv1Connection> {
    const { host, port, signal } = options;
    const where = `${host}:${port}`;
    if (signal?.aborted) throw new Sv1ConnectError('aborted', `connecting to ${where} was cancelled`);
    const tls = options.tls;
    const socket: Socket =
      tls === null
        ? netConnect({ host, port })
        : tlsConnect({
            host,
            port,
            // SNI and the name check use the host name; an IP address is checked against the certificate's IPs.
            ...(isIP(host) === 0 ? { servername: host } : {}),
            ca: tls.ca,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.2',
          });
    const ready = tls === null ? 'connect' : 'secureConnect';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Sv1ConnectError(
                'timeout',
                `no ${tls === null ? 'TCP connection' : 'TLS session'} to ${where} within ${options.timeoutMs} ms`,
              ),
            ),
          options.timeoutMs,
        );
        const onAbort = (): void => reject(new Sv1ConnectError('aborted', `connecting to ${where} was cancelled`));
        const cleanup = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          socket.off('error', onError);
          socket.off(ready, onReady);
        };
        const onError = (err: NodeJS.ErrnoException): void => {
          cleanup();
          reject(connectError(err, where, tls !== null));
        };
        const onReady = (): void => {
          cleanup();
          resolve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        socket.once('error', onError);
        socket.once(ready, onReady);
      });
    } catch (err) {
      socket.on('error', () => {});
      socket.destroy();
      throw err;
    }
    return new Sv1Connection(socket, options);
  }

  get closed(): boolean {
    return this.closeInfo !== null;
  }

  get closeReason(): Sv1CloseInfo | null {
    return this.closeInfo;
  }

  /** Bytes of a line received but not yet complete. */
  get bufferedBytes(): number {
    return this.reader.buffered;
  }

  /** Starts delivering messages; call after attaching the `message` and `close` listeners. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.socket.resume();
  }

  /** Sends one line (`\n` included by the caller). Returns false when the connection is closed. */
  send(line: string): boolean {
    if (this.closeInfo !== null) return false;
    this.socket.write(line);
    this.linesOut++;
    if (this.socket.writableLength > this.maxWriteBufferBytes) {
      this.close('write-backlog', `peer is not reading: ${this.socket.writableLength} bytes queued`);
      return false;
    }
    return true;
  }

  /** Closes the connection (idempotent); `close` is emitted once with this reason. Queued lines still go out. */
  close(code: string, message: string, error?: Error): void {
    this.finish({ code, message, error }, true);
  }

  private finish(info: Sv1CloseInfo, flush = false): void {
    if (this.closeInfo !== null) return;
    this.closeInfo = info;
    if (flush && !this.socket.destroyed && this.socket.writableLength > 0) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.emit('close', info);
  }

  private onData(chunk: Buffer): void {
    if (this.closeInfo !== null) return;
    // Answers to every line of this chunk leave in one write instead of one syscall each.
    this.socket.cork();
    try {
      this.reader.push(chunk);
    } finally {
      if (!this.socket.destroyed) this.socket.uncork();
    }
  }

  private onLine(bytes: Uint8Array, start: number, end: number): void {
    if (this.closeInfo !== null) return;
    this.linesIn++;
    const text = this.decoder.decode(bytes.subarray(start, end));
    let message: Sv1Message;
    try {
      message = parseSv1Message(text);
    } catch (err) {
      if (!(err instanceof Sv1ProtocolError)) throw err;
      this.malformed++;
      this.emit('malformed', err);
      if (++this.malformedInARow >= MAX_MALFORMED_IN_A_ROW) {
        this.close(
          'not-stratum',
          `${this.malformedInARow} lines in a row were not Stratum V1 messages (${err.message})`,
        );
      }
      return;
    }
    this.malformedInARow = 0;
    this.emit('message', message);
  }

  protected override onListenerError(event: string, err: unknown): void {
    this.close(
      'internal-error',
      `a ${event} handler threw: ${err instanceof Error ? err.message : String(err)}`,
      err instanceof Error ? err : undefined,
    );
  }
}

type CloseInfo = Sv1CloseInfo;

function connectError(err: NodeJS.ErrnoException, where: string, tls: boolean): Sv1ConnectError {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return new Sv1ConnectError('refused', `cannot connect to ${where}: ${err.message}`, err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new Sv1ConnectError('dns', `cannot resolve ${where.slice(0, where.lastIndexOf(':'))}: ${err.message}`, err);
  }
  if (tls && (TLS_VERIFY_CODES.has(code) || /certificate|self.signed/i.test(err.message))) {
    return new Sv1ConnectError(
      'tls',
      `TLS certificate of ${where} not trusted (${code || err.message}): if this is your own pool with a ` +
        'self-signed certificate, give that certificate as the pool\'s "tlsCa" (--tls-ca FILE)',
      err,
    );
  }
  if (tls) return new Sv1ConnectError('tls', `TLS with ${where} failed: ${err.message}`, err);
  return new Sv1ConnectError('socket', `cannot connect to ${where}: ${err.message}`, err);
}

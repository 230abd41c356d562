/**
 * One SV2 connection over TCP with Noise: runs the handshake (raw 64 / 234 bytes, no framing), then carries
 * encrypted frames both ways. Used by the mining client (initiator) and the local pool (responder).
 *
 * Everything that can go wrong with the peer's bytes — a failed tag, a frame too large, a handshake that
 * does not finish — closes this connection with a code and a one-line message, emitted once as `close`.
 * Nothing a peer sends can throw out of here into the process.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { Sv2ProtocolError } from '../codec/errors.js';
import type { Sv2Frame } from '../codec/frame.js';
import { decodeFrameHeader, FRAME_HEADER_BYTES } from '../codec/frame-header.js';
import type { MessageDef } from '../codec/message.js';
import { AEAD_TAG_BYTES, type CipherState } from '../noise/cipher-state.js';
import { NoiseError } from '../noise/errors.js';
import { EncryptedFrameReader, EncryptedFrameWriter, MAX_PLAINTEXT_CHUNK } from '../noise/frame-cipher.js';
import {
  INITIATOR_MESSAGE_BYTES,
  type InitiatorOptions,
  type InitiatorResult,
  NoiseInitiator,
  NoiseResponder,
  RESPONDER_MESSAGE_BYTES,
  type ResponderOptions,
  type TransportCiphers,
} from '../noise/handshake.js';

export interface ConnectionLimits {
  /** Largest payload a frame header may announce; checked before anything is allocated. */
  maxPayloadBytes: number;
  /** Time allowed for TCP connect (initiator) plus the whole handshake. */
  handshakeTimeoutMs: number;
  /** Close the connection when this many bytes queue up unsent (a peer that stopped reading). */
  maxWriteBufferBytes: number;
}

/**
 * TCP keepalive after this much idle time, on both ends. It notices a peer host or path that is gone (no ACKs to
 * the kernel's probes; Linux then probes every tcp_keepalive_intvl, 75 s by default, 9 times), never a stopped
 * process on a live host, whose kernel answers for it: the client's liveness probes cover that
 * (src/mining/pool-liveness.ts). A complement, and the only check for a pool that ignores those probes.
 */
export const KEEPALIVE_IDLE_MS = 10_000;

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxPayloadBytes: 1 << 20,
  handshakeTimeoutMs: 10_000,
  maxWriteBufferBytes: 4 << 20,
};

/** Why a connection ended. `code` is stable (statistics, tests); `message` is for people. */
export interface CloseInfo {
  code: string;
  message: string;
  error?: Error;
}

/** Connecting or the handshake failed; `code` says which step, `cause` holds a NoiseError when crypto failed. */
export class Sv2ConnectError extends Error {
  override readonly name = 'Sv2ConnectError';
  constructor(
    readonly code: 'connect-failed' | 'handshake-timeout' | 'handshake-failed' | 'closed-during-handshake' | 'aborted',
    message: string,
    override readonly cause?: Error,
  ) {
    super(message);
  }
}

interface ConnectionEvents {
  frame: Sv2Frame;
  close: CloseInfo;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads exactly `n` bytes of handshake from `socket`; resolves with them and any bytes that followed. */
function readHandshake(socket: Socket, n: number): Promise<{ message: Uint8Array; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= n) {
        cleanup();
        const all = new Uint8Array(Buffer.concat(chunks, total));
        resolve({ message: all.subarray(0, n), rest: all.subarray(n) });
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(
        new Sv2ConnectError(
          'closed-during-handshake',
          `peer closed the connection during the Noise handshake after ${total} of ${n} bytes ` +
            '(wrong port, a plaintext or SV1 endpoint, or the peer rejected us)',
        ),
      );
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new Sv2ConnectError('closed-during-handshake', `socket error during the handshake: ${err.message}`, err));
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export class Sv2Connection extends TypedEmitter<ConnectionEvents> {
  private readonly reader: EncryptedFrameReader;
  private readonly writer: EncryptedFrameWriter;
  private closeInfo: CloseInfo | null = null;
  private started = false;
  private readonly pendingRest: Uint8Array;
  /** host:port of the peer, for logs. */
  readonly remote: string;

  private constructor(
    private readonly socket: Socket,
    private readonly ciphers: TransportCiphers,
    private readonly limits: ConnectionLimits,
    rest: Uint8Array,
  ) {
    super();
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.reader = new EncryptedFrameReader(ciphers.receive, limits.maxPayloadBytes);
    this.writer = new EncryptedFrameWriter(ciphers.send);
    this.pendingRest = rest;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) =>
      this.finish({ code: 'socket-error', message: `socket error: ${err.message}`, error: err }),
    );
    socket.on('close', () => this.finish({ code: 'peer-closed', message: 'connection closed by peer' }));
    socket.on('end', () => this.finish({ code: 'peer-closed', message: 'connection closed by peer' }));
    // Frames that arrived with the handshake wait until a listener is attached (see start()).
    socket.pause();
  }

  /**
   * Connects, runs the initiator handshake (certificate checked against `initiator.authorityKey`) and returns
   * the open connection. Rejects with Sv2ConnectError; a certificate problem is its `cause` (a CertificateError).
   * `signal` cancels the attempt (code 'aborted', socket destroyed) without waiting for the handshake timeout.
   */
  static async connect(options: {
    host: string;
    port: number;
    initiator: InitiatorOptions;
    limits?: Partial<ConnectionLimits>;
    signal?: AbortSignal;
  }): Promise<{ connection: Sv2Connection; handshake: InitiatorResult }> {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const signal = options.signal;
    const cancelled = (): Sv2ConnectError =>
      new Sv2ConnectError('aborted', `connecting to ${options.host}:${options.port} was cancelled`);
    if (signal?.aborted) throw cancelled();
    const socket = netConnect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    const attempt = async (): Promise<{ connection: Sv2Connection; handshake: InitiatorResult }> => {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          socket.off('connect', onConnect);
          reject(
            new Sv2ConnectError(
              'connect-failed',
              `cannot connect to ${options.host}:${options.port}: ${err.message}`,
              err,
            ),
          );
        };
        const onConnect = (): void => {
          socket.off('error', onError);
          resolve();
        };
        socket.once('error', onError);
        socket.once('connect', onConnect);
      });
      const initiator = new NoiseInitiator(options.initiator);
      const received = readHandshake(socket, RESPONDER_MESSAGE_BYTES);
      socket.write(initiator.start());
      const { message, rest } = await received;
      let handshake: InitiatorResult;
      try {
        handshake = initiator.finish(message);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        throw new Sv2ConnectError(
          'handshake-failed',
          `Noise handshake with ${options.host}:${options.port} failed: ${e.message}`,
          e,
        );
      }
      return { connection: new Sv2Connection(socket, handshake, limits, rest), handshake };
    };
    let rejectAborted: (err: Error) => void = () => {};
    const aborted = new Promise<never>((_, reject) => {
      rejectAborted = reject;
    });
    const onAbort = (): void => rejectAborted(cancelled());
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await withTimeout(
        Promise.race([attempt(), aborted]),
        limits.handshakeTimeoutMs,
        () =>
          new Sv2ConnectError(
            'handshake-timeout',
            `no complete Noise handshake from ${options.host}:${options.port} within ${limits.handshakeTimeoutMs} ms`,
          ),
      );
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Runs the responder handshake on an accepted socket. Rejects (and destroys the socket) on failure. */
  static async accept(
    socket: Socket,
    options: { responder: ResponderOptions; limits?: Partial<ConnectionLimits> },
  ): Promise<Sv2Connection> {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
    const attempt = async (): Promise<Sv2Connection> => {
      const { message, rest } = await readHandshake(socket, INITIATOR_MESSAGE_BYTES);
      const result = new NoiseResponder(options.responder).respond(message);
      socket.write(result.message);
      return new Sv2Connection(socket, result, limits, rest);
    };
    try {
      return await withTimeout(
        attempt(),
        limits.handshakeTimeoutMs,
        () =>
          new Sv2ConnectError(
            'handshake-timeout',
            `client sent no complete handshake within ${limits.handshakeTimeoutMs} ms`,
          ),
      );
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  get closed(): boolean {
    return this.closeInfo !== null;
  }

  get closeReason(): CloseInfo | null {
    return this.closeInfo;
  }

  /** Starts delivering frames; call after attaching the `frame` and `close` listeners. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.pendingRest.length > 0) this.onData(this.pendingRest);
    this.socket.resume();
  }

  /** Encrypts and sends one message. Returns false when the connection is already closed. */
  send<V>(def: MessageDef<V>, value: V): boolean {
    if (this.closed) return false;
    return this.write(this.writer.write(def, value));
  }

  /**
   * Encrypts and sends raw plaintext frame bytes as they are, even malformed ones: the header (first 6 bytes)
   * as one piece and the rest in payload chunks by its actual length. For fuzzing and protocol tests only.
   */
  sendPlaintextFrame(plain: Uint8Array): boolean {
    if (this.closed) return false;
    if (plain.length < FRAME_HEADER_BYTES) throw new RangeError('a frame needs at least the 6-byte header');
    decodeFrameHeader(plain);
    const cipher: CipherState = this.ciphers.send;
    const body = plain.subarray(FRAME_HEADER_BYTES);
    const chunks = Math.ceil(body.length / MAX_PLAINTEXT_CHUNK);
    const out = new Uint8Array(FRAME_HEADER_BYTES + AEAD_TAG_BYTES + body.length + chunks * AEAD_TAG_BYTES);
    out.set(plain.subarray(0, FRAME_HEADER_BYTES));
    cipher.encryptInPlace(out, 0, FRAME_HEADER_BYTES);
    let dst = FRAME_HEADER_BYTES + AEAD_TAG_BYTES;
    for (let src = 0; src < body.length; src += MAX_PLAINTEXT_CHUNK) {
      const n = Math.min(MAX_PLAINTEXT_CHUNK, body.length - src);
      out.set(body.subarray(src, src + n), dst);
      cipher.encryptInPlace(out, dst, n);
      dst += n + AEAD_TAG_BYTES;
    }
    return this.write(out);
  }

  /** Sends bytes with no encryption at all (tests that corrupt the stream). */
  sendRawBytes(bytes: Uint8Array): boolean {
    return this.closed ? false : this.write(bytes);
  }

  private write(bytes: Uint8Array): boolean {
    this.socket.write(bytes);
    if (this.socket.writableLength > this.limits.maxWriteBufferBytes) {
      this.close('write-backlog', `peer is not reading: ${this.socket.writableLength} bytes queued`);
      return false;
    }
    return true;
  }

  /** Closes the connection (idempotent); `close` is emitted once with this reason. */
  close(code: string, message: string, error?: Error): void {
    this.finish({ code, message, error });
  }

  private finish(info: CloseInfo): void {
    if (this.closeInfo !== null) return;
    this.closeInfo = info;
    // Answers queued while corked (a SetupConnection.Error before the close) still go out.
    while (this.socket.writableCorked > 0) this.socket.uncork();
    this.socket.destroy();
    this.emit('close', info);
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    this.reader.push(chunk);
    // Answers to every frame of this chunk leave in one write instead of one syscall each.
    this.socket.cork();
    try {
      this.drainFrames();
    } finally {
      if (!this.socket.destroyed) this.socket.uncork();
    }
  }

  private drainFrames(): void {
    for (;;) {
      let frame: Sv2Frame | null;
      try {
        frame = this.reader.next();
      } catch (err) {
        if (err instanceof NoiseError) this.close(err.code, err.message, err);
        else if (err instanceof Sv2ProtocolError) this.close(err.code, err.message, err);
        else this.close('internal-error', `frame reader failed: ${describe(err)}`);
        return;
      }
      if (frame === null) return;
      this.emit('frame', frame);
      if (this.closed) return;
    }
  }

  protected override onListenerError(event: string, err: unknown): void {
    this.close('internal-error', `a ${event} handler threw: ${describe(err)}`, err instanceof Error ? err : undefined);
  }
}

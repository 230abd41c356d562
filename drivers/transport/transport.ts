/**
 * One byte-stream interface for every way hashaxe reaches a chain: a real UART or pseudo-terminal (serialport), a
 * ser2net-style TCP socket, or an in-memory pair in tests. The BM13xx driver and the emulator only ever see this.
 */
export interface Transport {
  /** Where it leads, for logs: `/dev/ttyS0`, `tcp://127.0.0.1:3333`, `memory`. */
  readonly description: string;
  /** Baud the host side runs at (recorded even where a line has none, like TCP). */
  readonly baudRate: number;
  /** True when `setBaudRate` really changes a line's speed (serial ports and ptys; not TCP or memory). */
  readonly canSetBaud: boolean;
  /**
   * True when bytes written just before `setBaudRate` may never reach the other end. A pseudo-terminal: `drain`
   * cannot wait for the far side (socat) to read, and the serialport binding flushes both directions when it sets
   * the speed. A driver re-sends what must arrive (the chip's own baud command) after the switch. Absent = false.
   */
  readonly baudChangeMayDropOutput?: boolean;
  readonly closed: boolean;
  /**
   * Queues bytes for sending and returns at once. The bytes are copied first, so callers may reuse their buffer
   * (the driver encodes every job into one scratch buffer). Throws TransportClosedError after close.
   */
  write(bytes: Uint8Array): void;
  /** Resolves when everything written so far has left the host (on a UART: has been transmitted). */
  drain(): Promise<void>;
  setBaudRate(baud: number): Promise<void>;
  /** Discards received bytes not yet delivered (after a baud change the first bytes are noise). */
  flushInput(): Promise<void>;
  /** Registers a listener for received bytes, called synchronously per chunk; returns an unsubscribe. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Called once when the transport closes; `error` says why when it was not a requested close. */
  onClose(listener: (error?: Error) => void): () => void;
  /** Received chunks as an async iterator (an alternative to `onData`). */
  chunks(signal?: AbortSignal): AsyncIterableIterator<Uint8Array>;
  close(): Promise<void>;
}

/** Thrown by `write` on a closed transport. */
export class TransportClosedError extends Error {
  override readonly name = 'TransportClosedError';
}

/** Opening or using a transport failed; the message names the endpoint and what to check. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

/**
 * Listener bookkeeping and the async iterator, shared by the implementations. Subclasses call `deliver` with
 * received bytes and `finish` once when the line ends.
 */
export abstract class TransportBase implements Transport {
  abstract readonly description: string;
  abstract readonly canSetBaud: boolean;
  protected baud: number;
  private readonly dataListeners: Array<(chunk: Uint8Array) => void> = [];
  private readonly closeListeners: Array<(error?: Error) => void> = [];
  private ended = false;
  private endError: Error | undefined;

  constructor(baudRate: number) {
    this.baud = baudRate;
  }

  get baudRate(): number {
    return this.baud;
  }

  get closed(): boolean {
    return this.ended;
  }

  abstract write(bytes: Uint8Array): void;
  abstract drain(): Promise<void>;
  abstract setBaudRate(baud: number): Promise<void>;
  abstract flushInput(): Promise<void>;
  abstract close(): Promise<void>;

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.dataListeners.push(listener);
    return () => {
      const i = this.dataListeners.indexOf(listener);
      if (i >= 0) this.dataListeners.splice(i, 1);
    };
  }

  onClose(listener: (error?: Error) => void): () => void {
    if (this.ended) {
      queueMicrotask(() => listener(this.endError));
      return () => {};
    }
    this.closeListeners.push(listener);
    return () => {
      const i = this.closeListeners.indexOf(listener);
      if (i >= 0) this.closeListeners.splice(i, 1);
    };
  }

  chunks(signal?: AbortSignal): AsyncIterableIterator<Uint8Array> {
    const queue: Uint8Array[] = [];
    let wake: (() => void) | null = null;
    let done = this.ended;
    const stopData = this.onData((chunk) => {
      queue.push(chunk.slice());
      wake?.();
    });
    const stopClose = this.onClose(() => {
      done = true;
      wake?.();
    });
    const onAbort = (): void => {
      done = true;
      wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      stopData();
      stopClose();
      signal?.removeEventListener('abort', onAbort);
    };
    const iterator: AsyncIterableIterator<Uint8Array> = {
      [Symbol.asyncIterator]() {
        return iterator;
      },
      async next(): Promise<IteratorResult<Uint8Array>> {
        while (queue.length === 0 && !done) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
        }
        if (queue.length > 0) return { value: queue.shift() as Uint8Array, done: false };
        cleanup();
        return { value: undefined, done: true };
      },
      async return(): Promise<IteratorResult<Uint8Array>> {
        done = true;
        cleanup();
        return { value: undefined, done: true };
      },
    };
    return iterator;
  }

  protected deliver(chunk: Uint8Array): void {
    for (let i = 0; i < this.dataListeners.length; i++) this.dataListeners[i](chunk);
  }

  protected finish(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    const listeners = this.closeListeners.splice(0);
    for (const l of listeners) l(error);
  }

  protected assertOpen(): void {
    if (this.ended) throw new TransportClosedError(`${this.description} is closed`);
  }
}

/**
 * An attacker on the LAN, from other loopback addresses (Linux routes all of 127/8 to lo, so 127.0.0.x is another
 * machine to the pool): raw TCP connections that open and then say nothing, held open and opened again as soon as
 * the pool closes them.
 */
import { connect, type Socket } from 'node:net';

/** `count` addresses from 127.0.0.`first` on. */
export function loopbackAddresses(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);
}

export interface HalfOpenFlood {
  /** Connections opened so far (first ones and re-opens). */
  readonly opened: number;
  /** How many of the held sockets are open now. */
  readonly openNow: number;
  /** Resolves once every one of the `count` sockets connected at least once (or was turned away). */
  readonly allTried: Promise<void>;
  stop(): void;
}

/**
 * Holds `count` connections to 127.0.0.1:`port`, spread over `addresses` in turn, each sending `payload` (or
 * nothing) and then nothing more; one the pool closes is opened again after `reopenMs`.
 */
export function holdHalfOpen(
  port: number,
  count: number,
  addresses: readonly string[],
  options: { reopenMs?: number; payload?: Uint8Array | string } = {},
): HalfOpenFlood {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let opened = 0;
  let tried = 0;
  let markTried: () => void = () => {};
  const allTried = new Promise<void>((resolve) => {
    markTried = resolve;
  });
  const open = (i: number, first: boolean): void => {
    if (stopped) return;
    const socket = connect({ host: '127.0.0.1', port, localAddress: addresses[i % addresses.length] });
    opened++;
    sockets.add(socket);
    let counted = !first;
    const settle = (): void => {
      if (counted) return;
      counted = true;
      if (++tried === count) markTried();
    };
    socket.on('error', () => {});
    socket.once('connect', () => {
      settle();
      if (options.payload !== undefined) socket.write(options.payload);
    });
    socket.once('close', () => {
      settle();
      sockets.delete(socket);
      if (stopped) return;
      const t = setTimeout(() => {
        timers.delete(t);
        open(i, false);
      }, options.reopenMs ?? 500);
      timers.add(t);
    });
  };
  for (let i = 0; i < count; i++) open(i, true);
  return {
    get opened() {
      return opened;
    },
    get openNow() {
      let n = 0;
      for (const s of sockets) if (!s.connecting && !s.destroyed) n++;
      return n;
    },
    allTried,
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
    },
  };
}

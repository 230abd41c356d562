import { type ChildProcess, spawn } from 'node:child_process';
import { TransportError } from './transport.js';

/**
 * A connected pair of pseudo-terminals made by socat: bytes written to one end come out of the other, and each
 * end is a real tty that serialport opens like a UART. The emulator holds `devicePath`; a host (hashaxe mine,
 * tests, another program) opens `hostPath`, which is `linkPath` when one was asked for (a symlink socat makes).
 */
export interface PtyPair {
  readonly hostPath: string;
  readonly devicePath: string;
  /** The /dev/pts/N behind hostPath. */
  readonly hostPtsPath: string;
  /** Ends socat (which removes the symlink) and waits for it to exit. */
  close(): Promise<void>;
}

export async function createPtyPair(options: { linkPath?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const hostEnd = options.linkPath ? `pty,raw,echo=0,link=${options.linkPath}` : 'pty,raw,echo=0';
  let child: ChildProcess;
  try {
    child = spawn('socat', ['-d', '-d', hostEnd, 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new TransportError(`cannot start socat: ${(err as Error).message}; install it (apt install socat)`);
  }
  const paths = await new Promise<string[]>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TransportError(`socat made no pty pair within ${options.timeoutMs ?? 5000} ms: ${text.trim()}`));
    }, options.timeoutMs ?? 5000);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new TransportError(
          err.code === 'ENOENT' ? 'socat not found; install it (apt install socat)' : `socat: ${err.message}`,
        ),
      );
    });
    const onEarlyExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new TransportError(`socat exited (code ${code}) before the pty pair was ready: ${text.trim()}`));
    };
    child.once('exit', onEarlyExit);
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      const found = [...text.matchAll(/PTY is (\S+)/g)].map((m) => m[1]);
      if (found.length >= 2 && /starting data transfer loop/.test(text)) {
        clearTimeout(timer);
        // Only our own listener: Node's child-process machinery has 'exit' listeners of its own.
        child.off('exit', onEarlyExit);
        resolve(found);
      }
    });
  });
  // Drain socat's later chatter so its pipe never fills.
  child.stderr?.resume();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  return {
    hostPath: options.linkPath ?? paths[0],
    hostPtsPath: paths[0],
    devicePath: paths[1],
    close: async () => {
      if (exited) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 1000).unref();
      });
    },
  };
}

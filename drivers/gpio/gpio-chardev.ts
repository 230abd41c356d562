import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { describeLine, GpioError, type GpioLine, type GpioLineRequest, physicalLevel } from './gpio-line.js';

/**
 * GPIO through the kernel's character device (/dev/gpiochipN), the interface that still exists on current
 * Raspberry Pi OS. Node has no ioctl, so the line is held by the libgpiod command-line tool `gpioset`
 * (Debian package `gpiod`) running as a child process: the kernel keeps the line at the requested level
 * for as long as the process holds the request. Changing the level replaces the holder.
 *
 * libgpiod v1 (Raspberry Pi OS Bookworm ships 1.6) needs `--mode=signal` and a chip + offset, found with
 * `gpiofind GPIO<n>` when the chip is "auto"; v2 (Trixie) holds by default and finds lines by name.
 *
 * Between stopping one holder and starting the next the line is briefly unrequested (typically < 10 ms);
 * the Pi's pin controller keeps the last driven level then, but the kernel does not promise it.
 */
export interface GpiosetOptions {
  /** The gpioset executable (a path or a name on PATH). */
  command?: string;
  /** libgpiod v1's line finder. */
  findCommand?: string;
  env?: NodeJS.ProcessEnv;
  /** How long a fresh holder must stay alive before the level counts as applied. */
  settleMs?: number;
  /** Called when a holder dies without being asked to (someone killed it): the line is no longer held. */
  onLost?: (label: string, reason: string) => void;
}

export interface GpiosetVersion {
  major: number;
  minor: number;
  text: string;
}

function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: env ?? process.env, timeout: 5000 }, (err, stdout, stderr) => {
      if (err) reject(new GpioError(`${command} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/** Asks gpioset for its version: "gpioset (libgpiod) v1.6.3" → {1, 6}. */
export async function gpiosetVersion(command = 'gpioset', env?: NodeJS.ProcessEnv): Promise<GpiosetVersion> {
  const out = await run(command, ['--version'], env);
  const m = /v(\d+)\.(\d+)/.exec(out);
  if (m === null) throw new GpioError(`cannot tell the libgpiod version from ${JSON.stringify(out.split('\n')[0])}`);
  return { major: Number(m[1]), minor: Number(m[2]), text: out.split('\n')[0].trim() };
}

const liveHolders = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A daemon that exits must not leave gpioset children holding the lines (the next start would find them busy). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveHolders) child.kill('SIGTERM');
  });
}

export class GpiosetLine implements GpioLine {
  readonly label: string;
  private level: boolean;
  private holder: ChildProcess | null = null;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly request: GpioLineRequest,
    private readonly version: GpiosetVersion,
    /** v1: [chip, offset] resolved once; v2: the line as gpioset should name it. */
    private readonly target: string[],
    private readonly options: GpiosetOptions,
  ) {
    this.label = `${describeLine(request)} via gpioset ${version.text.replace(/^.*\s(v[\d.]+).*$/, '$1')}`;
    this.level = request.initialActive;
  }

  static async open(request: GpioLineRequest, options: GpiosetOptions = {}): Promise<GpiosetLine> {
    const command = options.command ?? 'gpioset';
    const version = await gpiosetVersion(command, options.env);
    let target: string[];
    if (version.major >= 2) {
      target = request.chip === 'auto' ? [`GPIO${request.line}`] : ['--chip', request.chip, String(request.line)];
    } else if (request.chip === 'auto') {
      const found = (await run(options.findCommand ?? 'gpiofind', [`GPIO${request.line}`], options.env)).trim();
      const m = /^(\S+)\s+(\d+)$/.exec(found);
      if (m === null)
        throw new GpioError(
          `gpiofind GPIO${request.line} printed ${JSON.stringify(found)}; set gpio.chip in the board file`,
        );
      target = [m[1], m[2]];
    } else {
      target = [request.chip, String(request.line)];
    }
    const line = new GpiosetLine(request, version, target, options);
    await line.hold(request.initialActive);
    return line;
  }

  get active(): boolean {
    return this.level;
  }

  /** The process holding the line now (tests look at its arguments). */
  get holderPid(): number | undefined {
    return this.holder?.pid;
  }

  set(active: boolean): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.closed) throw new GpioError(`${this.label}: line is closed`);
      if (active === this.level && this.holder !== null) return;
      await this.release();
      await this.hold(active);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    await this.release();
  }

  private args(level: 0 | 1): string[] {
    const consumer = `hashaxe-${this.request.name}`;
    if (this.version.major >= 2) {
      const last = this.target[this.target.length - 1];
      return ['--consumer', consumer, ...this.target.slice(0, -1), `${last}=${level}`];
    }
    return ['--mode=signal', '--consumer', consumer, this.target[0], `${this.target[1]}=${level}`];
  }

  private hold(active: boolean): Promise<void> {
    const level = physicalLevel(active, this.request.activeLow);
    const args = this.args(level);
    installExitHook();
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.command ?? 'gpioset', args, {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: this.options.env ?? process.env,
      });
      let stderr = '';
      let settled = false;
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => {
        settled = true;
        this.holder = child;
        this.level = active;
        liveHolders.add(child);
        resolve();
      }, this.options.settleMs ?? 50);
      child.once('error', (err) => {
        clearTimeout(timer);
        if (!settled)
          reject(new GpioError(`${this.label}: cannot run gpioset: ${err.message}; install the gpiod package`));
      });
      child.once('exit', (code, signal) => {
        liveHolders.delete(child);
        if (!settled) {
          clearTimeout(timer);
          const why = stderr.trim() || `exit ${code ?? signal}`;
          const hint = /busy/i.test(why) ? ' (another process holds the line: see gpioinfo)' : '';
          reject(new GpioError(`${this.label}: gpioset ${args.join(' ')} failed: ${why}${hint}`));
          return;
        }
        if (this.holder === child) {
          this.holder = null;
          this.options.onLost?.(this.label, stderr.trim() || `gpioset exited (${code ?? signal})`);
        }
      });
    });
  }

  private release(): Promise<void> {
    const child = this.holder;
    if (child === null) return Promise.resolve();
    this.holder = null;
    return new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

/**
 * The CLI's contract, shared by every command: exit 0 on success, 1 when the work failed, 2 on bad input or
 * usage, with a one-line reason on stderr and never a stack trace; `--json` prints one object per line.
 */

/** Bad input or usage: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The work was attempted and failed (device unreachable, pool refused, …): exit code 1. */
export class WorkError extends Error {
  override readonly name = 'WorkError';
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Where a command writes; tests pass their own to capture output. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stdout is an interactive terminal (live status lines, colours). */
  isTty: boolean;
  /** Resolves when the command should stop (SIGINT/SIGTERM); commands that run until killed await it. */
  signal: AbortSignal;
}

export interface Command {
  /** Words that select the command, e.g. ['inspect', 'header']. */
  readonly path: readonly string[];
  /** One line for `hashaxe --help`. */
  readonly summary: string;
  /** Full usage text for `hashaxe <command> --help`. */
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** One JSON object per line, as scripts expect. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Makes an error message a single line (stderr contract). */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

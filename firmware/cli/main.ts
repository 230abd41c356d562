import {
  type CliIo,
  type Command,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  oneLine,
  UsageError,
  WorkError,
} from './command.js';
import { COMMANDS } from './commands.js';
import { packageVersion } from './version.js';

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length));
  const lines = COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return [
    'hashaxe — Stratum V2 controller for BM13xx hashboards on a Raspberry Pi',
    '',
    'Usage: hashaxe <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options: --help (any command), --version',
    'Exit codes: 0 success, 1 the work failed, 2 bad input or usage. --json prints one object per line.',
    '',
  ].join('\n');
}

/** Finds the command whose path is the longest prefix of argv. */
function resolve(argv: string[]): { command: Command; rest: string[] } | null {
  let best: Command | null = null;
  for (const c of COMMANDS) {
    if (c.path.every((word, i) => argv[i] === word) && (best === null || c.path.length > best.path.length)) best = c;
  }
  return best === null ? null : { command: best, rest: argv.slice(best.path.length) };
}

/** Runs the CLI in-process; returns the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
      io.stdout(helpText());
      return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
    }
    if (argv[0] === '--version' || argv[0] === '-V') {
      io.stdout(`hashaxe ${packageVersion()}\n`);
      return EXIT_OK;
    }
    const found = resolve(argv);
    if (found === null) {
      const group = COMMANDS.filter((c) => c.path[0] === argv[0]);
      if (group.length > 0) {
        throw new UsageError(
          `unknown ${argv[0]} subcommand ${JSON.stringify(argv[1] ?? '')}; try: ${group.map((c) => c.path.join(' ')).join(', ')}`,
        );
      }
      throw new UsageError(`unknown command ${JSON.stringify(argv[0])}; see hashaxe --help`);
    }
    if (found.rest.includes('--help') || found.rest.includes('-h')) {
      io.stdout(`${found.command.usage}\n`);
      return EXIT_OK;
    }
    return await found.command.run(found.rest, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof UsageError) {
      io.stderr(`hashaxe: ${oneLine(message)}\n`);
      return EXIT_USAGE;
    }
    if (!(err instanceof WorkError) && process.env.HASHAXE_DEBUG && err instanceof Error && err.stack) {
      io.stderr(`${err.stack}\n`);
    }
    io.stderr(`hashaxe: ${oneLine(message)}\n`);
    return EXIT_FAILED;
  }
}

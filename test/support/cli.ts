import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../firmware/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process with captured output. */
export async function runCliCaptured(
  argv: string[],
  signal: AbortSignal = new AbortController().signal,
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    isTty: false,
    signal,
  });
  return { code, stdout, stderr };
}

/** Runs the built binary as a user would (`node dist/firmware/cli.js ...`). */
export function spawnCli(
  argv: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  // Relative to this compiled file, so tests built into any outDir run their own binary.
  const cli = fileURLToPath(new URL('../../firmware/cli.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Asserts the stderr contract: exactly one line, no stack trace. */
export function isOneLineReason(stderr: string): boolean {
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  return lines.length === 1 && !/\n\s+at /.test(stderr) && !stderr.includes('    at ');
}

/** A CLI process started with `--json` that keeps running (pool, emulate): its JSON lines as they arrive. */
export interface RunningCli {
  child: ReturnType<typeof spawn>;
  /** Every JSON line so far. */
  lines: Array<Record<string, unknown>>;
  stderr: () => string;
  /** Resolves with the first line (already seen or still to come) that `accept` takes. */
  waitFor: (accept: (line: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
  /** Resolves with the exit code (-1 when killed by a signal). */
  exited: Promise<number>;
}

/** Starts the built binary and parses its stdout as one JSON object per line (a non-JSON line fails the wait). */
export function startCliJson(argv: string[]): RunningCli {
  const cli = fileURLToPath(new URL('../../firmware/cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buffer = '';
  let stderr = '';
  let parseError: Error | null = null;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        parseError = new Error(`not a JSON line: ${text}`);
      }
    }
    for (const w of waiters.splice(0)) w();
  });
  let done = false;
  const exited = new Promise<number>((resolve) =>
    child.on('close', (code) => {
      done = true;
      for (const w of waiters.splice(0)) w();
      resolve(code ?? -1);
    }),
  );
  const waitFor = (accept: (line: Record<string, unknown>) => boolean, timeoutMs = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching line within ${timeoutMs} ms: ${stderr}`)),
        timeoutMs,
      );
      const check = (): void => {
        if (parseError) {
          clearTimeout(timer);
          reject(parseError);
          return;
        }
        const found = lines.find(accept);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else if (done) {
          clearTimeout(timer);
          reject(new Error(`process exited without a matching line: ${stderr}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  return { child, lines, stderr: () => stderr, waitFor, exited };
}

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

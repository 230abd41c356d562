#!/usr/bin/env node
import { runCli } from './cli/main.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (): void => {
  signals++;
  // A second Ctrl-C means "now": skip the graceful shutdown.
  if (signals > 1) process.exit(130);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
  signal: controller.signal,
});
process.exitCode = code;
// Let pending writes flush, then leave even if a library left a handle open.
setImmediate(() => process.exit(code));

import { createServer } from 'node:net';

/**
 * A loopback address no test listens on. "Nothing listens here" must not be a 127.0.0.1 port another listener
 * released: with two test files running at once, the next server started on port 0 can be given that very port.
 */
export const NOBODY_HOST = '127.0.0.2';

/** A port on NOBODY_HOST with nothing behind it: a connection there is refused (ECONNREFUSED). */
export async function refusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, NOBODY_HOST, resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

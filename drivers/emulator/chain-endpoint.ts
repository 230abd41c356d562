import { SerialTransport } from '../transport/serial-transport.js';
import { createPtyPair } from '../transport/socat-pty.js';
import { listenTcp } from '../transport/tcp-transport.js';
import type { EmulatedChain } from './bm13xx-emulator.js';

/**
 * Puts an emulated chain where a host can reach it: on a pseudo-terminal (socat pair; the chain holds one end
 * through the real serialport binding, the host opens the other) or on a ser2net-style TCP port.
 */
export interface EmulatorEndpoint {
  readonly kind: 'pty' | 'tcp';
  /** What the host opens: a pty path (or the requested symlink) or `tcp://host:port`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Serves the chain on a new pty pair; `linkPath` makes the host's end reachable under a fixed name. */
export async function serveOnPty(chain: EmulatedChain, linkPath?: string): Promise<EmulatorEndpoint> {
  const pair = await createPtyPair({ linkPath });
  let device: SerialTransport;
  try {
    device = await SerialTransport.open(pair.devicePath, 115_200);
  } catch (err) {
    await pair.close();
    throw err;
  }
  chain.attach(device);
  return {
    kind: 'pty',
    endpoint: pair.hostPath,
    close: async () => {
      chain.detach();
      await device.close();
      await pair.close();
    },
  };
}

/** Serves the chain on `tcp://host:port` (port 0 picks a free one; the endpoint says which). One client at a time. */
export async function serveOnTcp(chain: EmulatedChain, url: string): Promise<EmulatorEndpoint> {
  const listener = await listenTcp(url, (transport) => chain.attach(transport));
  return {
    kind: 'tcp',
    endpoint: listener.url,
    close: async () => {
      chain.detach();
      await listener.close();
    },
  };
}

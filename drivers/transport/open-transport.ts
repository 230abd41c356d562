import { SerialTransport } from './serial-transport.js';
import { TcpTransport } from './tcp-transport.js';
import type { Transport } from './transport.js';

/**
 * Opens whatever `endpoint` names: `tcp://host:port` (ser2net-style) or a serial device / pty path.
 * ("emulated" in-process chains are wired by the caller with createMemoryTransportPair.)
 */
export async function openTransport(endpoint: string, baudRate = 115_200): Promise<Transport> {
  if (endpoint.startsWith('tcp://')) return TcpTransport.connect(endpoint);
  return SerialTransport.open(endpoint, baudRate);
}

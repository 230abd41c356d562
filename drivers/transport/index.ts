export { createMemoryTransportPair, MemoryTransport } from './memory-transport.js';
export { openTransport } from './open-transport.js';
export { SerialTransport } from './serial-transport.js';
export { createPtyPair, type PtyPair } from './socat-pty.js';
export { listenTcp, parseTcpUrl, type TcpListener, TcpTransport } from './tcp-transport.js';
export { type Transport, TransportBase, TransportClosedError, TransportError } from './transport.js';

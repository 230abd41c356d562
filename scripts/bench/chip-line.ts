/**
 * The chips' side of a bench: a BM1366 chain brought up against the emulator on an in-memory line, then handed to
 * the bench as "the chip", with a hook on the bytes the driver writes (shared by mine.bench and template.bench).
 */
import { Bm13xxChain } from '../../drivers/asic/bm13xx-chain.js';
import { EmulatedChain } from '../../drivers/emulator/bm13xx-emulator.js';
import { MemoryTransport } from '../../drivers/transport/memory-transport.js';

/**
 * The host end of the line with a hook on what the driver hands it. A subclass, not a patched instance: code
 * V8 optimised around the transport's `write` stays valid from run to run, as it does in the daemon.
 */
export class ObservedMemoryTransport extends MemoryTransport {
  /** Called with each write before the transport takes it; set per run. */
  observe: ((bytes: Uint8Array) => void) | null = null;

  override write(bytes: Uint8Array): void {
    this.observe?.(bytes);
    super.write(bytes);
  }
}

/** A chain brought up against the emulator (for enumeration and init), then handed to the bench as "the chip". */
export async function chainOnMemoryLine(): Promise<{
  chain: Bm13xxChain;
  host: ObservedMemoryTransport;
  device: MemoryTransport;
  lineInAt: () => number;
}> {
  const host = new ObservedMemoryTransport('memory:host');
  const device = new MemoryTransport('memory:device');
  host.peer = device;
  device.peer = host;
  // Subscribed before the chain: runs first, so it marks when the bytes reach the host, before the driver.
  let lineIn = 0;
  host.onData(() => {
    lineIn = performance.now();
  });
  const emulator = new EmulatedChain({ model: 'bm1366', chips: 1, workers: 0, hashrateHs: 1000 });
  emulator.attach(device);
  const chain = new Bm13xxChain(host, { model: 'bm1366', expectedChips: 1, delayScale: 0, enumerateSilenceMs: 20 });
  await chain.init();
  await chain.switchBaud();
  emulator.detach();
  await emulator.close();
  return { chain, host, device, lineInAt: () => lineIn };
}

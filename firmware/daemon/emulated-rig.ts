/**
 * The embedded default's hardware: an emulated chain of the board's chips served on a real pseudo-terminal
 * (socat + the serialport binding, exactly the path a real UART takes) and the board's I2C/GPIO parts as
 * register models with a thermal model, tied the way a real board ties them (EmulatedBoard.attachChain).
 *
 * Where socat is not installed the chain is wired to the driver through an in-memory line instead, so the
 * embedded default still runs on a bare machine; `line` says which, and the daemon says it out loud.
 */
import type { ChipModelName } from '../../drivers/asic/chip-model.js';
import { EmulatedChain, type EmulatorFaults } from '../../drivers/emulator/bm13xx-emulator.js';
import { serveOnPty } from '../../drivers/emulator/chain-endpoint.js';
import type { EmulatedBoard } from '../../drivers/emulator/thermal-board.js';
import { createMemoryTransportPair } from '../../drivers/transport/memory-transport.js';
import { type Transport, TransportError } from '../../drivers/transport/transport.js';
import type { BoardDefinition } from '../../src/config/board.js';
import { type BoardHardware, emulatedBoardHardware } from '../board/hardware.js';

export interface EmulatedRigOptions {
  /** Real hashes per second of the chain at `referenceFrequencyMhz` (the real rate follows the PLLs). */
  hashrateHs: number;
  referenceFrequencyMhz?: number;
  difficultyScale: number;
  workers: number;
  /** Physics step of the emulated board (ms of real time). */
  physicsPeriodMs?: number;
  seed?: number;
  /** The chain's faults from the start (line noise, bad nonces), before anything is on the line. */
  faults?: EmulatorFaults;
  /** Seed of the chain's line-noise generator. */
  lineSeed?: number;
}

export interface EmulatedRig {
  /** What the driver opens: the pty path (as it would open /dev/ttyAMA0), or the in-memory line's host end. */
  readonly line: { kind: 'pty'; path: string } | { kind: 'memory'; transport: Transport; reason: string };
  readonly chain: EmulatedChain;
  readonly hardware: BoardHardware & { emulated: EmulatedBoard };
  close(): Promise<void>;
}

export async function startEmulatedRig(board: BoardDefinition, options: EmulatedRigOptions): Promise<EmulatedRig> {
  const model = board.asic.model.toLowerCase() as ChipModelName;
  const chain = new EmulatedChain({
    model,
    chips: board.asic.count,
    hashrateHs: options.hashrateHs,
    ...(options.referenceFrequencyMhz !== undefined ? { referenceFrequencyMhz: options.referenceFrequencyMhz } : {}),
    difficultyScale: options.difficultyScale,
    workers: options.workers,
    ...(options.faults !== undefined ? { faults: options.faults } : {}),
    ...(options.lineSeed !== undefined ? { seed: options.lineSeed } : {}),
  });
  let line: EmulatedRig['line'];
  let closeLine: () => Promise<void>;
  try {
    const endpoint = await serveOnPty(chain);
    line = { kind: 'pty', path: endpoint.endpoint };
    closeLine = () => endpoint.close();
  } catch (err) {
    if (!(err instanceof TransportError && /socat/.test(err.message))) {
      await chain.close();
      throw err;
    }
    const [host, device] = createMemoryTransportPair();
    chain.attach(device);
    line = { kind: 'memory', transport: host, reason: err.message };
    closeLine = async () => {
      chain.detach();
      await device.close();
    };
  }
  const hardware = emulatedBoardHardware(board, { seed: options.seed ?? 1 });
  const emulated = hardware.emulated;
  // RST_N low or the core supply gone resets every chip, and their PLLs heat the emulated die.
  const detach = emulated.attachChain(chain);
  const stopPhysics = emulated.runRealtime(options.physicsPeriodMs ?? 100);
  return {
    line,
    chain,
    hardware,
    async close() {
      stopPhysics();
      detach();
      await closeLine();
      await chain.close();
      await hardware.close();
    },
  };
}

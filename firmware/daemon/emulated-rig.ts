/**
 * The embedded default's hardware: an emulated chain of the board's chips served on a real pseudo-terminal
 * (socat + the serialport binding, exactly the path a real UART takes) and the board's I2C/GPIO parts as
 * register models with a thermal model, tied the way a real board ties them (EmulatedBoard.attachChain).
 */
import { type ChipModelName, chipModel } from '../../drivers/asic/chip-model.js';
import { EmulatedChain } from '../../drivers/emulator/bm13xx-emulator.js';
import { type EmulatorEndpoint, serveOnPty } from '../../drivers/emulator/chain-endpoint.js';
import type { EmulatedBoard } from '../../drivers/emulator/thermal-board.js';
import type { BoardDefinition } from '../../src/config/board.js';
import { type BoardHardware, emulatedBoardHardware } from '../board/hardware.js';

export interface EmulatedRigOptions {
  hashrateHs: number;
  difficultyScale: number;
  workers: number;
  /** Physics step of the emulated board (ms of real time). */
  physicsPeriodMs?: number;
  seed?: number;
}

export interface EmulatedRig {
  /** The pty path the driver opens, as it would open /dev/ttyAMA0. */
  readonly portPath: string;
  readonly chain: EmulatedChain;
  readonly hardware: BoardHardware & { emulated: EmulatedBoard };
  close(): Promise<void>;
}

export async function startEmulatedRig(board: BoardDefinition, options: EmulatedRigOptions): Promise<EmulatedRig> {
  const model = board.asic.model.toLowerCase() as ChipModelName;
  chipModel(model);
  const chain = new EmulatedChain({
    model,
    chips: board.asic.count,
    hashrateHs: options.hashrateHs,
    difficultyScale: options.difficultyScale,
    workers: options.workers,
  });
  let endpoint: EmulatorEndpoint;
  try {
    endpoint = await serveOnPty(chain);
  } catch (err) {
    await chain.close();
    throw err;
  }
  const hardware = emulatedBoardHardware(board, { seed: options.seed ?? 1 });
  const emulated = hardware.emulated;
  // RST_N low or the core supply gone resets every chip, and their PLLs heat the emulated die.
  const detach = emulated.attachChain(chain);
  const stopPhysics = emulated.runRealtime(options.physicsPeriodMs ?? 100);
  return {
    portPath: endpoint.endpoint,
    chain,
    hardware,
    async close() {
      stopPhysics();
      detach();
      await endpoint.close();
      await chain.close();
      await hardware.close();
    },
  };
}

import { EmulatedBoard } from '../../drivers/emulator/thermal-board.js';
import type { MiningStatus, MiningStatusProvider } from '../../firmware/api/mining-status.js';
import { ApiServer, type ApiServerOptions } from '../../firmware/api/server.js';
import { BoardControl } from '../../firmware/board/board-control.js';
import { createBoardPeripherals } from '../../firmware/board/peripherals.js';
import { loadBoard } from '../../src/config/board-loader.js';
import { collectingLog } from './log.js';

/**
 * Board-control room: what the daemon will compose, in-process and in real time: an emulated board with
 * its physics running, BoardControl on the system clock (fast power sequencing), and the HTTP API on
 * 127.0.0.1 with a fixed in-test mining provider. Tests drive it over real HTTP (and the real CLI binary).
 */
export interface BoardDaemon {
  board: EmulatedBoard;
  control: BoardControl;
  api: ApiServer;
  url: string;
  mining: MiningStatus;
  logs: string[];
  close(): Promise<void>;
}

export function fixedMiningStatus(): MiningStatus {
  return {
    hashrateGhs: { avg: 420.5, m1: 433.2, m10: 431.9, h1: 428.1 },
    sharesAccepted: 10,
    sharesRejected: 1,
    rejectReasons: { 'stale-share': 1 },
    bestDifficulty: 123456,
    poolDifficulty: 2048,
    uptimeSeconds: 3600,
    hwErrors: 2,
    chips: [{ nonces: 100, hwErrors: 2, hashrateGhs: 430.1 }],
    pool: { url: 'stratum2+tcp://pool.example:34254', port: 34254, user: 'bc1qexample.worker1', protocol: 'SV2' },
  };
}

export async function startBoardDaemon(
  boardName: string,
  options: Partial<Omit<ApiServerOptions, 'board'>> = {},
): Promise<BoardDaemon> {
  const def = loadBoard(boardName);
  const board = new EmulatedBoard(def, { seed: 21 });
  const { log, logs } = collectingLog();
  const control = new BoardControl({
    board: def,
    peripherals: createBoardPeripherals(def, board.bus, { pwmRoot: board.pwmRoot ?? undefined }),
    gpio: { reset: board.reset, powerEnable: board.powerEnable },
    asic: board.asicClock,
    log,
    policy: { powerSettleMs: 20, resetPulseMs: 10, resetSettleMs: 10, voltageStepDelayMs: 2 },
  });
  const stopPhysics = board.runRealtime(50);
  await control.start();
  // Let the physics and two control periods see the powered chips, so the first read is representative.
  await new Promise((r) => setTimeout(r, 250));
  const mining = fixedMiningStatus();
  const provider: MiningStatusProvider = { miningStatus: () => mining };
  let api: ApiServer;
  try {
    api = await ApiServer.start({
      board: control,
      mining: provider,
      port: 0,
      version: '0.1.0-test',
      hostname: 'hashaxe-test',
      log,
      sensorLabels: def.peripherals.asicTemp.map((t) => `${t.part}@${t.address}`),
      ...options,
    });
  } catch (err) {
    stopPhysics();
    await control.stop();
    board.close();
    throw err;
  }
  return {
    board,
    control,
    api,
    url: api.url,
    mining,
    logs,
    async close() {
      await api.close();
      stopPhysics();
      await control.stop();
      board.close();
    },
  };
}

import { Miner, type MinerOptions } from '../../firmware/daemon/miner.js';
import { loadBoard } from '../../src/config/board-loader.js';
import { DEFAULT_MINER_CONFIG, type MinerConfig } from '../../src/config/miner-config.js';
import { collectingLog } from './log.js';

/**
 * The whole daemon in-process on the embedded default (emulated chain on a real pty, emulated board, local
 * pool on 127.0.0.1), with fast power sequencing so a test boots in well under a second.
 */
export interface TestMiner {
  miner: Miner;
  logs: string[];
  stop(): Promise<void>;
}

export type ConfigChanges = Partial<Omit<MinerConfig, 'localPool' | 'emulator' | 'api'>> & {
  localPool?: Partial<MinerConfig['localPool']>;
  emulator?: Partial<MinerConfig['emulator']>;
  api?: Partial<MinerConfig['api']>;
};

export async function startTestMiner(
  boardName: string,
  changes: ConfigChanges = {},
  timings: MinerOptions['timings'] = {},
  extra: Pick<MinerOptions, 'emulatorFaults' | 'emulatorLineSeed'> = {},
): Promise<TestMiner> {
  const base = structuredClone(DEFAULT_MINER_CONFIG);
  const config: MinerConfig = {
    ...base,
    ...changes,
    board: boardName,
    localPool: { ...base.localPool, ...changes.localPool },
    emulator: { ...base.emulator, ...changes.emulator },
    api: { ...base.api, enabled: false, port: 0, ...changes.api },
  };
  const { log, logs } = collectingLog();
  const miner = await Miner.start({
    config,
    board: loadBoard(boardName),
    peripherals: 'emulated',
    version: '0.0.0-test',
    log,
    boardPolicy: { powerSettleMs: 20, resetPulseMs: 10, resetSettleMs: 10, voltageStepDelayMs: 2 },
    timings,
    ...extra,
  });
  return { miner, logs, stop: () => miner.stop() };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 50 ms until it holds or `timeoutMs` passes (then throws naming `what`). */
export async function eventually(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

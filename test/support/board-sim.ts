import { EmulatedBoard, type EmulatedBoardOptions } from '../../drivers/emulator/thermal-board.js';
import {
  BoardControl,
  type BoardEvent,
  type BoardLog,
  type BoardSettings,
  type SafetyPolicy,
} from '../../firmware/board/board-control.js';
import { ManualClock } from '../../firmware/board/clock.js';
import { createBoardPeripherals } from '../../firmware/board/peripherals.js';
import type { BoardDefinition } from '../../src/config/board.js';
import { loadBoard } from '../../src/config/board-loader.js';

/** Board-control room: an emulated board, its BoardControl and a manual clock, stepped together. */
export interface BoardSim {
  clock: ManualClock;
  board: EmulatedBoard;
  control: BoardControl;
  logs: Array<{ level: 'info' | 'warn' | 'error'; message: string; atMs: number }>;
  events: Array<BoardEvent & { atMs: number }>;
  /** Simulated time passes: physics steps every `physicsStepMs`, the control loop runs on its timer. */
  advance(ms: number): Promise<void>;
  /** Runs until `predicate` holds (checked every 100 ms of simulated time) or `maxMs` passes; returns ms waited. */
  advanceUntil(predicate: () => boolean, maxMs: number): Promise<number>;
  close(): Promise<void>;
}

export interface BoardSimOptions {
  settings?: Partial<BoardSettings>;
  policy?: Partial<SafetyPolicy>;
  emulation?: EmulatedBoardOptions;
  /** Attach the emulated chips' clock as the ASIC frequency control (default true). */
  asic?: boolean;
  /** Call control.start() (default true). */
  start?: boolean;
  physicsStepMs?: number;
}

export async function startBoardSim(
  boardOrName: string | BoardDefinition,
  options: BoardSimOptions = {},
): Promise<BoardSim> {
  const def = typeof boardOrName === 'string' ? loadBoard(boardOrName) : boardOrName;
  const clock = new ManualClock();
  const board = new EmulatedBoard(def, { now: () => clock.now(), ...options.emulation });
  const logs: BoardSim['logs'] = [];
  const log: BoardLog = {
    info: (message) => logs.push({ level: 'info', message, atMs: clock.now() }),
    warn: (message) => logs.push({ level: 'warn', message, atMs: clock.now() }),
    error: (message) => logs.push({ level: 'error', message, atMs: clock.now() }),
  };
  const control = new BoardControl({
    board: def,
    peripherals: createBoardPeripherals(def, board.bus, {
      pwmRoot: board.pwmRoot ?? undefined,
      sleep: (ms) => clock.sleep(ms),
    }),
    gpio: { reset: board.reset, powerEnable: board.powerEnable },
    asic: options.asic === false ? undefined : board.asicClock,
    clock,
    log,
    settings: options.settings,
    policy: options.policy,
  });
  const events: BoardSim['events'] = [];
  control.onEvent((e) => events.push({ ...e, atMs: clock.now() }));
  const stepMs = options.physicsStepMs ?? 100;
  let stepping = true;
  const step = (): void => {
    if (!stepping) return;
    board.step(stepMs);
    clock.setTimer(stepMs, step);
  };
  clock.setTimer(stepMs, step);
  if (options.start !== false) {
    const started = control.start();
    // start() sleeps on the manual clock (power settle, reset pulse): move time until it returns.
    let done = false;
    let failure: unknown = null;
    started.then(
      () => {
        done = true;
      },
      (err) => {
        done = true;
        failure = err;
      },
    );
    for (let i = 0; i < 100 && !done; i++) await clock.advance(50);
    if (failure !== null) throw failure;
    if (!done) throw new Error('control.start() did not finish in 5 s of simulated time');
  }
  return {
    clock,
    board,
    control,
    logs,
    events,
    advance: (ms) => clock.advance(ms),
    async advanceUntil(predicate, maxMs) {
      let waited = 0;
      while (!predicate() && waited < maxMs) {
        await clock.advance(100);
        waited += 100;
      }
      return waited;
    },
    async close() {
      stepping = false;
      const stopped = control.stop();
      let done = false;
      stopped.then(
        () => {
          done = true;
        },
        () => {
          done = true;
        },
      );
      for (let i = 0; i < 400 && !done; i++) await clock.advance(50);
      board.close();
    },
  };
}

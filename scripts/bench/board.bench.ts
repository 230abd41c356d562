/**
 * Board-control room benchmarks: the cost of one control period (every sensor read, the safety checks, the
 * PID, the fan write) on emulated boards, how fast the closed-loop simulation runs, and the HTTP API's
 * latency on loopback.
 */
import { EmulatedBoard } from '../../drivers/emulator/thermal-board.js';
import { renderMetrics } from '../../firmware/api/metrics.js';
import { idleMiningStatus } from '../../firmware/api/mining-status.js';
import { ApiServer } from '../../firmware/api/server.js';
import { BoardControl } from '../../firmware/board/board-control.js';
import { ManualClock } from '../../firmware/board/clock.js';
import { createBoardPeripherals } from '../../firmware/board/peripherals.js';
import { loadBoard } from '../../src/config/board-loader.js';
import { type BenchCase, quantile } from './harness.js';

const quiet = { info() {}, warn() {}, error() {} };

interface Rig {
  board: EmulatedBoard;
  control: BoardControl;
  clock: ManualClock;
}

async function rig(name: string): Promise<Rig> {
  const def = loadBoard(name);
  const clock = new ManualClock();
  const board = new EmulatedBoard(def, { now: () => clock.now() });
  const control = new BoardControl({
    board: def,
    peripherals: createBoardPeripherals(def, board.bus, { sleep: (ms) => clock.sleep(ms) }),
    gpio: { reset: board.reset, powerEnable: board.powerEnable },
    asic: board.asicClock,
    clock,
    log: quiet,
  });
  const started = control.start();
  for (let i = 0; i < 40; i++) await clock.advance(50);
  await started;
  return { board, control, clock };
}

/** Per-period latency of the control loop body (µs), timed around runTick() with the physics stepped between. */
async function tickLatency(r: Rig, periods = 3000): Promise<Record<string, number>> {
  const samples: number[] = [];
  for (let i = 0; i < periods; i++) {
    r.board.step(100);
    const t0 = performance.now();
    await r.control.runTick();
    samples.push((performance.now() - t0) * 1000);
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

let ultra: Rig;
let gamma: Rig;
let api: ApiServer | null = null;

async function latency(path: string, n = 300): Promise<Record<string, number>> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${api!.url}${path}`);
    await res.arrayBuffer();
    samples.push(performance.now() - t0);
  }
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

/** Request latency of one API path against a live server on the Ultra rig (started per case, then closed). */
function apiLatencyCase(name: string, path: string, baseline?: string): BenchCase {
  return {
    name,
    unit: 'ms',
    ...(baseline !== undefined ? { baseline } : {}),
    setup: async () => {
      ultra ??= await rig('bitaxe-ultra');
      api = await ApiServer.start({ board: ultra.control, port: 0, log: quiet });
    },
    teardown: async () => {
      await api?.close();
      api = null;
    },
    measure: () => latency(path),
  };
}

export const benches: BenchCase[] = [
  {
    name: 'board.tick.ultra',
    unit: 'µs',
    setup: async () => {
      ultra = await rig('bitaxe-ultra');
    },
    measure: () => tickLatency(ultra),
  },
  {
    name: 'board.tick.gamma',
    unit: 'µs',
    baseline: 'board.tick.ultra',
    setup: async () => {
      gamma = await rig('bitaxe-gamma');
    },
    measure: () => tickLatency(gamma),
  },
  {
    name: 'board.sim-speedup',
    unit: 'simulated s per wall s',
    measure: async () => {
      const r = await rig('bitaxe-ultra');
      let stepping = true;
      const step = (): void => {
        if (!stepping) return;
        r.board.step(100);
        r.clock.setTimer(100, step);
      };
      r.clock.setTimer(100, step);
      const t0 = performance.now();
      await r.clock.advance(10 * 60_000);
      const wall = (performance.now() - t0) / 1000;
      stepping = false;
      return 600 / wall;
    },
  },
  {
    name: 'board.metrics-render',
    unit: 'µs',
    setup: async () => {
      ultra ??= await rig('bitaxe-ultra');
    },
    measure: () => {
      const mining = idleMiningStatus(0).miningStatus();
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) renderMetrics(ultra.control.telemetry(), mining, ['EMC2101'], '0.1.0');
      return ((performance.now() - t0) * 1000) / 1000;
    },
  },
  apiLatencyCase('board.api.health', '/health'),
  apiLatencyCase('board.api.info', '/api/system/info', 'board.api.health'),
];

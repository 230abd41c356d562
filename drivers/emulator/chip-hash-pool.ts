import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ChipHashScheduler, type SchedulerSink } from './chip-hash-scheduler.js';
import type { ChipSearchConfig, ChipSearchJob } from './chip-search.js';

/** Messages from the pool to a worker. */
export type PoolMessage =
  | { readonly t: 'config'; readonly chip: number; readonly config: ChipSearchConfig }
  | { readonly t: 'job'; readonly chip: number; readonly job: ChipSearchJob | null }
  | { readonly t: 'rate'; readonly chip: number; readonly rate: number }
  | { readonly t: 'close' };

type WorkerMessage = { t: 'found'; items: number[] } | { t: 'progress'; pairs: number[] };

/** Workers a chain gets by default: one per core, at most 2 (a Pi has 4, CI machines 2). */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/**
 * The hashing threads of one emulated chain: a small pool (never one thread per chip); chip i runs on worker
 * i mod n. `workers: 0` hashes on the main thread instead (same scheduler), for small tests.
 */
export class ChipHashPool {
  private readonly workers: Worker[] = [];
  private readonly inline: ChipHashScheduler | null = null;
  private closed = false;

  constructor(workers: number, sink: SchedulerSink) {
    if (workers <= 0) {
      this.inline = new ChipHashScheduler(sink);
      return;
    }
    for (let i = 0; i < workers; i++) {
      const w = new Worker(new URL('./chip-hash-worker.js', import.meta.url));
      w.on('message', (m: WorkerMessage) => {
        if (m.t === 'found') sink.found(m.items);
        else sink.progress(m.pairs);
      });
      w.on('error', (err) => {
        // A crashed worker must not take the emulator down; its chips simply stop hashing.
        process.emitWarning(`emulator hash worker failed: ${err.message}`);
      });
      this.workers.push(w);
    }
  }

  get workerCount(): number {
    return this.workers.length;
  }

  private send(chip: number, message: PoolMessage): void {
    if (this.closed) return;
    if (this.inline !== null) {
      switch (message.t) {
        case 'config':
          this.inline.setConfig(chip, message.config);
          return;
        case 'job':
          this.inline.setJob(chip, message.job);
          return;
        case 'rate':
          this.inline.setRate(chip, message.rate);
          return;
        default:
          return;
      }
    }
    this.workers[chip % this.workers.length].postMessage(message);
  }

  setConfig(chip: number, config: ChipSearchConfig): void {
    this.send(chip, { t: 'config', chip, config });
  }

  setJob(chip: number, job: ChipSearchJob | null): void {
    this.send(chip, { t: 'job', chip, job });
  }

  setRate(chip: number, hashesPerSecond: number): void {
    this.send(chip, { t: 'rate', chip, rate: hashesPerSecond });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.inline?.stop();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

import { parentPort } from 'node:worker_threads';
import type { PoolMessage } from './chip-hash-pool.js';
import { ChipHashScheduler } from './chip-hash-scheduler.js';

/** Worker-thread entry: a ChipHashScheduler driven by messages from ChipHashPool. */
const port = parentPort;
if (port === null) throw new Error('chip-hash-worker must run as a worker thread');

const scheduler = new ChipHashScheduler({
  found: (items) => port.postMessage({ t: 'found', items }),
  progress: (pairs) => port.postMessage({ t: 'progress', pairs }),
});

port.on('message', (m: PoolMessage) => {
  switch (m.t) {
    case 'config':
      scheduler.setConfig(m.chip, m.config);
      break;
    case 'job':
      scheduler.setJob(m.chip, m.job);
      break;
    case 'rate':
      scheduler.setRate(m.chip, m.rate);
      break;
    case 'close':
      scheduler.stop();
      port.close();
      break;
  }
});

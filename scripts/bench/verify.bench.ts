import { createHash } from 'node:crypto';
import { sha256dFromMidstate, sha256Midstate } from '../../src/bitcoin/index.js';
import { type BenchCase, opsPerSecond } from './harness.js';

// A fixed pseudo-random header: the nonce field changes per hash, as when verifying a chip's nonces.
const header = new Uint8Array(80);
for (let i = 0; i < 80; i++) header[i] = (i * 197 + 13) & 0xff;
const midstate = sha256Midstate(header);
const words = new Uint32Array(8);
const BATCH = 1000;
let nonce = 0;

export const benches: BenchCase[] = [
  {
    name: 'verify.node-crypto',
    unit: 'hashes/s',
    measure: () =>
      opsPerSecond(() => {
        for (let i = 0; i < BATCH; i++) {
          header[76] = nonce++;
          createHash('sha256').update(createHash('sha256').update(header).digest()).digest();
        }
      }, BATCH),
  },
  {
    name: 'verify.midstate',
    unit: 'hashes/s',
    baseline: 'verify.node-crypto',
    measure: () =>
      opsPerSecond(() => {
        for (let i = 0; i < BATCH; i++) {
          header[76] = nonce++;
          header[77] = nonce >>> 8;
          sha256dFromMidstate(midstate, header, 64, words);
        }
      }, BATCH),
  },
];

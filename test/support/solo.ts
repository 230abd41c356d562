import { encodeHeader } from '../../src/bitcoin/header.js';
import { merkleRootOfCoinbase } from '../../src/bitcoin/merkle.js';
import { sha256d } from '../../src/bitcoin/sha256.js';
import { hashToBigInt } from '../../src/bitcoin/target.js';
import type { MinedShare, MiningJob } from '../../src/mining/job.js';
import { extranonceBytes } from '../../src/mining/work-roller.js';

/**
 * Plays the chips for a solo job on an easy chain: tries extranonces and nonces until the header hash meets the
 * job's target, and returns the share the engine would submit (the one after `skip` others). Only for targets a few
 * thousand hashes meet.
 */
export function mineShare(job: MiningJob, maxTries = 200_000, skip = 0): MinedShare {
  let skipped = 0;
  if (job.header.kind !== 'coinbase') throw new Error('a solo job has a coinbase header source');
  const h = job.header;
  for (let e = 0, tries = 0; tries < maxTries; e++) {
    const extranonce = extranonceBytes(e, h.extranonceSize);
    const merkleRoot = merkleRootOfCoinbase(h.prefix, extranonce, h.suffix, h.merklePath);
    for (let nonce = 0; nonce < 5000 && tries < maxTries; nonce++, tries++) {
      const header = encodeHeader({
        version: job.version,
        prevHash: job.prevHash,
        merkleRoot,
        time: job.minNtime,
        bits: job.nbits,
        nonce,
      });
      if (hashToBigInt(sha256d(header)) <= job.target && skipped++ === skip) {
        return { job, nonce, ntime: job.minNtime, version: job.version, extranonce };
      }
    }
  }
  throw new Error(`no share within ${maxTries} hashes`);
}

/** A hash that misses the target: what a test sends to see a high-hash rejection. */
export function missShare(job: MiningJob): MinedShare {
  if (job.header.kind !== 'coinbase') throw new Error('a solo job has a coinbase header source');
  const h = job.header;
  const extranonce = extranonceBytes(0, h.extranonceSize);
  const merkleRoot = merkleRootOfCoinbase(h.prefix, extranonce, h.suffix, h.merklePath);
  for (let nonce = 0; ; nonce++) {
    const header = encodeHeader({
      version: job.version,
      prevHash: job.prevHash,
      merkleRoot,
      time: job.minNtime,
      bits: job.nbits,
      nonce,
    });
    if (hashToBigInt(sha256d(header)) > job.target)
      return { job, nonce, ntime: job.minNtime, version: job.version, extranonce };
  }
}

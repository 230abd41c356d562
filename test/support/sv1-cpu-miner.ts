/**
 * A few real shares for a V1 job, found on the CPU with the engine's own pieces (WorkRoller for the extranonce and
 * merkle root, HeaderTemplate for the hash): what a chip would report, for tests that need shares a pool must
 * accept without running a chain.
 */
import { stateWordsMeetTarget, targetToLimbs } from '../../src/bitcoin/target.js';
import { HeaderTemplate } from '../../src/mining/header-template.js';
import type { MinedShare, MiningJob } from '../../src/mining/job.js';
import { WorkRoller } from '../../src/mining/work-roller.js';

/**
 * `count` shares of `job` meeting `target` (default the job's). With `rollVersion` the k-th share uses version
 * bits k << 13 inside the job's mask (when rolling is allowed). `extranonceStart` moves the extranonce2 counter,
 * so two calls for one job never find the same header.
 */
export function findShares(
  job: MiningJob,
  count: number,
  options: { target?: bigint; rollVersion?: boolean; extranonceStart?: number; maxHashes?: number } = {},
): MinedShare[] {
  const limbs = targetToLimbs(options.target ?? job.target);
  const roller = new WorkRoller({
    version: job.version,
    minNtime: job.minNtime,
    grantedMask: job.versionRolling.allowed ? job.versionRolling.mask : 0,
    prevHash: job.prevHash,
    header: job.header,
    nbits: job.nbits,
    activatedAtMs: job.activatedAtMs,
    rollableVersionBits: 0x1fffe000,
    chipRollsVersions: true,
    versionsPerWork: 1,
    extranonceStart: options.extranonceStart ?? 0,
  });
  const words = new Uint32Array(8);
  const shares: MinedShare[] = [];
  const max = options.maxHashes ?? 50_000_000;
  let hashes = 0;
  while (shares.length < count) {
    const work = roller.next(job.activatedAtMs);
    if (work === null) throw new Error('the job ran out of work');
    const template = new HeaderTemplate(work);
    const bits = options.rollVersion && work.versionMask !== 0 ? ((shares.length + 1) << 13) & work.versionMask : 0;
    const version = (work.version | bits) >>> 0;
    for (let nonce = 0; nonce < 0x100000 && shares.length < count; nonce++) {
      if (++hashes > max) throw new Error(`no ${count} shares within ${max} hashes`);
      template.hash(version, nonce, words);
      if (!stateWordsMeetTarget(words, limbs)) continue;
      shares.push({ job, nonce, ntime: work.ntime, version, extranonce: work.extranonce ?? null });
      break;
    }
  }
  return shares;
}

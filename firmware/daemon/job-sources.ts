/**
 * Which job source a configured pool gets, by its URL's scheme. The one place the daemon names protocols.
 */
import type { JobSource } from '../../src/mining/job-source.js';
import type { DeviceInfo } from '../../src/sv2/client/mining-client.js';
import { Sv2JobSource } from '../../src/sv2/client/sv2-job-source.js';
import { openSoloJobSource } from './solo-upstream.js';
import type { UpstreamPool } from './upstream.js';

/** What every source is opened with besides the pool itself. */
export interface JobSourceTimings {
  device: DeviceInfo;
  nominalHashRateHs: number;
  stallTimeoutMs: number;
  shareTimeoutMs: number;
  unansweredSharesTimeoutMs: number;
}

/** Opens (without connecting) the source for `pool`; throws with the reason when its URL or key is unusable. */
export function openJobSource(pool: UpstreamPool, t: JobSourceTimings): JobSource {
  // Solo on the owner's templates: Bitcoin Core RPC or an SV2 Template Provider (see solo-upstream.ts).
  if (pool.solo !== undefined) return openSoloJobSource(pool.solo, t.device);
  const scheme = /^([a-z0-9+.-]+):\/\//i.exec(pool.url)?.[1]?.toLowerCase() ?? '';
  switch (scheme) {
    case 'sv2+tcp':
      return new Sv2JobSource({
        url: pool.url,
        ...(pool.authorityKey !== null ? { authorityKey: pool.authorityKey } : {}),
        userIdentity: pool.user,
        nominalHashRateHs: t.nominalHashRateHs,
        device: t.device,
        stallTimeoutMs: t.stallTimeoutMs,
        shareTimeoutMs: t.shareTimeoutMs,
        unansweredSharesTimeoutMs: t.unansweredSharesTimeoutMs,
      });
    default:
      throw new Error(`pool URL ${pool.url}: unsupported scheme ${scheme === '' ? '(none)' : `"${scheme}"`}`);
  }
}

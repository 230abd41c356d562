/**
 * Which job source a configured pool gets, by its URL's scheme. The one place the daemon names protocols:
 * `sv2+tcp://` → Stratum V2 (Noise), `stratum+tcp://` / `stratum+ssl://` / `stratum+tls://` → Stratum V1.
 */

import type { JobSource } from '../../src/mining/job-source.js';
import type { LivenessTuning } from '../../src/mining/pool-liveness.js';
import { Sv1JobSource } from '../../src/sv1/client/sv1-job-source.js';
import type { DeviceInfo } from '../../src/sv2/client/mining-client.js';
import { Sv2JobSource } from '../../src/sv2/client/sv2-job-source.js';
import { openSoloJobSource } from './solo-upstream.js';
import type { UpstreamPool } from './upstream.js';

/** What every source is opened with besides the pool itself. */
export interface JobSourceTimings {
  device: DeviceInfo;
  /** What V1 pools are told in mining.subscribe. */
  userAgent: string;
  nominalHashRateHs: number;
  stallTimeoutMs: number;
  workTimeoutMs: number;
  shareTimeoutMs: number;
  unansweredSharesTimeoutMs: number;
  /** The frozen-pool rule's knobs (defaults when absent). */
  liveness?: LivenessTuning;
  /** The chips roll versions themselves: ask for jobs that allow it (SV2 REQUIRES_VERSION_ROLLING). */
  requireVersionRolling?: boolean;
  /** Whether this machine's clock is synchronised (a certificate refused only for our clock is retried). */
  clockSynchronised?: () => boolean | null;
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
        channel: pool.channel ?? 'auto',
        nominalHashRateHs: t.nominalHashRateHs,
        device: t.device,
        stallTimeoutMs: t.stallTimeoutMs,
        workTimeoutMs: t.workTimeoutMs,
        shareTimeoutMs: t.shareTimeoutMs,
        unansweredSharesTimeoutMs: t.unansweredSharesTimeoutMs,
        ...(t.clockSynchronised !== undefined ? { clockSynchronised: t.clockSynchronised } : {}),
        ...(t.liveness !== undefined ? { liveness: t.liveness } : {}),
        requireVersionRolling: t.requireVersionRolling === true,
      });
    case 'stratum+tcp':
    case 'stratum+ssl':
    case 'stratum+tls':
      return new Sv1JobSource({
        url: pool.url,
        user: pool.user,
        password: pool.password ?? 'x',
        userAgent: t.userAgent,
        suggestDifficulty: pool.suggestDifficulty ?? null,
        extranonceSubscribe: pool.extranonceSubscribe ?? false,
        tlsCa: pool.tlsCa ?? null,
        reconnectToOtherHosts: pool.reconnectToOtherHosts ?? false,
        stallTimeoutMs: t.stallTimeoutMs,
        workTimeoutMs: t.workTimeoutMs,
        shareTimeoutMs: t.shareTimeoutMs,
        unansweredSharesTimeoutMs: t.unansweredSharesTimeoutMs,
        ...(t.liveness !== undefined ? { liveness: t.liveness } : {}),
      });
    default:
      throw new Error(`pool URL ${pool.url}: unsupported scheme ${scheme === '' ? '(none)' : `"${scheme}"`}`);
  }
}

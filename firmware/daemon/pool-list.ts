/**
 * The pools the daemon mines on: the configured ones in failover order, as the upstream takes them (a TLS pool's
 * own certificate read now, an error naming the field), or the embedded local pool — over SV2, or over its Stratum
 * V1 port on the same chain (`--pool local-v1`).
 */
import { readFileSync } from 'node:fs';
import type { ChannelChoice, MinerConfig, PoolSpec } from '../../src/config/miner-config.js';
import { Sv1Pool } from '../../src/sv1/pool/v1-pool.js';
import { LocalPool } from '../../src/sv2/pool/local-pool.js';
import type { UpstreamPool } from './upstream.js';

export class PoolListError extends Error {
  override readonly name = 'PoolListError';
}

/** The configured pools as the upstream takes them; throws PoolListError naming the field it cannot use. */
export function configuredPools(config: MinerConfig): UpstreamPool[] {
  return config.pools.map((p, i) => upstreamPool(p, config.user, config.channel, i));
}

function upstreamPool(p: PoolSpec, defaultUser: string, channel: ChannelChoice, index: number): UpstreamPool {
  let tlsCa: string | null = null;
  if (p.tlsCa != null) {
    try {
      tlsCa = readFileSync(p.tlsCa, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      throw new PoolListError(`pools[${index}].tlsCa ${JSON.stringify(p.tlsCa)} cannot be read (${code})`);
    }
  }
  return {
    url: p.url,
    user: p.user ?? defaultUser,
    authorityKey: p.authorityKey,
    channel: p.channel ?? channel,
    password: p.password ?? null,
    suggestDifficulty: p.suggestDifficulty ?? null,
    extranonceSubscribe: p.extranonceSubscribe ?? false,
    tlsCa,
    reconnectToOtherHosts: p.reconnectToOtherHosts ?? false,
  };
}

export interface LocalPools {
  sv2: LocalPool;
  /** The V1 port (`localPool.protocol: "sv1"`), or null. */
  v1: Sv1Pool | null;
  /** The one pool to mine on: the V1 port when there is one, else the SV2 pool. */
  pool: UpstreamPool;
  /** For the log. */
  description: string[];
  close(): Promise<void>;
}

/**
 * The embedded local pool on 127.0.0.1. Its V1 port starts a miner at the difficulty `hashrateHs` needs (V1 has
 * no hash-rate message; SV2 derives the same from the nominal hash rate), then its vardiff follows.
 */
export async function startLocalPools(
  lp: MinerConfig['localPool'],
  user: string,
  hashrateHs: number,
): Promise<LocalPools> {
  const sv2 = await LocalPool.start({
    host: '127.0.0.1',
    port: 0,
    sharesPerMinute: lp.sharesPerMinute,
    prevHashIntervalMs: lp.blockIntervalSec * 1000,
    jobIntervalMs: lp.jobIntervalSec * 1000,
  });
  const description = [
    `local SV2 pool on ${sv2.url} (authority key ${sv2.authorityKeyText}); ` +
      `a new block every ${lp.blockIntervalSec} s, target ${lp.sharesPerMinute} shares/min`,
  ];
  let v1: Sv1Pool | null = null;
  if (lp.protocol === 'sv1') {
    try {
      v1 = await Sv1Pool.start({
        feed: sv2,
        host: '127.0.0.1',
        port: 0,
        sharesPerMinute: lp.sharesPerMinute,
        startDifficulty: (hashrateHs * 60) / (lp.sharesPerMinute * 2 ** 32),
      });
    } catch (err) {
      await sv2.close();
      throw err;
    }
    description.push(`local Stratum V1 port on ${v1.url} (the same chain, public-pool's manners)`);
  }
  return {
    sv2,
    v1,
    pool: { url: v1?.url ?? sv2.url, user, authorityKey: null },
    description,
    async close() {
      await v1?.close().catch(() => undefined);
      await sv2.close().catch(() => undefined);
    },
  };
}

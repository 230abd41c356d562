import type { PoolTable } from './pool-slots.js';

/**
 * The mining half of the API's data, implemented by the daemon (mining issue). Field names follow
 * src/mining/stats.ts's MiningStatsSnapshot where they overlap, so the daemon can spread a snapshot into it
 * and add the pool.
 */
export interface MiningStatus {
  /** Hash rate from verified chip results (GH/s): since start and over 1 min / 10 min / 1 h. */
  hashrateGhs: { avg: number; m1: number; m10: number; h1: number };
  sharesAccepted: number;
  sharesRejected: number;
  /** Reject counts by the pool's reason string. */
  rejectReasons: Record<string, number>;
  /** Best share difficulty since the daemon started. */
  bestDifficulty: number;
  /** Best share difficulty ever, kept across restarts (`--state`); absent = same as `bestDifficulty`. */
  bestDifficultyAllTime?: number;
  /** Current pool (channel) difficulty, when known. */
  poolDifficulty?: number;
  uptimeSeconds: number;
  hwErrors: number;
  /** Per chip: verified nonces, hardware errors (nonces that did not hash to the ticket), hash rate. */
  chips: Array<{ nonces: number; hwErrors: number; hashrateGhs?: number }>;
  /**
   * `channelKind`: the SV2 channel in use (extended or standard), once the pool gave work. `SOLO`: the owner's own
   * node or template provider (url is its address, user the payout address).
   */
  pool: { url: string; port: number; user: string; protocol: 'SV2' | 'SV1' | 'SOLO'; channelKind?: string } | null;
  /** True while mining on a backup pool (AxeOS `isUsingFallbackStratum`). */
  usingFallback?: boolean;
  miningPaused?: boolean;
  /** Hash rate the pool credited (accepted shares × their difficulty), GH/s. */
  poolHashrateGhs?: { avg: number; m1: number; m10: number; h1: number };
  /** The upstream as it is now (protocol-neutral: from `Upstream.state`). */
  upstream?: UpstreamStatus;
  /** The configured pools as AxeOS slots, and which one is in use. */
  poolTable?: PoolTable;
  activeSlot?: number | null;
  /** The last share's round trip to the pool (ms), and how many shares that answer acknowledged. */
  responseTimeMs?: number;
  responseShareBatch?: number;
  /** Shares sent and not yet answered. */
  sharesPending?: number;
  sharesTimedOut?: number;
  sharesLost?: number;
  /** From the current job: the network's difficulty (from nbits) and the height when the coinbase says it. */
  chainTip?: { networkDifficulty: number; blockHeight: number | null };
  /** Where block templates come from and who gets paid. */
  templates?: TemplatesStatus;
  /** Shares that met the network target, and (solo) what the node answered. */
  blocks?: BlocksStatus;
  /** Paused by the owner (API pause), as opposed to chips down or no pool. */
  pausedByUser?: boolean;
  /** The identify signal is running. */
  identifying?: boolean;
  /** The chips' serial line and per-chip error rates, when the daemon watches them. */
  uart?: UartHealthSnapshot;
}

/** What the API shows of the upstream connection (dashboard pool card, AxeOS poolConnectionInfo). */
export interface UpstreamStatus {
  connected: boolean;
  /** 'sv2', 'sv1', … once the pool gave work; null before. */
  protocol: string | null;
  channelKind: string | null;
  /** The link is encrypted (SV2 Noise, V1 over TLS). */
  encrypted: boolean;
  /** The pool's identity was checked (an authority key, a verified certificate). */
  authenticated: boolean;
  /** The SV2 authority key the pool's certificate is checked against ("" when none). */
  authorityKey: string;
  /** 0-based position in the failover list, and its length. */
  poolIndex: number;
  poolCount: number;
  failovers: number;
  lastError: string | null;
  /** ms since the session opened; null when not connected. */
  connectedForMs: number | null;
}

/**
 * The health of the line to the chips: what the response framer threw away (CRC errors, skipped bytes: line
 * noise, a loose wire, a wrong baud) and how often each chip's nonces fail the hash check. Totals since start;
 * percentages over the last `windowSec`. A frame with a bad CRC cannot be pinned on a chip, so CRC figures are
 * the chain's.
 */
export interface UartHealthSnapshot {
  crcErrors: number;
  droppedBytes: number;
  /** Response frames that passed the CRC. */
  frames: number;
  /** CRC errors as a share of response frames over the window (%). */
  crcErrorPercent: number;
  hwErrors: number;
  /** Hardware errors as a share of the chips' nonces over the window (%). */
  hwErrorPercent: number;
  windowSec: number;
  chips: Array<{ nonces: number; hwErrors: number; hwErrorPercent: number }>;
}

export interface TemplatesStatus {
  /** `pool`: the pool builds them; `node`: the owner's Bitcoin Core (RPC); `template-provider`: the owner's SV2 TP. */
  source: 'pool' | 'node' | 'template-provider';
  /** Without credentials. */
  endpoint: string | null;
  chain: string | null;
  /** Solo: the address the coinbase pays (null on a pool: the pool pays by its own rules). */
  payout: string | null;
  /** Solo: the template now being mined, once there is one. */
  template: {
    height: number;
    transactions: number | null;
    networkDifficulty: number;
    coinbaseValueSats: number;
    payoutSats: number;
  } | null;
}

export interface BlocksStatus {
  found: number;
  accepted: number;
  rejected: number;
  /** Blocks not accepted, by the node's reason (or duplicate / inconclusive / unconfirmed / error). */
  reasons: Record<string, number>;
  /** Blocks not sent because the node had just accepted our own block at the same height (not in `found`). */
  superseded: number;
  /** The latest blocks (solo), with the node's answer; kept across restarts with --state. */
  recent: Array<{
    height: number;
    hash: string;
    at: string;
    answer: string;
    reason: string | null;
    via: string;
    payoutAddress: string;
    payoutSats: string;
  }>;
}

export interface MiningStatusProvider {
  miningStatus(): MiningStatus;
}

/** What the API reports before the mining engine is attached: nothing mined, no pool. */
export function idleMiningStatus(startedAtMs: number, now: () => number = Date.now): MiningStatusProvider {
  return {
    miningStatus: () => ({
      hashrateGhs: { avg: 0, m1: 0, m10: 0, h1: 0 },
      sharesAccepted: 0,
      sharesRejected: 0,
      rejectReasons: {},
      bestDifficulty: 0,
      uptimeSeconds: Math.floor((now() - startedAtMs) / 1000),
      hwErrors: 0,
      chips: [],
      pool: null,
      miningPaused: true,
    }),
  };
}

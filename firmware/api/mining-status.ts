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
  /** `SOLO`: the owner's own node or template provider (url is its address, user the payout address). */
  pool: { url: string; port: number; user: string; protocol: 'SV2' | 'SV1' | 'SOLO' } | null;
  miningPaused?: boolean;
  /** Where block templates come from and who gets paid. */
  templates?: TemplatesStatus;
  /** Shares that met the network target, and (solo) what the node answered. */
  blocks?: BlocksStatus;
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

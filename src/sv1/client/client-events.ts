/** What the V1 client tells its users: its events, what a session is, what a share answer is, its errors. */
import type { VersionRollingRule } from '../../mining/job.js';
import type { LivenessVerdict } from '../../mining/pool-liveness.js';
import type { Sv1Job } from './subscription.js';

export type Sv1ClientErrorCode =
  | 'config'
  | 'not-connected'
  | 'stale-job'
  | 'subscribe-refused'
  | 'authorize-refused'
  | 'protocol'
  | 'timeout'
  | 'disconnected';

/** A client-level failure: configuration, the pool saying no, or the connection going away. */
export class Sv1ClientError extends Error {
  override readonly name = 'Sv1ClientError';
  constructor(
    readonly code: Sv1ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What the client reports once the pool gives work. */
export interface Sv1SessionInfo {
  host: string;
  port: number;
  tls: boolean;
  extranonce1: Uint8Array;
  extranonce2Size: number;
  difficulty: number;
  target: bigint;
  versionRolling: VersionRollingRule;
  /** "extranonce1 0a0b0c0d, 4-byte extranonce2". */
  description: string;
}

export type Sv1ShareResult =
  | { kind: 'accepted'; id: number; target: bigint; late: boolean }
  | { kind: 'rejected'; id: number; reason: string; code: number | null; target: bigint; late: boolean }
  | { kind: 'timeout'; count: number }
  | { kind: 'lost'; count: number; why: string };

export interface Sv1DisconnectedEvent {
  code: string;
  reason: string;
  error?: Error;
  /** True when the client is about to connect again by itself (client.reconnect). */
  willReconnect: boolean;
}

export interface Sv1ClientEvents {
  connected: { host: string; port: number; tls: boolean };
  /** The subscription gives work: emitted once per connection, synchronously before its first `newTip`. */
  opened: Sv1SessionInfo;
  /** A job that makes every earlier one stale (clean_jobs, a new prev hash, the first job, a new extranonce1). */
  newTip: Sv1Job;
  /** A new job on the same block; earlier jobs stay valid. */
  job: Sv1Job;
  target: { target: bigint; difficulty: number };
  shareResult: Sv1ShareResult;
  stalled: LivenessVerdict;
  /** client.show_message. */
  poolMessage: { text: string };
  warning: { message: string };
  disconnected: Sv1DisconnectedEvent;
}

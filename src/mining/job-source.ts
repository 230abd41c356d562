/**
 * What the daemon's failover needs from any upstream, whatever it speaks: connect, hand out neutral jobs, take
 * neutral shares, say when it is gone. An SV2 pool, a Stratum V1 pool and the owner's own node each get an
 * adapter beside their protocol code that implements this; the daemon chooses among them and the engine sees
 * only `MiningJob`s and `ShareAnswer`s.
 */
import type { TypedEmitter } from '../util/typed-emitter.js';
import type { MinedShare, MiningJob, ShareAnswer, VersionRollingRule } from './job.js';

/** Where the work comes from, as the status line, the API and /metrics show it. */
export type UpstreamProtocol = 'sv2' | 'sv1' | 'solo' | (string & {});

/** What a source reports once it can hand out work. */
export interface JobSourceSession {
  protocol: UpstreamProtocol;
  /** A short description for the log: "channel 3 (standard)", "extranonce1 0a0b0c0d, 4-byte extranonce2". */
  description: string;
  /** The upstream's share target now (hash ≤ target). */
  target: bigint;
  /** DIFF1 / target. */
  difficulty: number;
  versionRolling: VersionRollingRule;
  /** The SV2 channel kind or another protocol's equivalent, when it has one. */
  channelKind?: string;
  /** True when the link is encrypted and the peer authenticated (SV2 Noise with a key, V1 over verified TLS). */
  authenticated?: boolean;
  /** Own-template sources: where templates come from and who the blocks pay. */
  templates?: TemplateOrigin;
}

/** Where an own-template source's templates come from and who gets paid (status line, API, /metrics). */
export interface TemplateOrigin {
  /** `node`: Bitcoin Core over JSON-RPC; `template-provider`: SV2 Template Distribution. */
  kind: 'node' | 'template-provider';
  /** Credential-free. */
  endpoint: string;
  chain: string;
  payoutAddress: string;
}

/** A share answer with what the log wants to say about it. */
export type JobSourceShareAnswer = ShareAnswer & {
  /** For a lost or timed-out share: why (the link went down, no answer in time). */
  why?: string;
};

/**
 * A share that met the network target went to the network as a whole block (sources that build their own
 * blocks: solo on the owner's node). Emitted when the block is sent (`answer` null) and again with the node's
 * answer.
 */
export interface BlockEvent {
  /** Display order (as explorers and the node print it). */
  hash: string;
  height: number;
  /**
   * null while the node has not answered. `superseded`: not sent, because the node had just accepted our own block
   * at this height (it could only have competed with it).
   */
  answer: 'accepted' | 'rejected' | 'duplicate' | 'inconclusive' | 'unconfirmed' | 'error' | 'superseded' | null;
  /** The node's reason for anything but a plain acceptance. */
  reason: string | null;
  /** Where the block went (credential-free). */
  via: string;
  /** Paid to the owner by this block's coinbase, satoshis. */
  payoutSats: bigint;
  payoutAddress: string;
}

/** Own-template sources: what the work now being mined is built on (for the status line and the API). */
export interface TemplateInfo {
  height: number;
  /** Transactions besides the coinbase (null while unknown: a TP sends them only on request). */
  transactions: number | null;
  /** Everything the coinbase pays, and the part paid to the owner (satoshis). */
  coinbaseValueSats: bigint;
  payoutSats: bigint;
  networkDifficulty: number;
}

export interface JobSourceEvents {
  /**
   * The source can hand out work (a channel opened, a subscription answered): emitted once per connection,
   * synchronously before its first job, so the target is in place when the work arrives.
   */
  opened: JobSourceSession;
  /** A new block: every earlier job is stale. The job it activates, or null when there is none yet. */
  newTip: MiningJob | null;
  /** A new job on the same block: earlier jobs stay valid for shares. */
  job: MiningJob;
  target: { target: bigint; difficulty: number };
  shareAnswer: JobSourceShareAnswer;
  /** The upstream looks dead though connected; the source closes itself right after (a `down` follows). */
  stalled: { message: string };
  warning: { message: string };
  /** Own-template sources only: a block sent to the node, then its answer. */
  block: BlockEvent;
  /** Own-template sources only: the template behind the latest job. */
  templateInfo: TemplateInfo;
  /** The connection is gone; `willReconnect` when the source reconnects by itself (a pool-requested move). */
  down: { code: string; reason: string; willReconnect: boolean };
}

export interface JobSource extends TypedEmitter<JobSourceEvents> {
  readonly connected: boolean;
  /** Connects and opens whatever gives work (a channel, a subscription); resolves after `opened`, rejects with the reason. */
  connect(): Promise<JobSourceSession>;
  /** Sends a share; returns the upstream's id for it. Throws when it cannot be sent. */
  submitShare(share: MinedShare): number;
  /** The device's hash rate changed a lot (the upstream may answer with a new target). */
  updateNominalHashRate(hashRateHs: number): void;
  /** Closes gracefully (channel, then connection); no reconnect. `reason` goes to the upstream where it can. */
  close(reason: string): void;
}

/**
 * The SV2 mining client's options, events and errors (the client itself is mining-client.ts).
 */

import type { LivenessTuning, LivenessVerdict } from '../../mining/pool-liveness.js';
import type { Clock } from '../clock.js';
import type { Sv2Logger } from '../logger.js';
import type { ClockSyncCheck } from '../noise/certificate.js';
import type { ActiveJob, ChainTip, ChannelKind, MiningChannelInfo } from './channel.js';
import type { ResolvedShare } from './pending-shares.js';

/** The per-pool channel choice (config `channel`, CLI `--channel`). */
export type ChannelChoice = ChannelKind | 'auto';

export interface DeviceInfo {
  /** Maker and firmware line (the spec requires it), e.g. "hashaxe". */
  vendor: string;
  hardwareVersion: string;
  firmware: string;
  /** Empty unless the device sends telemetry. */
  deviceId?: string;
}

export interface MiningClientOptions {
  /** `sv2+tcp://host:port[/authority-key]`. */
  url: string;
  /** Authority key (base58check or 32 raw bytes); overrides the one in the URL. */
  authorityKey?: string | Uint8Array;
  /**
   * Accept any server certificate when no authority key is configured (trust on first use). Only for a LAN;
   * without it a missing key is a configuration error.
   */
  allowUnauthenticated?: boolean;
  userIdentity: string;
  /** What the device really hashes; the pool derives the first target from it. */
  nominalHashRateHs: number;
  /** Easiest target the device can handle (default: any). */
  maxTarget?: bigint;
  device: DeviceInfo;
  /**
   * Which channel to open: `extended` (the device builds the coinbase and rolls an extranonce), `standard`
   * (header-only, REQUIRES_STANDARD_JOBS), or `auto` (default): extended, falling back to standard when the pool
   * refuses it, and the other way round; the kind that worked is tried first on the next connect.
   */
  channel?: ChannelChoice;
  /** Extranonce bytes to ask for on an extended channel (min_extranonce_size). Default 4. */
  minExtranonceSize?: number;
  /**
   * Ask the pool to only send jobs that allow version rolling (SetupConnection REQUIRES_VERSION_ROLLING): for a
   * device that needs it to work well (chips that roll versions themselves). A pool that refuses the flag is
   * asked again without it. Default false.
   */
  requireVersionRolling?: boolean;
  /**
   * Bits the device may roll when the pool allows it: never more than BIP323's general-purpose bits 0x1fffffe0,
   * the most an SV2 pool accepts (default: all of them).
   */
  versionRollingMask?: number;
  clock?: Clock;
  certificateLeewaySec?: number;
  /**
   * Whether this machine's clock is synchronised: a certificate outside its window while it is not fails with
   * code 'clock-not-synchronised' (retry the same pool later) instead of 'certificate-not-yet-valid'.
   */
  clockSynchronised?: ClockSyncCheck;
  /** Connect + handshake. */
  handshakeTimeoutMs?: number;
  /** SetupConnection and OpenStandardMiningChannel answers. */
  setupTimeoutMs?: number;
  /**
   * The frozen-pool rule (src/mining/pool-liveness.ts): a pool that answered a liveness probe once and then stops
   * sending anything is judged frozen within `frozenWithinMs` (27 s) of its last message. 0 = never probe.
   */
  liveness?: LivenessTuning;
  /**
   * A pool that sends nothing at all for this long (a pool that ignores probes, or the rule above turned off) is
   * treated as stalled: `stalled` is emitted and the connection is closed (code 'stalled') so the daemon can fail
   * over. Default 180 s; 0 = never.
   */
  stallTimeoutMs?: number;
  /** No job, prev hash, target or share answer for this long, though the pool still talks: stalled. Default 10 min; 0 = never. */
  workTimeoutMs?: number;
  /** Pending shares with no answer after this long resolve as `timeout`. */
  shareTimeoutMs?: number;
  /**
   * A pool that still sends work but has answered none of the shares submitted over this long (and at least
   * 20, or twice its largest acknowledgement batch) is treated as stalled too (see share-answer-watch.ts).
   * Default 10 min; 0 = never.
   */
  unansweredSharesTimeoutMs?: number;
  /** How often the stall and share timeouts are checked. */
  checkIntervalMs?: number;
  /** Follow the pool's Reconnect message (same authority key). Default true. */
  followReconnect?: boolean;
  maxPayloadBytes?: number;
  logger?: Sv2Logger;
}

export interface ConnectedEvent {
  host: string;
  port: number;
  /** The pool's static key, authenticated by its certificate (when an authority key was configured). */
  serverStaticKey: Uint8Array;
  authenticated: boolean;
  usedVersion: number;
  /** Server flags from SetupConnection.Success (only REQUIRES_FIXED_VERSION and REQUIRES_EXTENDED_CHANNELS mean anything). */
  serverFlags: number;
}

export interface JobEvent {
  channelId: number;
  /** The id the pool addressed the job to: the channel, or the group it belongs to. */
  addressedTo: number;
  jobId: number;
  /** True when the job arrived without min_ntime: it waits for a SetNewPrevHash naming it. */
  future: boolean;
  version: number;
  /** A standard job's merkle root; null for an extended job (the device builds it per extranonce). */
  merkleRoot: Uint8Array | null;
  /** Set for a job active right away (it replaces the current job on the same prev hash). */
  active: ActiveJob | null;
}

export interface PrevHashEvent {
  channelId: number;
  tip: ChainTip;
  /** The job this prev hash activates; null when it names a job we never received (nothing to mine yet). */
  job: ActiveJob | null;
}

export interface TargetEvent {
  channelId: number;
  target: bigint;
  targetLimbs: Uint32Array;
  difficulty: number;
}

export type ShareResultEvent =
  | {
      kind: 'accepted';
      channelId: number;
      lastSequenceNumber: number;
      newSubmitsAcceptedCount: number;
      newSharesSum: bigint;
      /** The pending shares this Success resolved (may be empty when they were already given up). */
      shares: ResolvedShare[];
    }
  | { kind: 'rejected'; channelId: number; sequenceNumber: number; errorCode: string; share: ResolvedShare | null }
  | { kind: 'timeout'; shares: ResolvedShare[] }
  | { kind: 'lost'; shares: ResolvedShare[]; why: string };

export type DisconnectCode =
  | 'closed'
  | 'stalled'
  | 'reconnect'
  | 'reconnect-failed'
  | 'protocol-error'
  | 'peer-closed'
  | 'socket-error'
  | 'frame-auth-failed'
  | 'frame-too-large'
  | (string & {});

export interface DisconnectedEvent {
  code: DisconnectCode;
  reason: string;
  error?: Error;
  /** True when the client is about to connect again by itself (pool-requested Reconnect). */
  willReconnect: boolean;
}

/** Why the pool was given up (frozen, silent, unanswered shares); the connection closes with `message`. */
export type StalledEvent = LivenessVerdict;

export interface ExtranoncePrefixEvent {
  channelId: number;
  extranoncePrefix: Uint8Array;
}

export interface GroupEvent {
  groupChannelId: number;
  channelIds: number[];
}

export interface ChannelClosedEvent {
  channelId: number;
  reason: string;
}

export interface WarningEvent {
  message: string;
}

export interface MiningClientEvents {
  connected: ConnectedEvent;
  channelOpened: MiningChannelInfo;
  job: JobEvent;
  prevHash: PrevHashEvent;
  target: TargetEvent;
  shareResult: ShareResultEvent;
  channelClosed: ChannelClosedEvent;
  /** SetExtranoncePrefix: jobs from now on carry the new prefix. */
  extranoncePrefix: ExtranoncePrefixEvent;
  /** SetGroupChannel: these channels now take jobs addressed to the group. */
  group: GroupEvent;
  stalled: StalledEvent;
  disconnected: DisconnectedEvent;
  warning: WarningEvent;
  /** Every decrypted frame, before it is decoded and acted on (tracing and latency measurement). */
  frame: FrameEvent;
}

export interface FrameEvent {
  extensionType: number;
  msgType: number;
  payloadBytes: number;
}

export type Sv2ClientErrorCode =
  | 'config'
  | 'not-connected'
  | 'unknown-channel'
  | 'setup-rejected'
  | 'channel-rejected'
  | 'timeout'
  | 'disconnected';

/** A client-level failure: configuration, the pool saying no, or the connection going away. */
export class Sv2ClientError extends Error {
  override readonly name = 'Sv2ClientError';
  constructor(
    readonly code: Sv2ClientErrorCode,
    message: string,
    /** The pool's error code when it refused (SetupConnection.Error / OpenMiningChannel.Error). */
    readonly poolErrorCode: string | null = null,
  ) {
    super(message);
  }
}

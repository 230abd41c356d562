/**
 * One client connection on the local pool: SetupConnection, extended and standard channels, group channels, jobs,
 * and share validation. Anything malformed or out of place closes this connection with a code and a reason (logged
 * and counted); protocol-level refusals (a bad share, an unknown channel, a channel kind the pool does not serve)
 * are answered with the spec's error messages, whose codes name what is refused, and the connection stays up.
 *
 * Groups: on a connection without REQUIRES_STANDARD_JOBS every extended channel joins the connection's group for
 * its full extranonce size (the spec wants one size per group: the coinbase's scriptSig length is shared). Once a
 * group has two members the pool says so with SetGroupChannel and sends one NewExtendedMiningJob and one
 * SetNewPrevHash to the group id instead of one per channel. Job ids come from one counter per connection, so an
 * id is never in use twice across a channel and its group (sv2-spec #209).
 */
import { hashRateToTarget, minTarget, targetFromU256, targetToU256 } from '../channel/target.js';
import { Sv2ProtocolError } from '../codec/errors.js';
import type { Sv2Frame } from '../codec/frame.js';
import {
  PROTOCOL_MINING,
  Reconnect,
  SetupConnection,
  SetupConnectionError,
  SetupConnectionSuccess,
  SV2_PROTOCOL_VERSION,
} from '../messages/common.js';
import {
  OpenChannelErrorCode,
  SetCustomMiningJobErrorCode,
  SetupConnectionErrorCode,
  SubmitSharesErrorCode,
  UpdateChannelErrorCode,
} from '../messages/error-codes.js';
import { EXTENSION_NEGOTIATION, RequestExtensions, RequestExtensionsError } from '../messages/extensions.js';
import {
  REQUIRES_EXTENDED_CHANNELS,
  REQUIRES_FIXED_VERSION,
  REQUIRES_STANDARD_JOBS,
  REQUIRES_VERSION_ROLLING,
  REQUIRES_WORK_SELECTION,
} from '../messages/flags.js';
import {
  CloseChannel,
  MAX_EXTRANONCE_LEN,
  NewExtendedMiningJob,
  NewMiningJob,
  OpenExtendedMiningChannel,
  OpenExtendedMiningChannelSuccess,
  OpenMiningChannelError,
  OpenStandardMiningChannel,
  OpenStandardMiningChannelSuccess,
  SetCustomMiningJob,
  SetCustomMiningJobError,
  SetExtranoncePrefix,
  SetGroupChannel,
  SetNewPrevHash,
  SetTarget,
  SubmitSharesError,
  SubmitSharesExtended,
  SubmitSharesStandard,
  SubmitSharesSuccess,
  UpdateChannel,
  UpdateChannelError,
} from '../messages/mining.js';
import { messageDefFor } from '../messages/registry.js';
import type { Sv2Connection } from '../transport/connection.js';
import {
  type ExtendedJobPieces,
  PoolChannel,
  type SeenShareBudget,
  type ShareJudgement,
  type SubmittedShare,
} from './pool-channel.js';
import type { BlockTemplate, SyntheticChain } from './synthetic-chain.js';

/** What a session needs from the pool that owns it. */
export interface SessionHost {
  readonly sharesPerMinute: number;
  readonly versionRolling: boolean;
  /** Channel kinds served: extended by default (as SRI's pool), standard on request. */
  readonly extendedChannels: boolean;
  readonly standardChannels: boolean;
  /** Extranonce bytes an extended channel rolls when it asks for fewer. */
  readonly extendedExtranonceSize: number;
  readonly shareBatchSize: number;
  readonly maxChannelsPerConnection: number;
  readonly inFlightGraceMs: number;
  readonly seenShareBudget: SeenShareBudget;
  readonly silent: boolean;
  /** False: shares are judged and counted but never answered (a broken share backend behind live jobs). */
  readonly answersShares: boolean;
  nowMs(): number;
  nextChannelId(): number;
  extranoncePrefixFor(channelId: number): Uint8Array;
  currentTemplate(): BlockTemplate;
  readonly chain: SyntheticChain;
  onChannelOpened(channel: PoolChannel): void;
  onChannelClosed(channel: PoolChannel): void;
  onShare(channel: PoolChannel, share: SubmittedShare, judgement: ShareJudgement): void;
  onChannelMismatch(sessionId: number, message: string): void;
}

const KNOWN_CLIENT_FLAGS = REQUIRES_STANDARD_JOBS | REQUIRES_WORK_SELECTION | REQUIRES_VERSION_ROLLING;

/** A group of extended channels on this connection (all of one full extranonce size). */
interface PoolGroup {
  id: number;
  members: Set<number>;
}

export class PoolSession {
  private state: 'setup' | 'ready' = 'setup';
  private requiresStandardJobs = false;
  readonly channels = new Map<number, PoolChannel>();
  /** Full extranonce size → the group of extended channels with it. */
  private readonly groups = new Map<number, PoolGroup>();
  /** Job ids on this connection: unique across its channels and groups. */
  private lastJobId = 0;
  private readonly setupTimer: NodeJS.Timeout;

  constructor(
    readonly id: number,
    readonly connection: Sv2Connection,
    private readonly host: SessionHost,
    setupTimeoutMs: number,
  ) {
    this.setupTimer = setTimeout(() => {
      if (this.state === 'setup') this.close('setup-timeout', `no SetupConnection within ${setupTimeoutMs} ms`);
    }, setupTimeoutMs);
    this.setupTimer.unref();
    connection.on('frame', (frame) => this.onFrame(frame));
    connection.on('close', () => {
      clearTimeout(this.setupTimer);
      for (const channel of this.channels.values()) this.host.onChannelClosed(channel);
      this.channels.clear();
    });
  }

  close(code: string, message: string): void {
    this.connection.close(code, message);
  }

  private onFrame(frame: Sv2Frame): void {
    const { header, payload } = frame;
    if (header.extensionType !== 0 && header.extensionType !== EXTENSION_NEGOTIATION) {
      // Extensions we never negotiated: the spec says drop them, with or without the channel bit.
      return;
    }
    const def = messageDefFor(header.extensionType, header.msgType);
    if (def === undefined) {
      this.close(
        'unknown-message',
        `unknown message type 0x${header.msgType.toString(16)} (extension ${header.extensionType})`,
      );
      return;
    }
    if (def.channelMsg !== header.channelMsg) {
      this.host.onChannelMismatch(this.id, `${def.name} sent with channel_msg=${header.channelMsg}`);
    }
    if (this.state === 'setup' && header.extensionType !== 0) {
      // Extension negotiation comes after SetupConnection.Success, like every other message.
      this.close('setup-required', `${def.name} before SetupConnection`);
      return;
    }
    try {
      if (header.extensionType === EXTENSION_NEGOTIATION) this.onExtensionMessage(header.msgType, payload);
      else this.dispatch(header.msgType, payload, def.name);
    } catch (err) {
      if (err instanceof Sv2ProtocolError) {
        this.close('malformed-frame', `malformed ${def.name}: ${err.message}`);
        return;
      }
      throw err;
    }
  }

  private onExtensionMessage(msgType: number, payload: Uint8Array): void {
    if (msgType !== RequestExtensions.msgType) {
      this.close('unexpected-message', 'clients do not send extension-negotiation answers');
      return;
    }
    const msg = RequestExtensions.decode(payload);
    this.connection.send(RequestExtensionsError, {
      requestId: msg.requestId,
      unsupportedExtensions: msg.requestedExtensions,
      requiredExtensions: [],
    });
  }

  private dispatch(msgType: number, payload: Uint8Array, name: string): void {
    if (this.state === 'setup' && msgType !== SetupConnection.msgType) {
      this.close('setup-required', `${name} before SetupConnection`);
      return;
    }
    switch (msgType) {
      case SetupConnection.msgType:
        this.onSetup(SetupConnection.decode(payload));
        return;
      case OpenStandardMiningChannel.msgType:
        this.onOpenStandard(OpenStandardMiningChannel.decode(payload));
        return;
      case OpenExtendedMiningChannel.msgType:
        this.onOpenExtended(OpenExtendedMiningChannel.decode(payload));
        return;
      case UpdateChannel.msgType:
        this.onUpdateChannel(UpdateChannel.decode(payload));
        return;
      case SubmitSharesStandard.msgType:
        this.onSubmit(SubmitSharesStandard.decode(payload));
        return;
      case SubmitSharesExtended.msgType:
        this.onSubmit(SubmitSharesExtended.decode(payload));
        return;
      case CloseChannel.msgType:
        this.onCloseChannel(CloseChannel.decode(payload));
        return;
      case SetCustomMiningJob.msgType: {
        const msg = SetCustomMiningJob.decode(payload);
        this.connection.send(SetCustomMiningJobError, {
          channelId: msg.channelId,
          requestId: msg.requestId,
          errorCode: SetCustomMiningJobErrorCode.jdNotSupported,
        });
        return;
      }
      default:
        this.close('unexpected-message', `${name} is not a message a mining client sends`);
    }
  }

  private onSetup(msg: SetupConnection): void {
    if (this.state !== 'setup') {
      this.close('unexpected-message', 'SetupConnection sent twice');
      return;
    }
    clearTimeout(this.setupTimer);
    const refuse = (flags: number, code: string): void => {
      this.connection.send(SetupConnectionError, { flags, errorCode: code });
      this.close('setup-rejected', `SetupConnection refused: ${code}`);
    };
    if (msg.protocol !== PROTOCOL_MINING) {
      refuse(0, SetupConnectionErrorCode.unsupportedProtocol);
      return;
    }
    if (msg.minVersion > SV2_PROTOCOL_VERSION || msg.maxVersion < SV2_PROTOCOL_VERSION) {
      refuse(0, SetupConnectionErrorCode.protocolVersionMismatch);
      return;
    }
    // The full set of requested flags we cannot honour, as the spec asks (lets clients probe).
    let unsupported = msg.flags & REQUIRES_WORK_SELECTION;
    unsupported |= msg.flags & ~KNOWN_CLIENT_FLAGS;
    if (!this.host.versionRolling) unsupported |= msg.flags & REQUIRES_VERSION_ROLLING;
    if (unsupported !== 0) {
      refuse(unsupported >>> 0, SetupConnectionErrorCode.unsupportedFeatureFlags);
      return;
    }
    this.requiresStandardJobs = (msg.flags & REQUIRES_STANDARD_JOBS) !== 0;
    this.state = 'ready';
    // Server flags, not an echo of the client's (the SRI bug sv2-apps #265).
    this.connection.send(SetupConnectionSuccess, {
      usedVersion: SV2_PROTOCOL_VERSION,
      flags:
        (this.host.versionRolling ? 0 : REQUIRES_FIXED_VERSION) |
        (this.host.standardChannels ? 0 : REQUIRES_EXTENDED_CHANNELS),
    });
  }

  /** The checks both open messages share; the error code to refuse with, or null. */
  private openRefusal(msg: OpenStandardMiningChannel): string | null {
    if (!Number.isFinite(msg.nominalHashRate) || msg.nominalHashRate < 0)
      return OpenChannelErrorCode.invalidNominalHashrate;
    if (targetFromU256(msg.maxTarget) === 0n) return OpenChannelErrorCode.maxTargetOutOfRange;
    if (this.channels.size >= this.host.maxChannelsPerConnection) return 'too-many-channels';
    return null;
  }

  private newChannel(
    kind: 'standard' | 'extended',
    msg: OpenStandardMiningChannel,
    extranonceSize: number,
  ): PoolChannel {
    const channelId = this.host.nextChannelId();
    const maxTarget = targetFromU256(msg.maxTarget);
    // Clamped only to what the device asked for: tiny hash rates get targets far above difficulty 1.
    const target = minTarget(hashRateToTarget(msg.nominalHashRate, this.host.sharesPerMinute), maxTarget);
    const channel = new PoolChannel(
      kind,
      channelId,
      this.id,
      msg.userIdentity,
      this.host.extranoncePrefixFor(channelId),
      maxTarget,
      msg.nominalHashRate,
      target,
      this.host.versionRolling,
      this.host.inFlightGraceMs,
      this.host.seenShareBudget,
      extranonceSize,
    );
    this.channels.set(channelId, channel);
    return channel;
  }

  private onOpenStandard(msg: OpenStandardMiningChannel): void {
    const refusal = this.host.standardChannels ? this.openRefusal(msg) : 'standard-channels-not-supported';
    if (refusal !== null) {
      this.connection.send(OpenMiningChannelError, { requestId: msg.requestId, errorCode: refusal });
      return;
    }
    const channel = this.newChannel('standard', msg, 0);
    this.connection.send(OpenStandardMiningChannelSuccess, {
      requestId: msg.requestId,
      channelId: channel.channelId,
      target: targetToU256(channel.target),
      extranoncePrefix: channel.extranoncePrefix,
      groupChannelId: 0,
    });
    this.host.onChannelOpened(channel);
    this.sendBlockStart(channel, this.host.currentTemplate());
  }

  private onOpenExtended(msg: OpenExtendedMiningChannel): void {
    const refuse = (code: string): void => {
      this.connection.send(OpenMiningChannelError, { requestId: msg.requestId, errorCode: code });
    };
    if (this.requiresStandardJobs) {
      // The client said it can only take NewMiningJob: an extended channel would get jobs it cannot use.
      refuse(OpenChannelErrorCode.extendedChannelsNotSupportedForStandardJobs);
      return;
    }
    if (!this.host.extendedChannels) {
      refuse('extended-channels-not-supported');
      return;
    }
    const refusal = this.openRefusal(msg);
    if (refusal !== null) {
      refuse(refusal);
      return;
    }
    // The prefix is this pool's (8 bytes); the rest of the spec's 32 is the client's to roll.
    const prefixLength = this.host.extranoncePrefixFor(0).length;
    const available = MAX_EXTRANONCE_LEN - prefixLength;
    if (msg.minExtranonceSize > available) {
      refuse(OpenChannelErrorCode.minExtranonceSizeTooLarge);
      return;
    }
    const size = Math.min(available, Math.max(msg.minExtranonceSize, this.host.extendedExtranonceSize));
    const channel = this.newChannel('extended', msg, size);
    const group = this.groupFor(prefixLength + size);
    group.members.add(channel.channelId);
    channel.groupChannelId = group.id;
    channel.stats.groupChannelId = group.id;
    this.connection.send(OpenExtendedMiningChannelSuccess, {
      requestId: msg.requestId,
      channelId: channel.channelId,
      target: targetToU256(channel.target),
      extranonceSize: size,
      extranoncePrefix: channel.extranoncePrefix,
      groupChannelId: group.id,
    });
    this.host.onChannelOpened(channel);
    if (group.members.size >= 2 && !this.host.silent) {
      this.connection.send(SetGroupChannel, { groupChannelId: group.id, channelIds: [...group.members] });
    }
    // The newcomer's first job is its own; from the next one on the group's jobs reach it.
    this.sendBlockStart(channel, this.host.currentTemplate());
  }

  /** The group for extended channels of this full extranonce size (its id from the pool's channel ids). */
  private groupFor(fullExtranonceSize: number): PoolGroup {
    let group = this.groups.get(fullExtranonceSize);
    if (group === undefined) {
      group = { id: this.host.nextChannelId(), members: new Set() };
      this.groups.set(fullExtranonceSize, group);
    }
    return group;
  }

  /** CloseChannel for a channel, or for a group (which closes every member, as the spec says). */
  private onCloseChannel(msg: CloseChannel): void {
    const ids = [msg.channelId];
    for (const [size, group] of this.groups) {
      if (group.id === msg.channelId) {
        ids.push(...group.members);
        this.groups.delete(size);
      }
    }
    for (const id of ids) {
      const channel = this.channels.get(id);
      if (channel === undefined) continue;
      this.channels.delete(id);
      for (const group of this.groups.values()) group.members.delete(id);
      this.host.onChannelClosed(channel);
    }
  }

  private onUpdateChannel(msg: UpdateChannel): void {
    const channel = this.channels.get(msg.channelId);
    const refuse = (code: string): void => {
      this.connection.send(UpdateChannelError, { channelId: msg.channelId, errorCode: code });
    };
    if (channel === undefined) {
      refuse(UpdateChannelErrorCode.invalidChannelId);
      return;
    }
    if (!Number.isFinite(msg.nominalHashRate) || msg.nominalHashRate < 0) {
      refuse(UpdateChannelErrorCode.invalidNominalHashrate);
      return;
    }
    const maxTarget = targetFromU256(msg.maximumTarget);
    if (maxTarget === 0n) {
      refuse(OpenChannelErrorCode.maxTargetOutOfRange);
      return;
    }
    channel.maxTarget = maxTarget;
    channel.nominalHashRateHs = msg.nominalHashRate;
    channel.stats.nominalHashRateHs = msg.nominalHashRate;
    const target = minTarget(hashRateToTarget(msg.nominalHashRate, this.host.sharesPerMinute), maxTarget);
    if (target !== channel.target) this.setTarget(channel, target);
  }

  /** Sends SetTarget; jobs sent from now on carry the new target, earlier jobs keep theirs. */
  setTarget(channel: PoolChannel, target: bigint): void {
    channel.setTarget(target);
    this.connection.send(SetTarget, { channelId: channel.channelId, maximumTarget: targetToU256(target) });
  }

  private onSubmit(msg: SubmittedShare): void {
    const channel = this.channels.get(msg.channelId);
    if (channel === undefined) {
      if (!this.host.silent) {
        this.connection.send(SubmitSharesError, {
          channelId: msg.channelId,
          sequenceNumber: msg.sequenceNumber,
          errorCode: SubmitSharesErrorCode.invalidChannelId,
        });
      }
      return;
    }
    const nowMs = this.host.nowMs();
    const extended = 'extranonce' in msg;
    let judgement: ShareJudgement;
    if (extended && channel.kind !== 'extended') {
      judgement = { ok: false, code: SubmitSharesErrorCode.extendedShareOnStandardChannel };
    } else if (!extended && channel.kind !== 'standard') {
      judgement = { ok: false, code: SubmitSharesErrorCode.standardShareOnExtendedChannel };
    } else {
      judgement = channel.validate(msg, this.host.chain, nowMs);
    }
    channel.record(judgement, nowMs);
    this.host.onShare(channel, msg, judgement);
    if (this.host.silent || !this.host.answersShares) return;
    if (!judgement.ok) {
      this.connection.send(SubmitSharesError, {
        channelId: msg.channelId,
        sequenceNumber: msg.sequenceNumber,
        errorCode: judgement.code,
      });
      return;
    }
    channel.batchCount++;
    channel.batchDifficulty += judgement.jobDifficulty;
    channel.batchLastSequence = msg.sequenceNumber;
    if (channel.batchCount >= this.host.shareBatchSize || judgement.blockFound) this.flushBatch(channel);
  }

  flushBatch(channel: PoolChannel): void {
    if (channel.batchCount === 0) return;
    this.connection.send(SubmitSharesSuccess, {
      channelId: channel.channelId,
      lastSequenceNumber: channel.batchLastSequence,
      newSubmitsAcceptedCount: channel.batchCount,
      // SRI reports the integer part of the summed difficulty: targets easier than 1 add nothing.
      newSharesSum: BigInt(Math.floor(channel.batchDifficulty)),
    });
    channel.batchCount = 0;
    channel.batchDifficulty = 0;
  }

  /** A new block for every channel: acknowledgements so far, then a future job and the SetNewPrevHash naming it. */
  newBlock(template: BlockTemplate): void {
    for (const channel of this.channels.values()) this.flushBatch(channel);
    this.distribute(template, true);
  }

  /** New work on the same block for every channel (active jobs, min_ntime = now). */
  newJobs(template: BlockTemplate): void {
    this.distribute(template, false);
  }

  /** One job per group of two or more, one per channel for the rest. */
  private distribute(template: BlockTemplate, future: boolean): void {
    const grouped = new Set<number>();
    for (const group of this.groups.values()) {
      if (group.members.size < 2) continue;
      const members = [...group.members].map((id) => this.channels.get(id)).filter((c) => c !== undefined);
      for (const m of members) grouped.add(m.channelId);
      this.sendJob(group.id, members, template, future);
    }
    for (const channel of this.channels.values()) {
      if (!grouped.has(channel.channelId)) this.sendJob(channel.channelId, [channel], template, future);
    }
  }

  /** A new block on one channel: a future job, then SetNewPrevHash naming it (the order SRI pools use). */
  sendBlockStart(channel: PoolChannel, template: BlockTemplate): void {
    this.sendJob(channel.channelId, [channel], template, true);
  }

  /** New work on the same block for one channel: an active job (min_ntime set). */
  sendActiveJob(channel: PoolChannel, template: BlockTemplate): void {
    this.sendJob(channel.channelId, [channel], template, false);
  }

  /**
   * A job for `members` (one channel, or every member of a group), addressed to `addressedTo`; `future` jobs are
   * followed by the SetNewPrevHash naming them. Each member remembers the job with its own extranonce prefix.
   */
  private sendJob(addressedTo: number, members: PoolChannel[], template: BlockTemplate, future: boolean): void {
    if (members.length === 0) return;
    const nowMs = this.host.nowMs();
    const jobId = ++this.lastJobId >>> 0;
    const minNtime = future ? null : Math.max(template.minNtime, Math.floor(nowMs / 1000)) >>> 0;
    const first = members[0];
    let pieces: ExtendedJobPieces | null = null;
    if (first.kind === 'extended') {
      const parts = this.host.chain.coinbaseParts(template, first.extranoncePrefix.length + first.extranonceSize);
      pieces = { coinbaseTxPrefix: parts.prefix, coinbaseTxSuffix: parts.suffix, merklePath: template.merklePath };
    }
    let merkleRoot: Uint8Array | null = null;
    for (const channel of members) {
      const job = channel.jobFromTemplate(jobId, template, this.host.chain, pieces);
      channel.registerJob(job, future, nowMs);
      if (job.header.kind === 'merkle-root') merkleRoot = job.header.merkleRoot;
    }
    if (this.host.silent) return;
    if (pieces !== null) {
      this.connection.send(NewExtendedMiningJob, {
        channelId: addressedTo,
        jobId,
        minNtime,
        version: template.version,
        versionRollingAllowed: this.host.versionRolling,
        merklePath: pieces.merklePath,
        coinbaseTxPrefix: pieces.coinbaseTxPrefix,
        coinbaseTxSuffix: pieces.coinbaseTxSuffix,
      });
    } else if (merkleRoot !== null) {
      this.connection.send(NewMiningJob, {
        channelId: addressedTo,
        jobId,
        minNtime,
        version: template.version,
        merkleRoot,
      });
    }
    if (future) {
      this.connection.send(SetNewPrevHash, {
        channelId: addressedTo,
        jobId,
        prevHash: template.prevHash,
        minNtime: template.minNtime,
        nbits: template.nbits,
      });
    }
  }

  /**
   * Moves a channel to a new extranonce prefix (same length, so its group and rolled size hold): SetExtranoncePrefix,
   * every earlier job of the channel stale, and at once a job with the new prefix. Returns false for a prefix of
   * another length.
   */
  changeExtranoncePrefix(channel: PoolChannel, prefix: Uint8Array): boolean {
    if (prefix.length !== channel.extranoncePrefix.length) return false;
    channel.setExtranoncePrefix(prefix);
    if (!this.host.silent) {
      this.connection.send(SetExtranoncePrefix, {
        channelId: channel.channelId,
        extranoncePrefix: channel.extranoncePrefix,
      });
    }
    this.sendActiveJob(channel, this.host.currentTemplate());
    return true;
  }

  sendReconnect(newHost: string, newPort: number): void {
    this.connection.send(Reconnect, { newHost, newPort });
  }
}

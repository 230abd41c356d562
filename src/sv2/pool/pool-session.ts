/**
 * One client connection on the local pool: SetupConnection, standard channels, jobs, and share validation.
 * Anything malformed or out of place closes this connection with a code and a reason (logged and counted);
 * protocol-level refusals (a bad share, an unknown channel) are answered with the spec's error messages and
 * the connection stays up.
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
  REQUIRES_FIXED_VERSION,
  REQUIRES_STANDARD_JOBS,
  REQUIRES_VERSION_ROLLING,
  REQUIRES_WORK_SELECTION,
} from '../messages/flags.js';
import {
  CloseChannel,
  NewMiningJob,
  OpenExtendedMiningChannel,
  OpenMiningChannelError,
  OpenStandardMiningChannel,
  OpenStandardMiningChannelSuccess,
  SetCustomMiningJob,
  SetCustomMiningJobError,
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
import { PoolChannel, type SeenShareBudget, type ShareJudgement } from './pool-channel.js';
import type { BlockTemplate, SyntheticChain } from './synthetic-chain.js';

/** What a session needs from the pool that owns it. */
export interface SessionHost {
  readonly sharesPerMinute: number;
  readonly versionRolling: boolean;
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
  onShare(channel: PoolChannel, sequenceNumber: number, judgement: ShareJudgement): void;
  onChannelMismatch(sessionId: number, message: string): void;
}

const KNOWN_CLIENT_FLAGS = REQUIRES_STANDARD_JOBS | REQUIRES_WORK_SELECTION | REQUIRES_VERSION_ROLLING;

export class PoolSession {
  private state: 'setup' | 'ready' = 'setup';
  private requiresStandardJobs = false;
  readonly channels = new Map<number, PoolChannel>();
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
      case OpenExtendedMiningChannel.msgType: {
        const msg = OpenExtendedMiningChannel.decode(payload);
        this.connection.send(OpenMiningChannelError, {
          requestId: msg.requestId,
          errorCode: this.requiresStandardJobs
            ? OpenChannelErrorCode.extendedChannelsNotSupportedForStandardJobs
            : 'extended-channels-not-supported',
        });
        return;
      }
      case UpdateChannel.msgType:
        this.onUpdateChannel(UpdateChannel.decode(payload));
        return;
      case SubmitSharesStandard.msgType:
        this.onSubmit(SubmitSharesStandard.decode(payload));
        return;
      case SubmitSharesExtended.msgType: {
        const msg = SubmitSharesExtended.decode(payload);
        if (!this.host.silent) {
          this.connection.send(SubmitSharesError, {
            channelId: msg.channelId,
            sequenceNumber: msg.sequenceNumber,
            errorCode: SubmitSharesErrorCode.invalidChannelId,
          });
        }
        return;
      }
      case CloseChannel.msgType: {
        const msg = CloseChannel.decode(payload);
        const channel = this.channels.get(msg.channelId);
        if (channel !== undefined) {
          this.channels.delete(msg.channelId);
          this.host.onChannelClosed(channel);
        }
        return;
      }
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
      flags: this.host.versionRolling ? 0 : REQUIRES_FIXED_VERSION,
    });
  }

  private onOpenStandard(msg: OpenStandardMiningChannel): void {
    const refuse = (code: string): void => {
      this.connection.send(OpenMiningChannelError, { requestId: msg.requestId, errorCode: code });
    };
    if (!Number.isFinite(msg.nominalHashRate) || msg.nominalHashRate < 0) {
      refuse(OpenChannelErrorCode.invalidNominalHashrate);
      return;
    }
    const maxTarget = targetFromU256(msg.maxTarget);
    if (maxTarget === 0n) {
      refuse(OpenChannelErrorCode.maxTargetOutOfRange);
      return;
    }
    if (this.channels.size >= this.host.maxChannelsPerConnection) {
      refuse('too-many-channels');
      return;
    }
    const channelId = this.host.nextChannelId();
    // Clamped only to what the device asked for: tiny hash rates get targets far above difficulty 1.
    const target = minTarget(hashRateToTarget(msg.nominalHashRate, this.host.sharesPerMinute), maxTarget);
    const channel = new PoolChannel(
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
    );
    this.channels.set(channelId, channel);
    this.connection.send(OpenStandardMiningChannelSuccess, {
      requestId: msg.requestId,
      channelId,
      target: targetToU256(target),
      extranoncePrefix: channel.extranoncePrefix,
      groupChannelId: 0,
    });
    this.host.onChannelOpened(channel);
    this.sendBlockStart(channel, this.host.currentTemplate());
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

  private onSubmit(msg: SubmitSharesStandard): void {
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
    const judgement = channel.validate(msg, this.host.chain, nowMs);
    channel.record(judgement, nowMs);
    this.host.onShare(channel, msg.sequenceNumber, judgement);
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

  /** A new block: a future job, then SetNewPrevHash naming it (the order SRI pools use). */
  sendBlockStart(channel: PoolChannel, template: BlockTemplate): void {
    const job = channel.makeJob(this.host.chain, template, true, this.host.nowMs());
    if (this.host.silent) return;
    this.connection.send(NewMiningJob, job);
    this.connection.send(SetNewPrevHash, {
      channelId: channel.channelId,
      jobId: job.jobId,
      prevHash: template.prevHash,
      minNtime: template.minNtime,
      nbits: template.nbits,
    });
  }

  /** New work on the same block: an active job (min_ntime set). */
  sendActiveJob(channel: PoolChannel, template: BlockTemplate): void {
    const job = channel.makeJob(this.host.chain, template, false, this.host.nowMs());
    if (!this.host.silent) this.connection.send(NewMiningJob, job);
  }

  sendReconnect(newHost: string, newPort: number): void {
    this.connection.send(Reconnect, { newHost, newPort });
  }
}

/**
 * What the client does with the pool's answers to what the device sent: SubmitShares.Success and .Error resolve
 * pending shares (pending-shares.ts) and tell the liveness rule how long the share they name took; an
 * UpdateChannel.Error — or a SetTarget, from a pool that answers UpdateChannel that way whatever the channel —
 * addressed to a liveness probe's channel id (liveness-watch.ts) is the probe's answer, not news.
 */
import type { Clock } from '../clock.js';
import type { SetTarget, SubmitSharesError, SubmitSharesSuccess, UpdateChannelError } from '../messages/mining.js';
import type { ChannelRegistry } from './channel-registry.js';
import type { LivenessWatch } from './liveness-watch.js';
import type { MiningClientEvents } from './mining-client-types.js';
import type { MiningClientHandlers } from './mining-dispatcher.js';
import type { PendingShares } from './pending-shares.js';

export interface AnswerMessageContext {
  channels: ChannelRegistry;
  clock: Clock;
  liveness: LivenessWatch;
  pending: PendingShares;
  /** SetTarget for a channel of ours (channel-messages.ts). */
  setTarget(msg: SetTarget): void;
  emit<K extends keyof MiningClientEvents>(event: K, payload: MiningClientEvents[K]): void;
  warn(message: string): void;
}

export type AnswerMessageHandlers = Pick<
  MiningClientHandlers,
  'submitSharesSuccess' | 'submitSharesError' | 'updateChannelError' | 'setTarget'
>;

export function answerMessageHandlers(ctx: AnswerMessageContext): AnswerMessageHandlers {
  /** A message for one of the probe's channel ids that is none of ours: the answer to a probe. */
  const probeAnswered = (channelId: number): boolean => {
    if (!ctx.liveness.isProbeChannel(channelId)) return false;
    if (ctx.channels.get(channelId) !== undefined || ctx.channels.isGroup(channelId)) return false;
    ctx.liveness.probeAnswered(channelId);
    return true;
  };

  return {
    submitSharesSuccess: (msg: SubmitSharesSuccess) => {
      ctx.liveness.touch();
      const shares = ctx.pending.acceptUpTo(msg.channelId, msg.lastSequenceNumber, ctx.clock.nowMs());
      // The share that closed the batch was answered as soon as the pool had it: a sample of its answer time.
      const closing = shares.find((x) => x.sequenceNumber === msg.lastSequenceNumber && !x.late);
      ctx.liveness.shareAnswered(msg.newSubmitsAcceptedCount, closing?.latencyMs ?? null);
      ctx.emit('shareResult', {
        kind: 'accepted',
        channelId: msg.channelId,
        lastSequenceNumber: msg.lastSequenceNumber,
        newSubmitsAcceptedCount: msg.newSubmitsAcceptedCount,
        newSharesSum: msg.newSharesSum,
        shares,
      });
    },
    submitSharesError: (msg: SubmitSharesError) => {
      ctx.liveness.touch();
      const share = ctx.pending.reject(msg.channelId, msg.sequenceNumber, msg.errorCode, ctx.clock.nowMs());
      ctx.liveness.shareAnswered(0, share !== null && !share.late ? share.latencyMs : null);
      ctx.emit('shareResult', {
        kind: 'rejected',
        channelId: msg.channelId,
        sequenceNumber: msg.sequenceNumber,
        errorCode: msg.errorCode,
        share,
      });
    },
    updateChannelError: (msg: UpdateChannelError) => {
      if (probeAnswered(msg.channelId)) return;
      ctx.warn(`pool refused UpdateChannel on channel ${msg.channelId}: ${msg.errorCode}`);
    },
    setTarget: (msg: SetTarget) => {
      // SRI's JDC in solo mode answers any UpdateChannel with SetTarget for the channel it names.
      if (!probeAnswered(msg.channelId)) ctx.setTarget(msg);
    },
  };
}

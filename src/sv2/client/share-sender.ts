/**
 * The share hot path: SubmitSharesStandard or SubmitSharesExtended (by the channel's kind) with the channel's next
 * sequence number, from message objects reused for every share so nothing is allocated per submit; the frame is
 * encoded and encrypted in place by the connection. Each share is remembered as pending until the pool answers.
 */
import type { Clock } from '../clock.js';
import { SubmitSharesExtended, SubmitSharesStandard } from '../messages/mining.js';
import type { Sv2Connection } from '../transport/connection.js';
import type { ChannelState } from './channel-state.js';
import type { LivenessWatch } from './liveness-watch.js';
import { Sv2ClientError } from './mining-client-types.js';
import type { PendingShares } from './pending-shares.js';

/** What a share names: its channel and job, the header fields the chip varied, and the extranonce it rolled. */
export interface ShareToSubmit {
  channelId: number;
  jobId: number;
  nonce: number;
  ntime: number;
  version: number;
  /** Exactly the channel's extranonce_size bytes on an extended channel; absent (or null) on a standard one. */
  extranonce?: Uint8Array | null;
}

export class ShareSender {
  private readonly standard: SubmitSharesStandard = {
    channelId: 0,
    sequenceNumber: 0,
    jobId: 0,
    nonce: 0,
    ntime: 0,
    version: 0,
  };
  private readonly extended: SubmitSharesExtended = { ...this.standard, extranonce: new Uint8Array(0) };

  constructor(
    private readonly clock: Clock,
    private readonly pending: PendingShares,
    private readonly liveness: LivenessWatch,
  ) {}

  /** Sends the share on `connection`; returns its sequence number. Throws Sv2ClientError for a bad extranonce. */
  send(connection: Sv2Connection, channel: ChannelState, share: ShareToSubmit): number {
    const isExtended = channel.kind === 'extended';
    const extranonce = share.extranonce ?? null;
    if (isExtended && (extranonce === null || extranonce.length !== channel.extranonceSize)) {
      throw new Sv2ClientError(
        'config',
        `a share on extended channel ${channel.channelId} needs ${channel.extranonceSize} extranonce bytes, got ` +
          `${extranonce === null ? 'none' : extranonce.length}`,
      );
    }
    const seq = channel.nextSequenceNumber;
    channel.nextSequenceNumber = (seq + 1) >>> 0;
    const m = isExtended ? this.extended : this.standard;
    m.channelId = share.channelId;
    m.sequenceNumber = seq;
    m.jobId = share.jobId;
    m.nonce = share.nonce >>> 0;
    m.ntime = share.ntime >>> 0;
    m.version = share.version >>> 0;
    if (isExtended) {
      this.extended.extranonce = extranonce as Uint8Array;
      connection.send(SubmitSharesExtended, this.extended);
    } else {
      connection.send(SubmitSharesStandard, m);
    }
    const now = this.clock.nowMs();
    this.liveness.shareSubmitted(now);
    this.pending.add({
      channelId: share.channelId,
      sequenceNumber: seq,
      jobId: share.jobId,
      nonce: m.nonce,
      ntime: m.ntime,
      version: m.version,
      target: channel.jobForShare(share.jobId)?.target ?? channel.target,
      submittedAtMs: now,
    });
    return seq;
  }
}

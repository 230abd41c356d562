/**
 * Opening channels: OpenStandardMiningChannel / OpenExtendedMiningChannel out, paired with their answers by
 * request id, each with a timeout. A Success becomes the channel's state (with the version-rolling rule the
 * connection allows); an Error, a Success of the other kind or an extranonce over the spec's 32 bytes rejects the
 * open with Sv2ClientError('channel-rejected'), naming what was refused.
 */
import { MAX_TARGET, targetFromU256, targetToU256 } from '../channel/target.js';
import {
  OpenExtendedMiningChannel,
  type OpenExtendedMiningChannelSuccess,
  type OpenMiningChannelError,
  OpenStandardMiningChannel,
  type OpenStandardMiningChannelSuccess,
} from '../messages/mining.js';
import type { Sv2Connection } from '../transport/connection.js';
import type { ChannelKind, VersionRollingRule } from './channel.js';
import { ChannelState } from './channel-state.js';
import { MAX_EXTRANONCE_LEN } from './extended-job.js';
import { Sv2ClientError } from './mining-client-types.js';

export interface ChannelRequest {
  kind: ChannelKind;
  userIdentity: string;
  nominalHashRateHs: number;
}

interface PendingOpen {
  request: ChannelRequest;
  resolve: (c: ChannelState) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface OpenerOptions {
  timeoutMs: number;
  maxTarget?: bigint;
  minExtranonceSize: number;
  /** Called when an open goes unanswered (the client closes the connection). */
  onTimeout: (message: string) => void;
}

export class ChannelOpener {
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingOpen>();

  constructor(private readonly options: OpenerOptions) {}

  /** Sends the open message for `request` on `connection`; resolves with the channel or rejects with the reason. */
  open(connection: Sv2Connection, request: ChannelRequest): Promise<ChannelState> {
    const requestId = this.nextRequestId++ >>> 0;
    const what = request.kind === 'extended' ? 'OpenExtendedMiningChannel' : 'OpenStandardMiningChannel';
    const opened = new Promise<ChannelState>((resolve, reject) => {
      const ms = this.options.timeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Sv2ClientError('timeout', `no answer to ${what} within ${ms} ms`));
        this.options.onTimeout(`no answer to ${what} within ${ms} ms`);
      }, ms);
      this.pending.set(requestId, { request, resolve, reject, timer });
    });
    const common = {
      requestId,
      userIdentity: request.userIdentity,
      nominalHashRate: request.nominalHashRateHs,
      maxTarget: targetToU256(this.options.maxTarget ?? MAX_TARGET),
    };
    if (request.kind === 'extended') {
      connection.send(OpenExtendedMiningChannel, { ...common, minExtranonceSize: this.options.minExtranonceSize });
    } else {
      connection.send(OpenStandardMiningChannel, common);
    }
    return opened;
  }

  /**
   * A Success arrived: the channel it opens (the open resolves with it), or null when it answers nothing we asked
   * or cannot be used (the open, if any, rejects). `versionRolling`: what the connection allows.
   */
  succeeded(
    kind: ChannelKind,
    msg: OpenStandardMiningChannelSuccess | OpenExtendedMiningChannelSuccess,
    extranonceSize: number,
    versionRolling: VersionRollingRule,
  ): { channel: ChannelState; resolve: () => void } | { channel: null; problem: string | null } {
    const p = this.take(msg.requestId);
    const what = kind === 'extended' ? 'OpenExtendedMiningChannel.Success' : 'OpenStandardMiningChannel.Success';
    if (p === undefined) return { channel: null, problem: `${what} for request ${msg.requestId} we did not send` };
    let refusal: string | null = null;
    if (p.request.kind !== kind) refusal = `pool answered our ${p.request.kind} channel request with ${what}`;
    else if (msg.extranoncePrefix.length + extranonceSize > MAX_EXTRANONCE_LEN) {
      refusal =
        `pool gave an extranonce of ${msg.extranoncePrefix.length} + ${extranonceSize} bytes, over the spec's ` +
        `${MAX_EXTRANONCE_LEN}`;
    }
    if (refusal !== null) {
      p.reject(new Sv2ClientError('channel-rejected', refusal));
      return { channel: null, problem: null };
    }
    const channel = new ChannelState({
      kind,
      channelId: msg.channelId,
      requestId: msg.requestId,
      userIdentity: p.request.userIdentity,
      extranoncePrefix: msg.extranoncePrefix,
      extranonceSize,
      groupChannelId: msg.groupChannelId,
      target: targetFromU256(msg.target),
      versionRolling,
      nominalHashRateHs: p.request.nominalHashRateHs,
    });
    return { channel, resolve: () => p.resolve(channel) };
  }

  /** OpenMiningChannel.Error: the open it answers rejects, naming the pool's code. */
  refused(msg: OpenMiningChannelError): void {
    const p = this.take(msg.requestId);
    p?.reject(
      new Sv2ClientError(
        'channel-rejected',
        `pool refused the ${p.request.kind} channel: ${msg.errorCode}`,
        msg.errorCode,
      ),
    );
  }

  /** The connection is gone: every open still waiting rejects with `error`. */
  failAll(error: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }

  private take(requestId: number): PendingOpen | undefined {
    const p = this.pending.get(requestId);
    if (p === undefined) return undefined;
    this.pending.delete(requestId);
    clearTimeout(p.timer);
    return p;
  }
}

/**
 * An SV2 pool as a job source for the daemon's failover: one `Sv2MiningClient` and the channel it opened
 * (extended, standard, or whichever the pool takes), speaking the engine's neutral jobs and shares. The client
 * itself stays the protocol; this is only the seam.
 *
 * An extended channel's job is a coinbase job (`prefix` = coinbase_tx_prefix ‖ extranonce_prefix, the channel's
 * extranonce_size rolled by the engine), and its share carries the extranonce rolled. After SetExtranoncePrefix
 * the next job the pool sends on the channel goes to the chips as a clean switch, like a new block: the pool moved
 * this channel's search space, so nothing of the old prefix should be hashed once work with the new one is here.
 */

import type { MinedShare } from '../../mining/job.js';
import type { JobSource, JobSourceEvents, JobSourceSession } from '../../mining/job-source.js';
import { describeVerdict } from '../../mining/pool-liveness.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { MiningChannelInfo } from './channel.js';
import { type MiningClientOptions, Sv2MiningClient } from './mining-client.js';

export class Sv2JobSource extends TypedEmitter<JobSourceEvents> implements JobSource {
  private readonly client: Sv2MiningClient;
  private channelId: number | null = null;
  /** SetExtranoncePrefix seen: the next active job replaces all work at once. */
  private prefixChanged = false;

  /** Throws Sv2ClientError('config') for a bad URL or key, before any connection. */
  constructor(options: MiningClientOptions) {
    super();
    const client = new Sv2MiningClient(options);
    this.client = client;
    client.on('channelOpened', (info) => {
      if (this.channelId !== null) return;
      this.channelId = info.channelId;
      this.prefixChanged = false;
      this.emit('opened', this.sessionOf(info));
    });
    client.on('prevHash', (e) => {
      if (e.channelId !== this.channelId) return;
      this.prefixChanged = false;
      this.emit('newTip', e.job);
    });
    client.on('job', (e) => {
      if (e.channelId !== this.channelId || e.active === null) return;
      if (this.prefixChanged) {
        this.prefixChanged = false;
        this.emit('newTip', e.active);
      } else {
        this.emit('job', e.active);
      }
    });
    client.on('extranoncePrefix', (e) => {
      if (e.channelId === this.channelId) this.prefixChanged = true;
    });
    client.on('target', (e) => {
      if (e.channelId === this.channelId) this.emit('target', { target: e.target, difficulty: e.difficulty });
    });
    client.on('shareResult', (e) => {
      switch (e.kind) {
        case 'accepted':
          this.emit('shareAnswer', { kind: 'accepted', shares: e.shares, count: e.newSubmitsAcceptedCount });
          return;
        case 'rejected':
          this.emit('shareAnswer', { kind: 'rejected', reason: e.errorCode, share: e.share });
          return;
        case 'timeout':
          this.emit('shareAnswer', { kind: 'timeout', count: e.shares.length, why: 'no answer in time' });
          return;
        case 'lost':
          this.emit('shareAnswer', { kind: 'lost', count: e.shares.length, why: e.why });
          return;
      }
    });
    client.on('stalled', (verdict) => this.emit('stalled', { message: describeVerdict(verdict) }));
    client.on('warning', (e) => this.emit('warning', e));
    client.on('disconnected', (e) => {
      this.channelId = null;
      this.emit('down', { code: e.code, reason: e.reason, willReconnect: e.willReconnect });
    });
  }

  /** The SV2 client underneath (tests and tracing). */
  get sv2(): Sv2MiningClient {
    return this.client;
  }

  get connected(): boolean {
    return this.client.connected && this.channelId !== null;
  }

  async connect(): Promise<JobSourceSession> {
    return this.sessionOf(await this.client.connect());
  }

  private sessionOf(info: MiningChannelInfo): JobSourceSession {
    const extranonce =
      info.kind === 'extended'
        ? `, extranonce prefix ${info.extranoncePrefix.length} bytes + ${info.extranonceSize} rolled`
        : '';
    const group = info.groupChannelId !== 0 ? `, group ${info.groupChannelId}` : '';
    return {
      protocol: 'sv2',
      description: `channel ${info.channelId} (${info.kind}${extranonce}${group})`,
      target: info.target,
      difficulty: info.difficulty,
      versionRolling: info.versionRolling,
      channelKind: info.kind,
      authenticated: this.client.authenticated,
    };
  }

  submitShare(share: MinedShare): number {
    const job = share.job;
    if (typeof job.jobId !== 'number') throw new TypeError(`an SV2 job id is a number, got ${String(job.jobId)}`);
    return this.client.submitShare({
      channelId: job.channelId,
      jobId: job.jobId,
      nonce: share.nonce,
      ntime: share.ntime,
      version: share.version,
      extranonce: share.extranonce,
    });
  }

  updateNominalHashRate(hashRateHs: number): void {
    if (this.client.connected && this.channelId !== null) this.client.updateNominalHashRate(this.channelId, hashRateHs);
  }

  close(reason: string): void {
    if (this.channelId !== null && this.client.connected) this.client.closeChannel(this.channelId, reason);
    this.client.close(reason);
  }

  protected override onListenerError(event: string, err: unknown): void {
    if (event === 'warning') return;
    this.emit('warning', {
      message: `a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}

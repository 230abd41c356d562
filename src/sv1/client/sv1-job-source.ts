/**
 * A Stratum V1 pool as a job source for the daemon's failover: one `Sv1MiningClient`, speaking the engine's
 * neutral jobs and shares. The client stays the protocol; this is only the seam (as sv2-job-source.ts for SV2).
 */
import type { MinedShare } from '../../mining/job.js';
import type { JobSource, JobSourceEvents, JobSourceSession } from '../../mining/job-source.js';
import { describeVerdict } from '../../mining/pool-liveness.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { type Sv1ClientOptions, Sv1MiningClient, type Sv1SessionInfo } from './mining-client.js';

export class Sv1JobSource extends TypedEmitter<JobSourceEvents> implements JobSource {
  private readonly client: Sv1MiningClient;

  /** Throws Sv1ClientError('config') for a bad URL or option, before any connection. */
  constructor(options: Sv1ClientOptions) {
    super();
    const client = new Sv1MiningClient(options);
    this.client = client;
    client.on('opened', (info) => this.emit('opened', this.sessionOf(info)));
    client.on('newTip', (job) => this.emit('newTip', job));
    client.on('job', (job) => this.emit('job', job));
    client.on('target', (t) => this.emit('target', t));
    client.on('shareResult', (r) => {
      switch (r.kind) {
        case 'accepted':
          this.emit('shareAnswer', { kind: 'accepted', shares: [{ target: r.target, late: r.late }], count: 1 });
          return;
        case 'rejected':
          this.emit('shareAnswer', { kind: 'rejected', reason: r.reason, share: { target: r.target, late: r.late } });
          return;
        case 'timeout':
          this.emit('shareAnswer', { kind: 'timeout', count: r.count, why: 'no answer in time' });
          return;
        case 'lost':
          this.emit('shareAnswer', { kind: 'lost', count: r.count, why: r.why });
          return;
      }
    });
    client.on('stalled', (verdict) => this.emit('stalled', { message: describeVerdict(verdict) }));
    client.on('warning', (w) => this.emit('warning', w));
    client.on('disconnected', (d) =>
      this.emit('down', { code: d.code, reason: d.reason, willReconnect: d.willReconnect }),
    );
  }

  /** The V1 client underneath (tests and tracing). */
  get sv1(): Sv1MiningClient {
    return this.client;
  }

  get connected(): boolean {
    return this.client.open;
  }

  async connect(): Promise<JobSourceSession> {
    return this.sessionOf(await this.client.connect());
  }

  private sessionOf(info: Sv1SessionInfo): JobSourceSession {
    return {
      protocol: 'sv1',
      description: `${info.tls ? 'TLS, ' : ''}${info.description}`,
      target: info.target,
      difficulty: info.difficulty,
      versionRolling: info.versionRolling,
      channelKind: 'subscription',
      authenticated: this.client.authenticated,
    };
  }

  submitShare(share: MinedShare): number {
    return this.client.submitShare(share);
  }

  /** V1 has no hash-rate message; the pool's vardiff follows the shares. */
  updateNominalHashRate(_hashRateHs: number): void {}

  close(reason: string): void {
    this.client.close(reason);
  }

  protected override onListenerError(event: string, err: unknown): void {
    if (event === 'warning') return;
    this.emit('warning', { message: `a ${event} listener threw: ${err instanceof Error ? err.message : String(err)}` });
  }
}

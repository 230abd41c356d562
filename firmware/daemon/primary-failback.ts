/**
 * Failback while the daemon mines on a backup pool: every `intervalMs` the primary is probed in the background
 * with a full connection attempt, and only a probe that got as far as an open channel moves the daemon back.
 *
 * Closing the backup first and then finding the primary still down would cost a mining outage (connect
 * timeout, backoff, reconnecting to the backup) every interval; a probe costs the backup nothing. The next
 * probe is scheduled `intervalMs` after the previous one ended, so a primary that hangs the handshake is
 * never probed twice at once.
 */

export interface PrimaryFailbackOptions {
  intervalMs: number;
  /**
   * One connection attempt to the primary, made the way a mining session makes it; resolves once its channel
   * opened (and it is closed again), rejects with why not. Must settle promptly once `signal` aborts.
   */
  probe(signal: AbortSignal): Promise<void>;
  /** A probe succeeded: leave the backup for the primary. Called at most once; no probe follows it. */
  recovered(): void;
  /** A probe failed; the backup keeps mining and the next probe is `intervalMs` later. */
  failed(reason: string): void;
}

export class PrimaryFailback {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly cancel = new AbortController();
  private stopped = false;

  constructor(private readonly options: PrimaryFailbackOptions) {}

  /** Schedules the first probe `intervalMs` from now. */
  start(): void {
    this.schedule();
  }

  /** No more probes; one in flight is cancelled (its socket closed) before this resolves. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.cancel.abort();
    await this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.check();
    }, this.options.intervalMs);
    // The backup's socket keeps the process alive while it matters; a pending probe alone must not.
    this.timer.unref();
  }

  private async check(): Promise<void> {
    let reason: string | null = null;
    try {
      await this.options.probe(this.cancel.signal);
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
    this.inFlight = null;
    if (this.stopped) return;
    if (reason !== null) {
      this.options.failed(reason);
      this.schedule();
      return;
    }
    this.stopped = true;
    this.options.recovered();
  }
}

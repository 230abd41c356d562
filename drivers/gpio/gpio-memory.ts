import { describeLine, type GpioLine, type GpioLineRequest, physicalLevel } from './gpio-line.js';

/**
 * A GPIO line in memory: the emulated board's lines and tests. Records every level change with the time
 * from the injected clock, so a test can check ordering and pulse widths.
 */
export class MemoryGpioLine implements GpioLine {
  readonly label: string;
  private level: boolean;
  private closed = false;
  /** Every change: time (ms), asserted or not, and the physical level driven. */
  readonly history: Array<{ atMs: number; active: boolean; level: 0 | 1 }> = [];
  private readonly listeners: Array<(active: boolean) => void> = [];

  constructor(
    readonly request: GpioLineRequest,
    private readonly now: () => number = Date.now,
  ) {
    this.label = describeLine(request);
    this.level = request.initialActive;
    this.history.push({ atMs: now(), active: this.level, level: physicalLevel(this.level, request.activeLow) });
  }

  get active(): boolean {
    return this.level;
  }

  /** The physical pin level now (what a multimeter would show). */
  get physical(): 0 | 1 {
    return physicalLevel(this.level, this.request.activeLow);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async set(active: boolean): Promise<void> {
    if (this.closed) throw new Error(`${this.label}: line is closed`);
    if (active === this.level) return;
    this.level = active;
    this.history.push({ atMs: this.now(), active, level: physicalLevel(active, this.request.activeLow) });
    for (const l of this.listeners) l(active);
  }

  /** Calls `listener` on every change (the emulated board powers its chips from these); returns an unsubscribe. */
  onChange(listener: (active: boolean) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * The chips' response line as the host sees it: frames leave at the rate the chain's UART runs (10 bits per byte,
 * 8N1), so a 1 Mbaud BM1366 chain carries at most ~9,000 11-byte replies a second, and 8 chip-id replies at
 * 115,200 baud take 7.6 ms. A pty or socket would carry them instantly; this keeps the emulator's timing honest.
 * Optional line noise drops or flips bytes (seeded, so a failing test can be replayed).
 */

export interface LineNoise {
  /** Probability that a byte is lost. */
  readonly dropByteProbability?: number;
  /** Probability that a byte arrives with one bit flipped. */
  readonly garbleByteProbability?: number;
}

/** Deterministic 32-bit generator for the line noise (SplitMix32-style). */
class NoiseSource {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  }
}

const MAX_QUEUED_BYTES = 65536;

export class ChainLine {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private headOffset = 0;
  private timer: NodeJS.Timeout | null = null;
  private allowance = 0;
  private lastPump = 0;
  private noise: LineNoise = {};
  private readonly random: NoiseSource;
  baud = 115_200;
  /** Frames lost because the line's buffer was full (the chips produced faster than the baud rate carries). */
  overflowFrames = 0;
  bytesSent = 0;

  constructor(
    private sink: ((bytes: Uint8Array) => void) | null,
    seed = 1,
  ) {
    this.random = new NoiseSource(seed);
  }

  setSink(sink: ((bytes: Uint8Array) => void) | null): void {
    this.sink = sink;
    if (sink === null) this.clear();
  }

  setNoise(noise: LineNoise): void {
    this.noise = noise;
  }

  /** Queues a frame (kept by reference: pass a fresh array). */
  send(frame: Uint8Array): void {
    if (this.sink === null) return;
    if (this.queued + frame.length > MAX_QUEUED_BYTES) {
      this.overflowFrames++;
      return;
    }
    if (this.queued === 0 && this.timer === null) {
      this.lastPump = performance.now();
      this.allowance = 0;
    }
    this.queue.push(frame);
    this.queued += frame.length;
    this.arm(1);
  }

  /** Bytes waiting to be sent. */
  get pendingBytes(): number {
    return this.queued;
  }

  clear(): void {
    this.queue = [];
    this.queued = 0;
    this.headOffset = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(ms: number): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => this.pump(), ms);
  }

  private pump(): void {
    this.timer = null;
    const sink = this.sink;
    if (sink === null || this.queued === 0) return;
    const now = performance.now();
    const bytesPerMs = this.baud / 10 / 1000;
    // Never bank more than 10 ms of line time, so an idle line does not release a burst.
    this.allowance = Math.min(this.allowance + (now - this.lastPump) * bytesPerMs, Math.max(16, bytesPerMs * 10));
    this.lastPump = now;
    const n = Math.min(this.queued, Math.floor(this.allowance));
    if (n > 0) {
      const out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const head = this.queue[0];
        const take = Math.min(head.length - this.headOffset, n - filled);
        out.set(head.subarray(this.headOffset, this.headOffset + take), filled);
        filled += take;
        this.headOffset += take;
        if (this.headOffset === head.length) {
          this.queue.shift();
          this.headOffset = 0;
        }
      }
      this.queued -= n;
      this.allowance -= n;
      this.bytesSent += n;
      const noisy = this.applyNoise(out);
      if (noisy.length > 0) sink(noisy);
    }
    if (this.queued > 0) this.arm(Math.max(1, Math.ceil((1 - this.allowance) / bytesPerMs)));
  }

  private applyNoise(bytes: Uint8Array): Uint8Array {
    const drop = this.noise.dropByteProbability ?? 0;
    const garble = this.noise.garbleByteProbability ?? 0;
    if (drop <= 0 && garble <= 0) return bytes;
    let w = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (drop > 0 && this.random.next() < drop) continue;
      let b = bytes[i];
      if (garble > 0 && this.random.next() < garble) b ^= 1 << Math.floor(this.random.next() * 8);
      bytes[w++] = b;
    }
    return bytes.subarray(0, w);
  }
}

/**
 * Cuts a Stratum V1 byte stream into lines. V1 is one JSON object per `\n`-terminated line with no length prefix,
 * so the reader is the only thing between a pool and unbounded memory: a peer that never sends `\n` would make a
 * naive reader buffer forever (ESP-Miner's grows without limit).
 *
 * - A read may hold several lines or part of one; lines are delivered as they complete, in order.
 * - Lines that complete inside one chunk are handed out as views into that chunk (no copy); only the unfinished
 *   tail is copied into the reader's own buffer, which grows up to `maxLineBytes`.
 * - A trailing `\r` is dropped (some servers end lines with `\r\n`); empty lines are skipped and counted.
 * - A line longer than `maxLineBytes` is not buffered: `onOverflow` is told once with the length seen, and the
 *   reader discards bytes up to the next `\n`, then carries on. Whether the connection survives is the caller's
 *   decision (the client drops it: a pool sending megabyte lines is broken; see Sv1Connection).
 *
 * `onLine(bytes, start, end)` receives a view valid only during the call; decode or copy it there.
 */
export const DEFAULT_MAX_LINE_BYTES = 256 * 1024;

export class LineReader {
  private buf: Uint8Array;
  private held = 0;
  /** True while the rest of an over-long line is being thrown away. */
  private discarding = false;
  private discarded = 0;
  /** Lines delivered. */
  lines = 0;
  /** Empty lines skipped. */
  emptyLines = 0;
  /** Lines thrown away for their length. */
  oversized = 0;
  /** Bytes taken in. */
  bytes = 0;

  constructor(
    private readonly onLine: (bytes: Uint8Array, start: number, end: number) => void,
    private readonly onOverflow: (lengthSeen: number) => void,
    readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.buf = new Uint8Array(Math.min(4096, maxLineBytes));
  }

  /** Bytes held of a line not yet complete. */
  get buffered(): number {
    return this.held;
  }

  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      const nl = chunk.indexOf(0x0a, off);
      const stop = nl < 0 ? chunk.length : nl;
      if (this.discarding) {
        this.discarded += stop - off;
        if (nl < 0) return;
        this.discarding = false;
        this.discarded = 0;
        off = nl + 1;
        continue;
      }
      if (this.held === 0 && nl >= 0) {
        // The common case: a whole line inside this chunk, delivered in place.
        if (stop - off > this.maxLineBytes) {
          this.overflow(stop - off);
        } else {
          this.deliver(chunk, off, stop);
        }
        off = nl + 1;
        continue;
      }
      // Part of a line: append it to what is held.
      const n = stop - off;
      if (this.held + n > this.maxLineBytes) {
        this.overflow(this.held + n);
        this.held = 0;
        if (nl < 0) {
          this.discarding = true;
          this.discarded = n;
          return;
        }
        off = nl + 1;
        continue;
      }
      this.reserve(this.held + n);
      this.buf.set(chunk.subarray(off, stop), this.held);
      this.held += n;
      if (nl < 0) return;
      const length = this.held;
      this.held = 0;
      this.deliver(this.buf, 0, length);
      off = nl + 1;
    }
  }

  /** Forgets a partial line (the connection was reset). */
  reset(): void {
    this.held = 0;
    this.discarding = false;
    this.discarded = 0;
  }

  private deliver(bytes: Uint8Array, start: number, end: number): void {
    let e = end;
    if (e > start && bytes[e - 1] === 0x0d) e--;
    if (e === start) {
      this.emptyLines++;
      return;
    }
    this.lines++;
    this.onLine(bytes, start, e);
  }

  private overflow(lengthSeen: number): void {
    this.oversized++;
    this.onOverflow(lengthSeen);
  }

  private reserve(size: number): void {
    if (size <= this.buf.length) return;
    let next = this.buf.length * 2;
    while (next < size) next *= 2;
    const grown = new Uint8Array(Math.min(next, this.maxLineBytes));
    grown.set(this.buf.subarray(0, this.held));
    this.buf = grown;
  }
}

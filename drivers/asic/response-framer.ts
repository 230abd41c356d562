import { responseValid } from './response.js';

/**
 * Cuts the chips' byte stream into response frames and stays in sync when bytes are lost or garbled.
 *
 * Responses have no length byte, so a fixed-length reader that misses one byte would stay misaligned forever.
 * This framer scans for the `AA 55` preamble, waits for a frame's worth of bytes, and accepts the candidate only
 * if its type is 0 or 4 and its CRC5 residue is 0; otherwise it drops one byte and scans again.
 *
 * CRC5 is weak (1 in 32 random candidates pass; 1 in 128 with the type check), and a frame that lost a byte
 * swallows the start of the next one: the damaged frame plus the next frame's first bytes can pass by chance and
 * eat a good frame. So when a passing candidate contains another `AA 55` far enough inside that a whole frame
 * could start there, the framer waits for that frame's bytes and, if it too passes, prefers it — unless this
 * candidate is followed by a preamble and the inner one is not, which is what a real frame with an unlucky
 * `AA 55` inside looks like. While it waits, `pending` is true; `flush()` (the caller's idle timer) accepts the
 * candidate without the look-ahead.
 *
 * `onFrame(buffer, offset)` receives a view into the framer's own buffer, valid only during the call.
 */
export class ResponseFramer {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;
  private size: number;
  private flushing = false;
  /** Candidates with a preamble whose type or CRC was wrong. */
  crcErrors = 0;
  /** Bytes skipped while hunting for a frame (garbage, damaged frames). */
  droppedBytes = 0;
  /** Frames delivered. */
  frames = 0;

  constructor(
    frameBytes: number,
    private readonly onFrame: (buffer: Uint8Array, offset: number, size: number) => void,
    capacity = 16384,
  ) {
    this.size = frameBytes;
    this.buf = new Uint8Array(capacity);
  }

  /** Frame size in bytes (9 or 11); changing it discards nothing. */
  get frameBytes(): number {
    return this.size;
  }

  set frameBytes(n: number) {
    this.size = n;
  }

  /** True when a candidate frame waits for look-ahead bytes (see class comment). */
  get pending(): boolean {
    return this.end - this.start >= this.size;
  }

  /** Bytes held that are not yet a frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.end === this.buf.length) {
        if (this.start > 0) {
          this.buf.copyWithin(0, this.start, this.end);
          this.end -= this.start;
          this.start = 0;
        } else {
          // A full buffer with no frame in it: only garbage can do that. Keep the tail that may start a frame.
          const keep = this.size * 2;
          this.droppedBytes += this.end - keep;
          this.buf.copyWithin(0, this.end - keep, this.end);
          this.end = keep;
        }
      }
      const n = Math.min(chunk.length - off, this.buf.length - this.end);
      this.buf.set(n === chunk.length && off === 0 ? chunk : chunk.subarray(off, off + n), this.end);
      this.end += n;
      off += n;
      this.scan();
    }
  }

  /** Accepts a candidate that waits for look-ahead, as if the stream had ended here. */
  flush(): void {
    this.flushing = true;
    try {
      this.scan();
    } finally {
      this.flushing = false;
    }
  }

  /** Forgets buffered bytes (after a baud change, whose first bytes are noise). */
  reset(): void {
    this.start = 0;
    this.end = 0;
  }

  private preambleAt(i: number): boolean {
    return i + 1 < this.end && this.buf[i] === 0xaa && this.buf[i + 1] === 0x55;
  }

  private scan(): void {
    const buf = this.buf;
    const n = this.size;
    let p = this.start;
    const end = this.end;
    while (end - p >= 2) {
      if (buf[p] !== 0xaa || buf[p + 1] !== 0x55) {
        p++;
        this.droppedBytes++;
        continue;
      }
      if (end - p < n) break;
      if (!responseValid(buf, p, n)) {
        this.crcErrors++;
        this.droppedBytes++;
        p++;
        continue;
      }
      // Look-ahead: a frame that starts inside this candidate and also passes wins (see class comment).
      let waitFor = -1;
      let later = -1;
      for (let q = p + 2; q <= p + n - 2; q++) {
        if (buf[q] !== 0xaa || buf[q + 1] !== 0x55) continue;
        if (end - q < n) {
          waitFor = q;
          break;
        }
        if (responseValid(buf, q, n)) {
          later = q;
          break;
        }
      }
      if (later >= 0) {
        // Both pass. A real frame is normally followed by the next frame's preamble; the swallowing candidate
        // ends inside the later frame, where a preamble is unlikely. Keep this one only when that says so.
        if (!(this.preambleAt(p + n) && !this.preambleAt(later + n))) {
          this.droppedBytes += later - p;
          p = later;
          continue;
        }
      }
      if (waitFor >= 0 && !this.flushing) break;
      this.frames++;
      this.onFrame(buf, p, n);
      p += n;
    }
    this.start = p;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }
}

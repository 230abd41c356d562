import { FULL_JOB_BYTES, fullHeaderJobValid } from '../asic/bm1366-job.js';
import { midstateJobBytesFromLength, midstateJobValid } from '../asic/bm1397-job.js';
import type { ChipModel } from '../asic/chip-model.js';
import { commandFrameBytes, commandFrameValid, HEADER } from '../asic/command.js';

/**
 * The chip side of the command line: finds `55 AA` frames in the host's byte stream, checks their CRC5 / CRC16 and
 * hands good ones on. A frame with a bad CRC is ignored, as a chip ignores it, and the scan resumes one byte later.
 * Full-header jobs are 88 bytes whatever their length byte says (chips accept 0x36, 0x56, 0xFF); BM1397 jobs are as
 * long as their length byte says.
 */
export class ChainCommandFramer {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  /** Frames ignored for a bad CRC or an impossible header/length. */
  badFrames = 0;

  constructor(
    private readonly model: ChipModel,
    private readonly onFrame: (buffer: Uint8Array, offset: number, size: number, isJob: boolean) => void,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      if (this.end + chunk.length > this.buf.length) {
        const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.end + chunk.length));
        bigger.set(this.buf.subarray(0, this.end));
        this.buf = bigger;
      }
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
    this.scan();
  }

  reset(): void {
    this.start = 0;
    this.end = 0;
  }

  private frameSize(p: number): number {
    const header = this.buf[p + 2];
    if (header !== HEADER.JOB) return commandFrameBytes(header);
    return this.model.jobFormat === 'full-header' ? FULL_JOB_BYTES : midstateJobBytesFromLength(this.buf[p + 3]);
  }

  private valid(p: number, size: number, isJob: boolean): boolean {
    if (!isJob) return commandFrameValid(this.buf, p, size);
    return this.model.jobFormat === 'full-header'
      ? fullHeaderJobValid(this.buf, p)
      : midstateJobValid(this.buf, p, size);
  }

  private scan(): void {
    const buf = this.buf;
    let p = this.start;
    while (this.end - p >= 4) {
      if (buf[p] !== 0x55 || buf[p + 1] !== 0xaa) {
        p++;
        continue;
      }
      const size = this.frameSize(p);
      if (size === 0) {
        this.badFrames++;
        p++;
        continue;
      }
      if (this.end - p < size) break;
      const isJob = buf[p + 2] === HEADER.JOB;
      if (!this.valid(p, size, isJob)) {
        this.badFrames++;
        p++;
        continue;
      }
      this.onFrame(buf, p, size, isJob);
      p += size;
    }
    this.start = p;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }
}

/**
 * The daemon's recent log lines, kept in memory for the API: `/api/ws` streams new ones to the AxeOS logs page
 * and the dashboard, `/api/system/logs` downloads the ring. Bounded by line count and by bytes, so a log storm
 * cannot grow memory.
 */
import type { BoardLog } from '../board/board-control.js';

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogLine {
  /** Milliseconds since the daemon started (ESP-IDF prints the same in its log prefix). */
  ms: number;
  /** Wall clock, for the download. */
  at: number;
  level: LogLevel;
  text: string;
}

export class LogRing {
  private readonly lines: LogLine[] = [];
  private bytes = 0;
  private readonly listeners = new Set<(line: LogLine) => void>();
  private readonly startedAtMs = performance.now();

  constructor(
    private readonly maxLines = 500,
    private readonly maxBytes = 256 * 1024,
  ) {}

  /** A log that writes to `inner` and remembers every line here. */
  tee(inner: BoardLog): BoardLog {
    return {
      info: (m) => {
        inner.info(m);
        this.add('info', m);
      },
      warn: (m) => {
        inner.warn(m);
        this.add('warn', m);
      },
      error: (m) => {
        inner.error(m);
        this.add('error', m);
      },
    };
  }

  add(level: LogLevel, text: string): void {
    const line: LogLine = {
      ms: Math.round(performance.now() - this.startedAtMs),
      at: Date.now(),
      level,
      text: text.length > 2000 ? `${text.slice(0, 2000)}…` : text,
    };
    this.lines.push(line);
    this.bytes += line.text.length;
    while (this.lines.length > this.maxLines || this.bytes > this.maxBytes) {
      const old = this.lines.shift();
      if (old === undefined) break;
      this.bytes -= old.text.length;
    }
    for (const l of this.listeners) l(line);
  }

  recent(): readonly LogLine[] {
    return this.lines;
  }

  subscribe(listener: (line: LogLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const COLOUR: Record<LogLevel, string> = { info: '32', warn: '33', error: '31' };
const LETTER: Record<LogLevel, string> = { info: 'I', warn: 'W', error: 'E' };

/**
 * One line in the ESP-IDF shape the AxeOS logs page parses (`ESC[0;32mI (1234) hashaxe: text ESC[0m` and a
 * newline): it colours by the escape code and joins frames until a newline.
 */
export function espIdfLogLine(line: LogLine, tag = 'hashaxe'): string {
  return `\x1b[0;${COLOUR[line.level]}m${LETTER[line.level]} (${line.ms}) ${tag}: ${line.text}\x1b[0m\n`;
}

/** One line of the plain-text download. */
export function plainLogLine(line: LogLine): string {
  return `${new Date(line.at).toISOString()} ${LETTER[line.level]} ${line.text}\n`;
}

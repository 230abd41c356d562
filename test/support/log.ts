import type { BoardLog } from '../../firmware/board/board-control.js';

/** A daemon log that keeps its lines ("warning: …", "error: …") for a test to read. */
export function collectingLog(): { log: BoardLog; logs: string[] } {
  const logs: string[] = [];
  return {
    logs,
    log: {
      info: (m) => logs.push(m),
      warn: (m) => logs.push(`warning: ${m}`),
      error: (m) => logs.push(`error: ${m}`),
    },
  };
}

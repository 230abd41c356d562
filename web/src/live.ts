/**
 * Live data from the daemon: `/api/ws/live` pushes the info object (whole, then changed keys), `/api/ws` the log.
 * When the live socket is down the info is polled every 3 s, as the AxeOS UI does; sockets reconnect after 2 s.
 */
import { api } from './api.js';

export type Info = Record<string, unknown> & {
  hashaxe?: Record<string, unknown>;
};

function socketUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

export function watchInfo(onInfo: (info: Info) => void, onError: (message: string | null) => void): () => void {
  let info: Info = {};
  let ws: WebSocket | null = null;
  let poll: number | null = null;
  let stopped = false;
  let lastFrame = 0;

  const fetchOnce = (): void => {
    api<Info>('GET', '/api/system/info')
      .then((i) => {
        info = i;
        onInfo(info);
        onError(null);
      })
      .catch((e: Error) => onError(e.message));
  };
  const startPolling = (): void => {
    if (poll === null) poll = window.setInterval(fetchOnce, 3000);
  };
  const stopPolling = (): void => {
    if (poll !== null) window.clearInterval(poll);
    poll = null;
  };
  const open = (): void => {
    if (stopped) return;
    ws = new WebSocket(socketUrl('/api/ws/live'));
    ws.onmessage = (e) => {
      lastFrame = Date.now();
      try {
        const frame = JSON.parse(String(e.data)) as { event?: string; data?: Info };
        if (frame.event !== 'update' || frame.data === undefined) return;
        info = { ...info, ...frame.data };
        stopPolling();
        onInfo(info);
        onError(null);
      } catch {
        // A frame that is not JSON is not ours to show.
      }
    };
    ws.onclose = () => {
      ws = null;
      startPolling();
      if (!stopped) window.setTimeout(open, 2000);
    };
  };
  fetchOnce();
  open();
  // A socket that went quiet (a suspended laptop) is replaced.
  const watchdog = window.setInterval(() => {
    if (ws !== null && lastFrame > 0 && Date.now() - lastFrame > 5000) ws.close();
  }, 1000);
  return () => {
    stopped = true;
    stopPolling();
    window.clearInterval(watchdog);
    ws?.close();
  };
}

export interface LogEntry {
  level: string;
  text: string;
}

// The ESP-IDF line shape the daemon sends: ESC[0;3Xm L (ms) tag: text ESC[0m
const ESC = String.fromCharCode(27);
const LINE = new RegExp(`^${ESC}\\[0;3\\dm([IWE]) \\((\\d+)\\) ([^:]+): (.*?)${ESC}\\[0m$`, 's');

export function watchLogs(onLine: (line: LogEntry) => void): () => void {
  let ws: WebSocket | null = null;
  let stopped = false;
  let pending = '';
  const open = (): void => {
    if (stopped) return;
    ws = new WebSocket(socketUrl('/api/ws'));
    ws.onmessage = (e) => {
      pending += String(e.data);
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const raw = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const m = LINE.exec(raw);
        onLine(m === null ? { level: 'I', text: raw } : { level: m[1], text: m[4] });
        nl = pending.indexOf('\n');
      }
    };
    ws.onclose = () => {
      ws = null;
      if (!stopped) window.setTimeout(open, 2000);
    };
  };
  open();
  return () => {
    stopped = true;
    ws?.close();
  };
}

/**
 * What a Raspberry Pi can honestly say for the AxeOS fields an ESP32 fills from its own chip: the network
 * interface that carries the default route (Ethernet or Wi-Fi, its addresses and MAC), the Wi-Fi signal from
 * the kernel, CPU use over the last sampling window and available memory. Read from /proc and node:os; every
 * reading degrades to AxeOS's "unknown" value rather than failing.
 */
import { readFileSync } from 'node:fs';
import { cpus, type NetworkInterfaceInfo, networkInterfaces, uptime as osUptime } from 'node:os';

export interface NetworkSummary {
  /** The interface with the default route (or the first external one), e.g. "eth0", "wlan0"; "" when none. */
  interface: string;
  wireless: boolean;
  ipv4: string;
  ipv6: string;
  /** Upper case, AA:BB:CC:DD:EE:FF; "" when unknown. */
  macAddr: string;
  /** dBm from /proc/net/wireless; null on Ethernet or when the kernel does not say. */
  rssiDbm: number | null;
}

export interface HostReadings {
  network: NetworkSummary;
  /** Whole-system busy share over the last window, 0–100. */
  cpuPercent: number;
  /** MemAvailable in bytes (os.freemem when /proc/meminfo is missing). */
  memAvailableBytes: number;
  /** The lowest MemAvailable seen since start. */
  memAvailableMinBytes: number;
  /** Seconds the machine has been up. */
  hostUptimeSeconds: number;
}

/** The default route's interface from /proc/net/route (destination 00000000), or null. */
export function defaultRouteInterface(routeTable: string | null): string | null {
  if (routeTable === null) return null;
  for (const line of routeTable.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 2 && f[1] === '00000000') return f[0];
  }
  return null;
}

/** Signal level (dBm) per interface from /proc/net/wireless. */
export function wirelessLevels(text: string | null): Map<string, number> {
  const out = new Map<string, number>();
  if (text === null) return out;
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s+\S+\s+(-?[\d.]+)\.?\s+(-?[\d.]+)\.?/.exec(line);
    if (m === null) continue;
    const level = Number(m[3]);
    if (Number.isFinite(level)) out.set(m[1], level > 0 ? level - 256 : level);
  }
  return out;
}

export function summariseNetwork(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>,
  routeIf: string | null,
  levels: Map<string, number>,
): NetworkSummary {
  const external = Object.keys(interfaces)
    .filter((n) => (interfaces[n] ?? []).some((i) => !i.internal))
    .sort();
  const name = routeIf !== null && interfaces[routeIf] !== undefined ? routeIf : (external[0] ?? '');
  const list = interfaces[name] ?? [];
  const v4 = list.find((i) => i.family === 'IPv4' && !i.internal);
  const v6 =
    list.find((i) => i.family === 'IPv6' && !i.internal && i.scopeid === 0) ??
    list.find((i) => i.family === 'IPv6' && !i.internal);
  const mac = list.find((i) => i.mac !== '00:00:00:00:00:00')?.mac ?? '';
  const wireless = levels.has(name) || /^(wlan|wlp|wl)/.test(name);
  return {
    interface: name,
    wireless,
    ipv4: v4?.address ?? '',
    ipv6: v6?.address ?? '',
    macAddr: mac.toUpperCase(),
    rssiDbm: levels.get(name) ?? null,
  };
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** MemAvailable (bytes) from /proc/meminfo text, or null. */
export function memAvailable(text: string | null): number | null {
  const m = text === null ? null : /^MemAvailable:\s+(\d+)\s+kB/m.exec(text);
  return m === null ? null : Number(m[1]) * 1024;
}

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const c of cpus()) {
    const t = c.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/**
 * Samples the host every `windowMs` (CPU use is a difference of counters, so it needs two samples); readings
 * between samples are the last window's. Started by the API server, stopped with it.
 */
export class HostMonitor {
  private last = cpuTimes();
  private cpu = 0;
  private minMem = Number.POSITIVE_INFINITY;
  private net: NetworkSummary;
  private netReadAtMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(windowMs = 5000) {
    this.net = this.readNetwork();
    this.timer = setInterval(() => this.sample(), windowMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = cpuTimes();
    const dt = now.total - this.last.total;
    this.cpu = dt > 0 ? Math.min(100, Math.max(0, ((now.busy - this.last.busy) / dt) * 100)) : this.cpu;
    this.last = now;
  }

  private readNetwork(): NetworkSummary {
    return summariseNetwork(
      networkInterfaces(),
      defaultRouteInterface(readOptional('/proc/net/route')),
      wirelessLevels(readOptional('/proc/net/wireless')),
    );
  }

  readings(): HostReadings {
    // Interfaces change rarely (DHCP, a cable): re-read at most every 10 s.
    if (Date.now() - this.netReadAtMs > 10_000) {
      this.net = this.readNetwork();
      this.netReadAtMs = Date.now();
    }
    const mem = memAvailable(readOptional('/proc/meminfo')) ?? 0;
    if (mem > 0) this.minMem = Math.min(this.minMem, mem);
    return {
      network: this.net,
      cpuPercent: Math.round(this.cpu * 10) / 10,
      memAvailableBytes: mem,
      memAvailableMinBytes: Number.isFinite(this.minMem) ? this.minMem : mem,
      hostUptimeSeconds: Math.floor(osUptime()),
    };
  }
}

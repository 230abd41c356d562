/**
 * The miner's live status: on a terminal one line rewritten in place every second; elsewhere (systemd, a
 * pipe) a plain log line every `intervalSec`. Log messages clear the live line first so they never mix.
 */

import { formatDifficulty, formatHashrate } from '../../src/util/units.js';
import type { CliIo } from '../cli/command.js';
import type { Miner, MinerSummary } from './miner.js';

export class StatusReporter {
  private timer: NodeJS.Timeout | null = null;
  private live = false;

  constructor(
    private readonly io: CliIo,
    private readonly intervalSec: number,
  ) {}

  start(miner: Miner): void {
    const everyMs = this.io.isTty ? 1000 : this.intervalSec * 1000;
    this.timer = setInterval(() => this.print(miner), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  /** Removes the live line (before a log message or at exit). */
  clear(): void {
    if (this.live) this.io.stdout('\r\x1b[K');
    this.live = false;
  }

  private print(miner: Miner): void {
    const line = StatusReporter.formatLine(miner);
    if (this.io.isTty) {
      this.io.stdout(`\r\x1b[K${line}`);
      this.live = true;
    } else {
      this.io.stdout(`${line}\n`);
    }
  }

  static formatLine(miner: Miner): string {
    const s = miner.snapshot();
    const m = miner.miningStatus();
    const t = miner.telemetry();
    const parts: string[] = [];
    if (s === null) return 'starting…';
    parts.push(`${formatHashrate(s.hashrateGhs.m1 * 1e9)} (pool ${formatHashrate(s.poolHashrateGhs.m1 * 1e9)})`);
    const rejects = Object.entries(s.rejectReasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    parts.push(`shares ${s.sharesAccepted}/${s.sharesRejected}${rejects ? ` (${rejects})` : ''}`);
    parts.push(`best ${formatDifficulty(s.bestDifficulty)}`);
    parts.push(`hw ${s.hwErrors}`);
    const uart = m.uart;
    if (uart !== undefined && (uart.crcErrors > 0 || uart.droppedBytes > 0)) {
      parts.push(`uart ${uart.crcErrors} crc err (${uart.crcErrorPercent.toFixed(1)} %/${uart.windowSec}s)`);
    }
    if (t !== null) {
      const temp = t.asicTempC === null ? '--' : `${t.asicTempC.toFixed(1)}°C`;
      parts.push(
        `${temp} fan ${Math.round(t.fanPercent)}% ${t.powerW === null ? '' : `${t.powerW.toFixed(1)} W`}`.trim(),
      );
      if (t.overheat !== null) parts.push(`OVERHEAT: ${t.overheat.reason}`);
    }
    const solo = m.templates;
    if (solo !== undefined && solo.source !== 'pool') {
      const h = solo.template?.height;
      parts.push(
        `solo ${solo.source === 'node' ? 'node' : 'TP'}${h !== undefined ? ` h${h}` : ''} → ${shortAddress(solo.payout ?? '')}, ` +
          `blocks ${m.blocks?.accepted ?? 0}/${m.blocks?.found ?? 0}`,
      );
    }
    const channel = m.pool?.protocol === 'SV2' && m.pool.channelKind ? [m.pool.channelKind] : [];
    const notes = [...channel, ...(m.usingFallback ? ['backup pool'] : [])];
    if (m.identifying) parts.push('IDENTIFY: fan pulsing');
    parts.push(
      m.pausedByUser
        ? 'PAUSED (resume: dashboard or POST /api/system/resume)'
        : m.miningPaused
          ? 'paused'
          : `diff ${formatDifficulty(m.poolDifficulty ?? 0)}${m.pool !== null ? ` ${m.pool.protocol}` : ''}` +
            (notes.length > 0 ? ` (${notes.join(', ')})` : ''),
    );
    parts.push(`up ${formatUptime(m.uptimeSeconds)}`);
    return parts.join(' | ');
  }

  static formatSummary(s: MinerSummary): string {
    const reasons = Object.entries(s.rejectReasons)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const emulated =
      s.emulatedHashrateGhs === null ? '' : ` (emulator configured for ${formatHashrate(s.emulatedHashrateGhs * 1e9)})`;
    const solo =
      s.templates === 'pool'
        ? ''
        : `; solo on the owner's ${s.templates === 'node' ? 'node' : 'template provider'}: ${s.blocksFound} blocks found, ` +
          `${s.blocksAccepted} accepted, ${s.blocksRejected} not, paying ${s.payout}`;
    return (
      `summary: ${s.accepted} shares accepted, ${s.rejected} rejected${reasons ? ` (${reasons})` : ''}, ` +
      `${s.hwErrors} hardware errors; hash rate ${formatHashrate(s.hashrateGhs * 1e9)}${emulated}, ` +
      `pool-side ${formatHashrate(s.poolHashrateGhs * 1e9)}; best difficulty ${formatDifficulty(s.bestDifficulty)}; ` +
      `${s.jobs} jobs, ${s.prevHashChanges} new blocks in ${formatUptime(s.uptimeSeconds)}${solo}`
    );
  }
}

/** bc1qw508…kygt080: enough of an address to recognise it on a status line. */
function shortAddress(a: string): string {
  return a.length > 20 ? `${a.slice(0, 10)}…${a.slice(-6)}` : a;
}

function formatUptime(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

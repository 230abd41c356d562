/**
 * Is this machine's clock synchronised yet? A Raspberry Pi has no real-time clock: it boots at the time it saved
 * at shutdown (fake-hwclock) or at 1970, and only NTP makes it right. The SV2 client asks when a pool's
 * certificate looks outside its validity window, to tell "our clock is wrong" from "the certificate is".
 *
 * Read the way systemd does, cheapest first:
 *  1. `/run/systemd/timesync/synchronized` exists: systemd-timesyncd has synchronised since boot → true.
 *  2. `timedatectl show -p NTPSynchronized --value`: the kernel's own flag (adjtimex STA_UNSYNC cleared by any
 *     NTP daemon: timesyncd, chrony, ntpd) → "yes" true, "no" false.
 *  3. Neither answers (no systemd, a container) → null: unknown, and a certificate outside its window is
 *     treated as the pool's problem, as before.
 * Only consulted when a certificate fails its time check, so the (bounded) child process costs nothing
 * in normal running.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const TIMESYNCD_FLAG = '/run/systemd/timesync/synchronized';

export interface ClockSyncSources {
  /** Path of timesyncd's flag file. */
  flagPath?: string;
  /** `timedatectl show -p NTPSynchronized --value` output, or null when it cannot run. */
  timedatectl?: () => string | null;
}

function runTimedatectl(): string | null {
  try {
    return execFileSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
      encoding: 'utf8',
      timeout: 1000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
}

/** Whether the system clock is synchronised: true, false, or null when the system cannot say. */
export function systemClockSynchronised(sources: ClockSyncSources = {}): boolean | null {
  if (existsSync(sources.flagPath ?? TIMESYNCD_FLAG)) return true;
  const answer = (sources.timedatectl ?? runTimedatectl)()?.trim().toLowerCase();
  if (answer === 'yes') return true;
  if (answer === 'no') return false;
  return null;
}

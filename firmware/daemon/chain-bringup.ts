/**
 * Bringing a chain up after the board has powered it and released reset: back to the power-on baud on the host
 * side (after a reset the chips listen at it again), enumerate, the model's init sequence with its frequency
 * ramp, then the switch to the fast baud. The board control runs this after every power-on.
 *
 * Enumeration is the one step that reads from the chips, and a reply lost to line noise (or a chip-id reply a
 * garbled byte turned into another model's) fails it. It is retried a bounded number of times with a growing
 * pause, each time from the power-on baud with the input flushed; only then does bring-up give up. A board
 * with a chip really missing or of another model fails every attempt and is reported as before, a few
 * seconds later. Nothing is retried after the baud switch, which the chips have already taken.
 */
import type { Bm13xxChain } from '../../drivers/asic/bm13xx-chain.js';
import { ChipCountError, ChipIdError, ReadTimeoutError } from '../../drivers/asic/errors.js';
import type { Transport } from '../../drivers/transport/transport.js';

export interface BringUpResult {
  chipCount: number;
  frequencyMhz: number;
  baud: number;
  tookMs: number;
  /** Enumeration attempts it took (1 = first time). */
  attempts: number;
}

export interface BringUpRetry {
  /** Enumeration attempts in all (≥ 1). */
  attempts: number;
  /** Pause before the first retry; each later pause doubles, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_BRING_UP_RETRY: BringUpRetry = { attempts: 4, backoffMs: 200, maxBackoffMs: 2000 };

export interface BringUpOptions {
  initialBaud: number;
  frequencyMhz: number;
  retry?: Partial<BringUpRetry>;
  /** Where retries are reported. */
  log?: { warn(message: string): void };
  sleep?: (ms: number) => Promise<void>;
}

/** Failures a retry can cure: a reply lost or garbled on the line. */
function retryable(err: unknown): boolean {
  return err instanceof ChipCountError || err instanceof ChipIdError || err instanceof ReadTimeoutError;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function bringUpChain(
  chain: Bm13xxChain,
  transport: Transport,
  options: BringUpOptions,
): Promise<BringUpResult> {
  const started = Date.now();
  const retry = { ...DEFAULT_BRING_UP_RETRY, ...options.retry };
  const attempts = Math.max(1, Math.floor(retry.attempts));
  const sleep = options.sleep ?? defaultSleep;
  chain.invalidateJobs();
  let chipCount = 0;
  let attempt = 1;
  for (let pause = retry.backoffMs; ; attempt++, pause = Math.min(retry.maxBackoffMs, pause * 2)) {
    if (transport.canSetBaud && transport.baudRate !== options.initialBaud) {
      await transport.setBaudRate(options.initialBaud);
    }
    await transport.flushInput();
    try {
      chipCount = (await chain.enumerate()).chipCount;
      break;
    } catch (err) {
      if (!retryable(err) || attempt >= attempts) throw err;
      options.log?.warn(
        `chain enumeration failed (${(err as Error).message}); retry ${attempt} of ${attempts - 1} in ${pause} ms`,
      );
      await sleep(pause);
    }
  }
  await chain.init(options.frequencyMhz);
  const baud = await chain.switchBaud();
  return { chipCount, frequencyMhz: chain.frequencyMhz, baud, tookMs: Date.now() - started, attempts: attempt };
}

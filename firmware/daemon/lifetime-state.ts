import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * What a miner keeps across restarts (`--state FILE`): the best share difficulty it ever found, which AxeOS
 * reports as `bestDiff` next to the session's `bestSessionDiff`. A file the daemon cannot read is a warning and
 * a fresh start, never a reason not to mine; it is written to a temporary name and renamed, so a power cut
 * leaves either the old file or the new one.
 */
export interface LifetimeState {
  bestDifficulty: number;
}

export const EMPTY_LIFETIME_STATE: LifetimeState = { bestDifficulty: 0 };

export async function readLifetimeState(path: string): Promise<{ state: LifetimeState; warning: string | null }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: { ...EMPTY_LIFETIME_STATE }, warning: null };
    return {
      state: { ...EMPTY_LIFETIME_STATE },
      warning: `state file ${path} cannot be read (${code ?? err}); starting afresh`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { state: { ...EMPTY_LIFETIME_STATE }, warning: `state file ${path} is not JSON; starting afresh` };
  }
  const best = (json as { bestDifficulty?: unknown } | null)?.bestDifficulty;
  if (typeof best !== 'number' || !Number.isFinite(best) || best < 0) {
    return {
      state: { ...EMPTY_LIFETIME_STATE },
      warning: `state file ${path}: bestDifficulty must be a number ≥ 0, got ${JSON.stringify(best)}; starting afresh`,
    };
  }
  return { state: { bestDifficulty: best }, warning: null };
}

export async function writeLifetimeState(path: string, state: LifetimeState, nowMs = Date.now()): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const body = { version: 1, bestDifficulty: state.bestDifficulty, updatedAt: new Date(nowMs).toISOString() };
  await writeFile(tmp, `${JSON.stringify(body)}\n`);
  await rename(tmp, path);
}

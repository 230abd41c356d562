import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * What a miner keeps across restarts (`--state FILE`): the best share difficulty it ever found, which AxeOS
 * reports as `bestDiff` next to the session's `bestSessionDiff`, and the blocks it found solo with the node's
 * answers. A file the daemon cannot read is a warning and
 * a fresh start, never a reason not to mine; it is written to a temporary name and renamed, so a power cut
 * leaves either the old file or the new one.
 */
export interface LifetimeState {
  bestDifficulty: number;
  /** Blocks found mining solo, newest last (at most MAX_STORED_BLOCKS), with what the node answered. */
  blocks?: StoredBlock[];
}

/** A block found, as the state file keeps it. */
export interface StoredBlock {
  height: number;
  /** Display order. */
  hash: string;
  /** ISO time it was sent. */
  at: string;
  /** accepted, rejected, duplicate, inconclusive, unconfirmed, error, or pending (no answer before a restart). */
  answer: string;
  reason: string | null;
  /** Where it went (node or TP address, no credentials). */
  via: string;
  payoutAddress: string;
  /** Satoshis, as a decimal string (above 2^53 in theory). */
  payoutSats: string;
}

export const MAX_STORED_BLOCKS = 100;

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
  const rawBlocks = (json as { blocks?: unknown }).blocks;
  if (rawBlocks === undefined) return { state: { bestDifficulty: best }, warning: null };
  const blocks = Array.isArray(rawBlocks) ? rawBlocks.filter(isStoredBlock).slice(-MAX_STORED_BLOCKS) : [];
  const kept = Array.isArray(rawBlocks) && blocks.length === Math.min(rawBlocks.length, MAX_STORED_BLOCKS);
  return {
    state: { bestDifficulty: best, blocks },
    warning: kept ? null : `state file ${path}: some entries of blocks are not valid and were left out`,
  };
}

function isStoredBlock(b: unknown): b is StoredBlock {
  if (typeof b !== 'object' || b === null) return false;
  const o = b as Record<string, unknown>;
  return (
    Number.isInteger(o.height) &&
    typeof o.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(o.hash) &&
    typeof o.at === 'string' &&
    typeof o.answer === 'string' &&
    (o.reason === null || typeof o.reason === 'string') &&
    typeof o.via === 'string' &&
    typeof o.payoutAddress === 'string' &&
    typeof o.payoutSats === 'string' &&
    /^\d{1,20}$/.test(o.payoutSats)
  );
}

export async function writeLifetimeState(path: string, state: LifetimeState, nowMs = Date.now()): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const body = {
    version: 1,
    bestDifficulty: state.bestDifficulty,
    ...(state.blocks !== undefined && state.blocks.length > 0
      ? { blocks: state.blocks.slice(-MAX_STORED_BLOCKS) }
      : {}),
    updatedAt: new Date(nowMs).toISOString(),
  };
  await writeFile(tmp, `${JSON.stringify(body)}\n`);
  await rename(tmp, path);
}

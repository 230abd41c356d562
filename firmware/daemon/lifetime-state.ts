import { lstat, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BoardLog } from '../board/board-control.js';

/**
 * What a miner keeps across restarts (`--state FILE`): the best share difficulty it ever found, which AxeOS
 * reports as `bestDiff` next to the session's `bestSessionDiff`, and the blocks it found solo with the node's
 * answers. A file the daemon cannot read is a warning and
 * a fresh start, never a reason not to mine.
 *
 * A write goes to a temporary file beside it, named `<file>.<pid>.tmp`, is flushed to disk and renamed over
 * the file, so a crash or a power cut leaves either the old file or the new one. A temporary file left by a
 * process that died mid-write (or by an older hashaxe, `<file>.tmp`) is removed at the next start: only names
 * of that exact pattern whose process is gone, and only regular files.
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

/** The temporary name this process writes `path` through. */
export function temporaryStatePath(path: string, pid = process.pid): string {
  return `${path}.${pid}.tmp`;
}

export async function writeLifetimeState(path: string, state: LifetimeState, nowMs = Date.now()): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = temporaryStatePath(path);
  const body = {
    version: 1,
    bestDifficulty: state.bestDifficulty,
    ...(state.blocks !== undefined && state.blocks.length > 0
      ? { blocks: state.blocks.slice(-MAX_STORED_BLOCKS) }
      : {}),
    updatedAt: new Date(nowMs).toISOString(),
  };
  // 'wx': never write through something already there (a link, another file); ours from a failed earlier
  // attempt of this same process is removed first.
  await unlinkOwnTemporary(tmp);
  const file = await open(tmp, 'wx', 0o644);
  try {
    await file.writeFile(`${JSON.stringify(body)}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
}

async function unlinkOwnTemporary(tmp: string): Promise<void> {
  try {
    if ((await lstat(tmp)).isFile()) await unlink(tmp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when a process with this id runs (or exists but is not ours to signal). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files earlier runs left beside `path`: `<name>.<pid>.tmp` whose process is gone (or is
 * this one), and the older fixed `<name>.tmp`. Returns the names removed. Anything else is never touched.
 */
export async function removeStaleTemporaries(path: string, alive = processAlive): Promise<string[]> {
  const dir = dirname(path);
  const name = basename(path);
  const pattern = new RegExp(`^${escapeRegExp(name)}(?:\\.(\\d{1,10}))?\\.tmp$`);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const m = pattern.exec(entry);
    if (m === null) continue;
    const pid = m[1] === undefined ? null : Number(m[1]);
    if (pid !== null && pid !== process.pid && alive(pid)) continue;
    const full = join(dir, entry);
    try {
      if (!(await lstat(full)).isFile()) continue;
      await unlink(full);
      removed.push(entry);
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed;
}

export interface LifetimeStateKeeperOptions {
  path: string;
  /** This session's best difficulty so far. */
  sessionBest: () => number;
  log: BoardLog;
  /** Solo: the blocks found (what the file holds at start goes in through `blocksAtStart`); written when they change. */
  blocks?: { stored(): StoredBlock[]; readonly revision: number };
  /** How often a better best is looked for; a new best is on disk within this plus one write. */
  checkIntervalMs?: number;
}

/** How often the keeper looks for a better best (a new best is saved within about this long). */
export const STATE_CHECK_INTERVAL_MS = 1000;

/**
 * Keeps the state file in step with the miner: reads it at start (removing stale temporaries), writes a
 * better best difficulty within `checkIntervalMs` of it being found (several improvements in that time are one
 * write), and once more at stop. Writes never overlap; a failed write is one warning per reason, and mining
 * goes on.
 */
export class LifetimeStateKeeper {
  private lifetimeBest = 0;
  private savedBest = 0;
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private lastWarning: string | null = null;
  private savedBlocksRevision = 0;
  private startBlocks: StoredBlock[] = [];

  constructor(private readonly options: LifetimeStateKeeperOptions) {}

  /** Reads the file and clears what earlier runs left; starts watching for a better best. */
  async start(): Promise<void> {
    const { path, log } = this.options;
    for (const name of await removeStaleTemporaries(path)) {
      log.info(`removed ${join(dirname(path), name)}, a temporary state file an earlier run left behind`);
    }
    const { state, warning } = await readLifetimeState(path);
    if (warning !== null) log.warn(warning);
    this.lifetimeBest = state.bestDifficulty;
    this.savedBest = state.bestDifficulty;
    this.startBlocks = state.blocks ?? [];
    this.savedBlocksRevision = this.options.blocks?.revision ?? 0;
    this.timer = setInterval(() => void this.save(), this.options.checkIntervalMs ?? STATE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** The blocks the file held at start (solo history). */
  get blocksAtStart(): StoredBlock[] {
    return this.startBlocks;
  }

  /** The all-time best: the file's, or this session's when it is better. */
  get allTimeBest(): number {
    return Math.max(this.lifetimeBest, this.options.sessionBest());
  }

  /** Stops watching and writes a better best one last time. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.save();
  }

  /** Writes the best when it beats what is on disk, or the blocks when they changed, one write at a time. */
  save(): Promise<void> {
    this.saving = this.saving.then(() => this.writeIfBetter());
    return this.saving;
  }

  private async writeIfBetter(): Promise<void> {
    const best = this.allTimeBest;
    const ledger = this.options.blocks;
    const revision = ledger?.revision ?? 0;
    if (!(best > this.savedBest) && revision === this.savedBlocksRevision) return;
    const { path, log } = this.options;
    try {
      await writeLifetimeState(path, {
        bestDifficulty: Math.max(best, this.savedBest),
        blocks: ledger !== undefined ? ledger.stored() : this.startBlocks,
      });
      this.savedBest = Math.max(best, this.savedBest);
      this.savedBlocksRevision = revision;
    } catch (err) {
      const why = `state file ${path} cannot be written: ${err instanceof Error ? err.message : String(err)}`;
      if (why !== this.lastWarning) log.warn(why);
      this.lastWarning = why;
    }
  }
}

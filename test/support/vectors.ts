import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Shared test vectors live beside the checkout at ../shared/vectors (never copied into the repo).
 * HASHAXE_VECTORS overrides the location. Tests that need them skip with a message when absent.
 */
function findVectorsDir(): string | null {
  const override = process.env.HASHAXE_VECTORS;
  if (override) return existsSync(override) ? resolve(override) : null;
  // Walk up from this file (dist/test/support or test/support) to the repo root's parent.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'shared', 'vectors');
    if (existsSync(join(candidate, 'README.md'))) return candidate;
    dir = dirname(dir);
  }
  return null;
}

export const VECTORS_DIR: string | null = findVectorsDir();

/** A skip reason when the vectors are missing, for `test(name, { skip: vectorsMissing }, fn)`. */
export const vectorsMissing: string | false =
  VECTORS_DIR === null ? 'shared test vectors not found at ../shared/vectors (set HASHAXE_VECTORS)' : false;

export function vectorPath(relative: string): string {
  if (VECTORS_DIR === null) throw new Error('shared test vectors not found');
  return join(VECTORS_DIR, relative);
}

export function readVectorJson<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(vectorPath(relative), 'utf8')) as T;
}

export function readVectorText(relative: string): string {
  return readFileSync(vectorPath(relative), 'utf8');
}

/** Repo root (for tests that read committed files such as boards/ or generated sources). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repo root not found');
}

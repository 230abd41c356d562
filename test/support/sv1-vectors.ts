import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './vectors.js';

/** A file under the repository's test/vectors (see test/vectors/PROVENANCE.md). */
export function repoVectorText(relative: string): string {
  return readFileSync(join(repoRoot(), 'test', 'vectors', relative), 'utf8');
}

export function repoVectorJson<T = unknown>(relative: string): T {
  return JSON.parse(repoVectorText(relative)) as T;
}

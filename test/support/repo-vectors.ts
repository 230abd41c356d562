import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './vectors.js';

/** A vector committed under test/vectors/ (see test/vectors/PROVENANCE.md); tests read nothing outside the repo. */
export function readRepoVector<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(join(repoRoot(), 'test', 'vectors', relative), 'utf8')) as T;
}

import { existsSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BoardDefinition } from './board.js';
import { BoardConfigError, validateBoard } from './board-validate.js';
import { JsonFileProblem, readJsonFile } from './json-file.js';

/**
 * The shipped board files. This module compiles to <outDir>/src/config/, and boards/ sits at the package
 * root beside the outDir, so the same relative hop works from dist/, dist-<room>/ and an installed package.
 */
export function boardsDir(): string {
  const override = process.env.HASHAXE_BOARDS_DIR;
  if (override) return resolve(override);
  return fileURLToPath(new URL('../../../boards/', import.meta.url));
}

/** Names of the shipped boards (file names without .json), sorted. */
export function listBoards(dir: string = boardsDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/**
 * Loads and validates a board: a shipped board name (`bitaxe-ultra`) or a path to a `.json` file. Anything
 * else (`../../etc/passwd`) is refused before it is opened. Throws BoardConfigError naming the file and field
 * on any problem; an error never quotes a file that is not valid JSON.
 */
export function loadBoard(nameOrPath: string, dir: string = boardsDir()): BoardDefinition {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  let file: string;
  if (isPath) {
    if (!nameOrPath.endsWith('.json')) {
      throw new BoardConfigError(
        nameOrPath,
        '',
        `is neither a board name nor a path to a .json board file; known boards: ${listBoards(dir).join(', ')}`,
      );
    }
    file = resolve(nameOrPath);
  } else {
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(nameOrPath)) {
      throw new BoardConfigError(nameOrPath, '', `is not a board name; known boards: ${listBoards(dir).join(', ')}`);
    }
    file = join(dir, `${nameOrPath}.json`);
    if (!existsSync(file)) {
      throw new BoardConfigError(nameOrPath, '', `is not a known board; known boards: ${listBoards(dir).join(', ')}`);
    }
  }
  const source = displayPath(file);
  let json: unknown;
  try {
    json = readJsonFile(file);
  } catch (err) {
    if (err instanceof JsonFileProblem) throw new BoardConfigError(source, '', err.message);
    throw err;
  }
  return validateBoard(json, source, basename(file, '.json'));
}

/** `boards/bitaxe-ultra.json` for shipped files, the path as given (made relative to cwd) otherwise. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

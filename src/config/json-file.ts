/**
 * Reading a JSON configuration file named on the command line. The path may be anything the user typed
 * (`--board ../../etc/passwd`), so an error says what is wrong with the file and where, never what is in it:
 * V8's JSON.parse messages quote the text around the fault, which would echo a file that was never ours.
 */
import { readFileSync, statSync } from 'node:fs';

/** Board and config files are a few kilobytes; anything far larger is not one. */
export const MAX_JSON_FILE_BYTES = 1 << 20;

/** What is wrong with a JSON file, phrased to follow its name (`x.json: is not valid JSON (line 3, …)`). */
export class JsonFileProblem extends Error {
  override readonly name = 'JsonFileProblem';
}

/** Reads and parses `file`; throws JsonFileProblem with a reason that quotes nothing from the file. */
export function readJsonFile(file: string, maxBytes = MAX_JSON_FILE_BYTES): unknown {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new JsonFileProblem('is not a regular file');
    if (st.size > maxBytes) throw new JsonFileProblem(`is ${st.size} bytes, more than a JSON file here can be`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof JsonFileProblem) throw err;
    throw new JsonFileProblem(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new JsonFileProblem(`is not valid JSON${whereJsonFails(text, (err as Error).message)}`);
  }
}

/**
 * ` (line L, column C)` for a JSON.parse failure, from the position V8 reports or, when it reports none
 * ("Unexpected token 'r', …"), the first character that cannot start or continue JSON; '' when unknown.
 */
export function whereJsonFails(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  let pos: number;
  if (m !== null) pos = Number(m[1]);
  else if (/end of JSON input/.test(message)) pos = text.length;
  else {
    const first = text.search(/\S/);
    pos = first >= 0 && !'{["-0123456789tfn'.includes(text[first]) ? first : -1;
  }
  if (pos < 0 || pos > text.length) return '';
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

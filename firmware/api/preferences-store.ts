/**
 * Where the API keeps what AxeOS pages store on a Bitaxe's flash: the theme and the display/statistics settings.
 * A small JSON file beside the daemon's state file (`state.json` → `state.ui.json`), written whole through a
 * temporary file and a rename, so a crash leaves the old file or the new one. Without a state file they live in
 * memory only. A file that cannot be read is a warning and the defaults, never a refusal to start.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { BoardLog } from '../board/board-control.js';
import type { DevicePreferences } from './system-info.js';

export interface StoredPreferences {
  preferences?: Partial<DevicePreferences>;
  theme?: { colorScheme?: string; primaryColor?: string };
}

/** `…/state.json` → `…/state.ui.json`. */
export function preferencesPathFor(stateFile: string): string {
  return stateFile.endsWith('.json') ? `${stateFile.slice(0, -5)}.ui.json` : `${stateFile}.ui.json`;
}

const NUMERIC: Array<keyof DevicePreferences> = [
  'rotation',
  'invertscreen',
  'displayTimeout',
  'statsFrequency',
  'overclockEnabled',
];

export function readPreferences(path: string, log: BoardLog): StoredPreferences {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      log.warn(`preferences file ${path} cannot be read; using defaults`);
    return {};
  }
  try {
    const json = JSON.parse(text) as StoredPreferences;
    const out: StoredPreferences = {};
    const p = json.preferences ?? {};
    const prefs: Partial<DevicePreferences> = {};
    for (const k of NUMERIC)
      if (typeof p[k] === 'number' && Number.isInteger(p[k])) (prefs as Record<string, number>)[k] = p[k] as number;
    if (Object.keys(prefs).length > 0) out.preferences = prefs;
    const t = json.theme ?? {};
    const theme: { colorScheme?: string; primaryColor?: string } = {};
    if (typeof t.colorScheme === 'string' && t.colorScheme.length <= 32) theme.colorScheme = t.colorScheme;
    if (typeof t.primaryColor === 'string' && t.primaryColor.length <= 32) theme.primaryColor = t.primaryColor;
    if (Object.keys(theme).length > 0) out.theme = theme;
    return out;
  } catch {
    log.warn(`preferences file ${path} is not valid JSON; using defaults (it is rewritten at the next change)`);
    return {};
  }
}

/** Writes the file whole; one write at a time, the last state wins. */
export class PreferencesWriter {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly log: BoardLog,
  ) {}

  save(state: StoredPreferences): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    this.chain = this.chain.then(async () => {
      const tmp = `${this.path}.tmp`;
      try {
        await writeFile(tmp, text, { mode: 0o640 });
        await rename(tmp, this.path);
      } catch (err) {
        this.log.warn(`preferences file ${this.path} cannot be written: ${(err as Error).message}`);
      }
    });
    return this.chain;
  }
}

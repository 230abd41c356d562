import type { CliIo, Command } from './command.js';
import { EXIT_OK } from './command.js';

export const mine: Command = {
  path: ['mine'],
  summary: 'run the miner (the mining engine lands with the mining issue)',
  usage: 'Usage: hashaxe mine',
  async run(_args: string[], io: CliIo): Promise<number> {
    io.stdout('hashaxe: no mining yet — the mining engine is not part of this build.\n');
    return EXIT_OK;
  },
};

import { HARD_LIMITS } from '../../src/config/board-validate.js';
import { parseCommandArgs, parseNumberInRange } from './args.js';
import { type CliIo, type Command, EXIT_OK, printJson, UsageError } from './command.js';
import { API_OPTIONS, API_USAGE, apiTarget, callDaemon, raiseForStatus } from './daemon-api.js';

const usage = `Usage: hashaxe freq <MHz> [--json]

Sets the ASIC frequency on the running daemon. The daemon refuses anything outside the board's limits;
the ASIC driver ramps to it in safe steps. While the chips are off the value is kept for the next start.

${API_USAGE}`;

export const freq: Command = {
  path: ['freq'],
  summary: 'set the ASIC frequency (MHz), within the board limits',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, API_OPTIONS);
    if (positionals.length !== 1)
      throw new UsageError(`expected one frequency in MHz, got ${positionals.length} arguments`);
    const mhz = parseNumberInRange(
      'frequency (MHz)',
      positionals[0].replace(/MHz$/i, ''),
      HARD_LIMITS.frequencyMhz.min,
      HARD_LIMITS.frequencyMhz.max,
    );
    const reply = await callDaemon(apiTarget(values), 'PATCH', '/api/system', { frequency: mhz }, io.signal);
    raiseForStatus(reply);
    const applied = (reply.body as { applied?: { frequency?: number } }).applied?.frequency ?? mhz;
    if (values.json) printJson(io, { ok: true, frequency: applied });
    else io.stdout(`frequency ${applied} MHz\n`);
    return EXIT_OK;
  },
};

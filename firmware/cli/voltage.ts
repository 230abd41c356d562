import { HARD_LIMITS } from '../../src/config/board-validate.js';
import { parseCommandArgs, parseIntInRange } from './args.js';
import { type CliIo, type Command, EXIT_OK, printJson, UsageError } from './command.js';
import { API_OPTIONS, API_USAGE, apiTarget, callDaemon, raiseForStatus } from './daemon-api.js';

const usage = `Usage: hashaxe voltage <mV> [--json]

Sets the ASIC core voltage (per chip, millivolts) on the running daemon. The daemon refuses anything
outside the board's limits before touching the regulator, and ramps in 25 mV steps while the chips run.

${API_USAGE}`;

export const voltage: Command = {
  path: ['voltage'],
  summary: 'set the ASIC core voltage (mV), within the board limits',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, API_OPTIONS);
    if (positionals.length !== 1)
      throw new UsageError(`expected one voltage in mV, got ${positionals.length} arguments`);
    const mv = parseIntInRange(
      'voltage (mV)',
      positionals[0].replace(/mV$/i, ''),
      HARD_LIMITS.voltageMv.min,
      HARD_LIMITS.voltageMv.max,
    );
    const reply = await callDaemon(apiTarget(values), 'PATCH', '/api/system', { coreVoltage: mv }, io.signal);
    raiseForStatus(reply);
    const applied = (reply.body as { applied?: { coreVoltage?: number } }).applied?.coreVoltage ?? mv;
    if (values.json) printJson(io, { ok: true, coreVoltage: applied });
    else io.stdout(`core voltage ${applied} mV\n`);
    return EXIT_OK;
  },
};

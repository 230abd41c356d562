import { parseCommandArgs, parseIntInRange, parseNumberInRange } from './args.js';
import { type CliIo, type Command, EXIT_OK, printJson, UsageError } from './command.js';
import { API_OPTIONS, API_USAGE, apiTarget, callDaemon, raiseForStatus } from './daemon-api.js';

const usage = `Usage: hashaxe fan <0-100|auto> [--target °C] [--min %] [--json]

Sets the fan on the running daemon: a fixed percent, or auto (PID holding the ASIC at the target
temperature, ESP-Miner's default 60 °C). Overheat and sensor faults still force 100 % while they last.
  --target C   auto mode's ASIC temperature (35-66 °C, and 5 °C under the board's limit)
  --min P      auto mode's lowest fan speed (0-99 %)

${API_USAGE}`;

export const fan: Command = {
  path: ['fan'],
  summary: 'set the fan: a fixed percent or auto (PID to a target temperature)',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, {
      ...API_OPTIONS,
      target: { type: 'string' },
      min: { type: 'string' },
    });
    if (positionals.length !== 1)
      throw new UsageError(`expected one fan setting (0-100 or auto), got ${positionals.length} arguments`);
    const arg = positionals[0];
    const body: Record<string, number> = {};
    if (arg === 'auto') {
      body.autofanspeed = 1;
      if (values.target !== undefined) body.temptarget = parseNumberInRange('--target', values.target, 35, 66);
      if (values.min !== undefined) body.minFanSpeed = parseIntInRange('--min', values.min, 0, 99);
    } else {
      if (values.target !== undefined || values.min !== undefined)
        throw new UsageError('--target and --min go with "fan auto"');
      body.autofanspeed = 0;
      body.manualFanSpeed = parseNumberInRange('fan speed', arg.replace(/%$/, ''), 0, 100);
    }
    const target = apiTarget(values);
    const reply = await callDaemon(target, 'PATCH', '/api/system', body, io.signal);
    raiseForStatus(reply);
    const applied = ((reply.body as { applied?: Record<string, number> }).applied ?? {}) as Record<string, number>;
    if (values.json) {
      printJson(io, { ok: true, fanMode: applied.autofanspeed === 1 ? 'auto' : 'manual', ...applied });
    } else if (applied.autofanspeed === 1) {
      io.stdout(`fan auto: holding ${applied.temptarget} °C, at least ${applied.minFanSpeed} %\n`);
    } else {
      io.stdout(`fan ${applied.manualFanSpeed} % (manual)\n`);
    }
    return EXIT_OK;
  },
};

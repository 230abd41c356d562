import { availableParallelism } from 'node:os';
import { type ChipModelName, chipModel, expectedHashrateGhs, isChipModelName } from '../../drivers/asic/chip-model.js';
import {
  DEFAULT_DIFFICULTY_SCALE,
  DEFAULT_EMULATOR_HASHRATE_HS,
  EmulatedChain,
  type EmulatorStatus,
} from '../../drivers/emulator/bm13xx-emulator.js';
import { type EmulatorEndpoint, serveOnPty, serveOnTcp } from '../../drivers/emulator/chain-endpoint.js';
import { TransportError } from '../../drivers/transport/transport.js';
import { formatHashrate, formatScale, parseHashrate, parseScale } from '../../src/util/units.js';
import { parseCommandArgs, parseIntInRange, parseNumberInRange } from './args.js';
import { type CliIo, type Command, EXIT_OK, printJson, UsageError, WorkError } from './command.js';

const usage = `Usage: hashaxe emulate --chip bm1397|bm1366|bm1368|bm1370 [--chips N]
                       [--pty PATH | --listen tcp://127.0.0.1:PORT]
                       [--hashrate H/s] [--difficulty-scale S] [--workers N]
                       [--status-interval SECONDS] [--json]

Runs an emulated chain of BM13xx chips that answers exactly as real chips do and really hashes, so hashaxe (or
any BM13xx host) can mine with no hardware. It serves a pseudo-terminal made with socat (--pty PATH puts a
symlink there; without it a /dev/pts path is printed) or a ser2net-style TCP port (--listen; port 0 picks one),
and runs until interrupted.

Emulated chips are ~10^5 times slower than silicon: they compute --hashrate real SHA-256d hashes per second for
the whole chain (default 1M) and report every nonce that meets ticket difficulty × --difficulty-scale (default
2^-21): a host must check nonces against that scaled difficulty. Scales read as numbers or powers of two
("2^-21"); hash rates accept k/M/G suffixes.

  --chips N            chips on the chain (1..256, default 1)
  --workers N          hashing threads (default: one per core, at most 2)
  --status-interval S  print status every S seconds (default 10; 0 = only at start and end)
  --json               one JSON object per line: a "ready" line (endpoint, scale, rate), status lines, "stopped"`;

/** --hashrate: "1M", "250k", "1.5e6" hashes per second, 1k to 1G. */
function parseRate(text: string | undefined): number {
  if (text === undefined) return DEFAULT_EMULATOR_HASHRATE_HS;
  const value = parseHashrate(text);
  if (!(value >= 1000 && value <= 1e9)) {
    throw new UsageError(`--hashrate must be between 1k and 1G hashes per second, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** --difficulty-scale: "2^-21" or a plain number in (0, 1]. */
function parseScaleFlag(text: string | undefined): number {
  if (text === undefined) return DEFAULT_DIFFICULTY_SCALE;
  const value = parseScale(text);
  if (value === null) {
    throw new UsageError(`--difficulty-scale must be in (0, 1], e.g. 2^-21 or 0.001, got ${JSON.stringify(text)}`);
  }
  return value;
}

export const emulate: Command = {
  path: ['emulate'],
  summary: 'run an emulated BM13xx chain (really hashes) on a pty or a TCP port',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        chip: { type: 'string' },
        chips: { type: 'string' },
        pty: { type: 'string' },
        listen: { type: 'string' },
        hashrate: { type: 'string' },
        'difficulty-scale': { type: 'string' },
        workers: { type: 'string' },
        'status-interval': { type: 'string' },
        json: { type: 'boolean' },
      },
      false,
    );
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const chip = values.chip;
    if (chip === undefined) throw new UsageError('--chip is required: bm1397, bm1366, bm1368 or bm1370');
    if (!isChipModelName(chip)) {
      throw new UsageError(`--chip must be bm1397, bm1366, bm1368 or bm1370, got ${JSON.stringify(chip)}`);
    }
    if (values.pty !== undefined && values.listen !== undefined) {
      throw new UsageError('--pty and --listen are alternatives; give one');
    }
    if (values.listen !== undefined && !/^tcp:\/\/.+:\d+$/.test(values.listen)) {
      throw new UsageError(`--listen must be tcp://HOST:PORT, got ${JSON.stringify(values.listen)}`);
    }
    const chips = values.chips === undefined ? 1 : parseIntInRange('--chips', values.chips, 1, 256);
    const workers =
      values.workers === undefined
        ? undefined
        : parseIntInRange('--workers', values.workers, 0, availableParallelism());
    const interval =
      values['status-interval'] === undefined
        ? 10
        : parseNumberInRange('--status-interval', values['status-interval'], 0, 86_400);
    const hashrateHs = parseRate(values.hashrate);
    const difficultyScale = parseScaleFlag(values['difficulty-scale']);
    const model = chipModel(chip as ChipModelName);

    const chain = new EmulatedChain({ model: model.name, chips, hashrateHs, difficultyScale, workers });
    let endpoint: EmulatorEndpoint;
    try {
      endpoint =
        values.listen !== undefined ? await serveOnTcp(chain, values.listen) : await serveOnPty(chain, values.pty);
    } catch (err) {
      await chain.close();
      if (err instanceof TransportError) throw new WorkError(err.message);
      throw err;
    }
    const nominal = expectedHashrateGhs(model, model.defaultFrequencyMhz);
    const ready = {
      event: 'ready',
      emulated: true,
      notice:
        `EMULATED ${model.name.toUpperCase()} chips: ${formatHashrate(hashrateHs)} of real hashing, nonces reported at ` +
        `ticket difficulty × ${formatScale(difficultyScale)}; check them against that scaled difficulty`,
      chip: model.name,
      chips,
      kind: endpoint.kind,
      endpoint: endpoint.endpoint,
      hashrateHs,
      difficultyScale,
      reportDifficulty: 256 * difficultyScale,
      workers: chain.workerCount,
      siliconHashrateGhsPerChip: nominal,
      siliconFrequencyMhz: model.defaultFrequencyMhz,
    };
    if (values.json) {
      printJson(io, ready);
    } else {
      io.stdout(
        [
          `hashaxe emulate: ${chips} × ${model.name.toUpperCase()} on ${endpoint.kind === 'pty' ? 'pty' : 'TCP'} ${endpoint.endpoint}`,
          `  *** EMULATED CHIPS: ${formatHashrate(hashrateHs)} of REAL hashing for the whole chain (${chain.workerCount === 0 ? 'main thread' : `${chain.workerCount} worker thread(s)`}) ***`,
          `  *** nonces are reported at ticket difficulty × ${formatScale(difficultyScale)} (ticket 256 → difficulty ${(256 * difficultyScale).toPrecision(4)}); check them against that ***`,
          `  a real ${model.name.toUpperCase()} at ${model.defaultFrequencyMhz} MHz would hash ${nominal.toFixed(1)} GH/s per chip`,
          `  connect a host to ${endpoint.endpoint}; Ctrl-C stops`,
          '',
        ].join('\n'),
      );
    }
    const report = (event: 'status' | 'stopped', s: EmulatorStatus): void => {
      if (values.json) {
        printJson(io, {
          event,
          attached: s.attached,
          measuredHashrateHs: Math.round(s.measuredHashrateHs),
          nonces: s.perChip.reduce((n, c) => n + c.nonces, 0),
          hashes: s.perChip.reduce((n, c) => n + c.hashes, 0),
          lineBaud: s.lineBaud,
          nominalHashrateGhs: s.nominalHashrateGhs,
          chips: s.perChip.map((c) => ({
            address: c.address,
            frequencyMhz: c.frequencyMhz,
            ticketDifficulty: c.ticketDifficulty,
            nonces: c.nonces,
          })),
        });
      } else {
        const nonces = s.perChip.reduce((n, c) => n + c.nonces, 0);
        const f = s.perChip[0]?.frequencyMhz ?? 0;
        io.stdout(
          `${event}: ${s.attached ? 'host attached' : 'no host'}, real ${formatHashrate(s.measuredHashrateHs)}, ` +
            `${nonces} nonce(s) reported, line ${s.lineBaud} baud, PLL ${f.toFixed(2)} MHz ` +
            `(silicon: ${s.nominalHashrateGhs.toFixed(1)} GH/s)\n`,
        );
      }
    };
    const timer = interval > 0 ? setInterval(() => report('status', chain.status()), interval * 1000) : null;
    try {
      if (!io.signal.aborted) {
        await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
      }
    } finally {
      if (timer !== null) clearInterval(timer);
      const final = chain.status();
      await endpoint.close();
      await chain.close();
      report('stopped', final);
    }
    return EXIT_OK;
  },
};

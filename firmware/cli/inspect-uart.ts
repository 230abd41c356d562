import { type ChipModelName, isChipModelName } from '../../drivers/asic/chip-model.js';
import { FrameError } from '../../drivers/asic/errors.js';
import { inspectFrame } from '../../drivers/asic/frame-inspector.js';
import { HexError, hexToBytes } from '../../src/util/hex.js';
import { parseCommandArgs } from './args.js';
import { type CliIo, type Command, EXIT_FAILED, EXIT_OK, printJson, UsageError } from './command.js';

const usage = `Usage: hashaxe inspect uart <hex> [--chip bm1397|bm1366|bm1368|bm1370] [--json]

Decodes one BM13xx serial frame: a command (55 AA …), a job (55 AA 21 …) or a chip response (AA 55 …).
Names every field with its offset, bytes and meaning, and checks the CRC5 / CRC16. Spaces and colons in the
hex are ignored, so captured dumps paste as they are. --chip picks the model where the layout depends on it
(job-id placement in nonce replies, PLL and baud register encodings).

Exit codes: 0 frame decoded and its CRC is right; 1 decoded but the CRC is wrong; 2 not a frame.`;

export const inspectUart: Command = {
  path: ['inspect', 'uart'],
  summary: 'decode a BM13xx UART frame (command, job or response): every field, CRC checked',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' }, chip: { type: 'string' } });
    if (positionals.length === 0) throw new UsageError('expected a frame in hex, e.g. 55aa520500000a');
    const chip = values.chip;
    if (chip !== undefined && !isChipModelName(chip)) {
      throw new UsageError(`--chip must be bm1397, bm1366, bm1368 or bm1370, got ${JSON.stringify(chip)}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = hexToBytes(positionals.join(''));
    } catch (err) {
      if (err instanceof HexError) throw new UsageError(`frame: ${err.message}`);
      throw err;
    }
    let frame: ReturnType<typeof inspectFrame>;
    try {
      frame = inspectFrame(bytes, chip as ChipModelName | undefined);
    } catch (err) {
      if (err instanceof FrameError) throw new UsageError(`not a BM13xx frame: ${err.message}`);
      throw err;
    }
    if (values.json) {
      printJson(io, frame);
    } else {
      const arrow = frame.direction === 'host-to-chip' ? 'host → chip' : 'chip → host';
      io.stdout(
        `${arrow}: ${frame.kind} (${frame.bytes} bytes${frame.model ? `, ${frame.model}` : ''}), ` +
          `${frame.crc.kind.toUpperCase()} ${frame.crc.ok ? 'ok' : `BAD (frame ${frame.crc.frame}, computed ${frame.crc.computed})`}\n`,
      );
      const width = Math.max(...frame.fields.map((f) => f.name.length));
      for (const f of frame.fields) {
        const value = f.value === null ? '' : String(f.value);
        const hex = f.hex.length > 16 ? `${f.hex.slice(0, 16)}…` : f.hex;
        io.stdout(
          `  ${String(f.offset).padStart(3)}  ${f.name.padEnd(width)}  ${hex.padEnd(17)} ${value}${f.note ? `  (${f.note})` : ''}\n`,
        );
      }
    }
    if (!frame.crc.ok) {
      io.stderr(
        `hashaxe: ${frame.crc.kind.toUpperCase()} mismatch: frame has ${frame.crc.frame}, computed ${frame.crc.computed}\n`,
      );
      return EXIT_FAILED;
    }
    return EXIT_OK;
  },
};

import { Sv2ProtocolError } from '../../src/sv2/codec/errors.js';
import type { JsonValue } from '../../src/sv2/codec/field-types.js';
import { type DescribedField, describeFrame, type FrameDescription } from '../../src/sv2/messages/describe.js';
import { HexError, hexToBytes } from '../../src/util/hex.js';
import { parseCommandArgs } from './args.js';
import { type CliIo, type Command, EXIT_OK, printJson, UsageError } from './command.js';

const usage = `Usage: hashaxe inspect sv2 <hex> [--json]

Decodes one plaintext Stratum V2 frame — the 6-byte header (extension_type with the channel_msg bit, msg_type,
msg_length) and the message it carries — and names every field with its SV2 type and value. Hex may contain
spaces or colons (pasted captures) and a 0x prefix; several arguments are joined. Encrypted bytes cannot be
inspected: decrypt first (frames on a Noise connection are the same frames, encrypted piecewise).

--json prints one object: header fields, message name, sub-protocol, and "fields" as [{name, type, value}]
(bytes as hex, U64 beyond 2^53 as a decimal string).`;

const EXTENSION_NAMES: Record<number, string> = { 0: 'core', 1: 'extension negotiation' };

export const inspectSv2: Command = {
  path: ['inspect', 'sv2'],
  summary: 'decode one plaintext Stratum V2 frame and name every field',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } });
    if (positionals.length === 0) throw new UsageError('expected a frame in hex (header + payload)');
    let bytes: Uint8Array;
    try {
      bytes = hexToBytes(positionals.join(''));
    } catch (err) {
      if (err instanceof HexError) throw new UsageError(`frame: ${err.message}`);
      throw err;
    }
    let d: FrameDescription;
    try {
      d = describeFrame(bytes);
    } catch (err) {
      if (err instanceof Sv2ProtocolError) throw new UsageError(`not a valid SV2 frame (${err.code}): ${err.message}`);
      throw err;
    }
    if (values.json) {
      printJson(io, d);
      return EXIT_OK;
    }
    const bit = d.channelMsg ? 1 : 0;
    const extension = EXTENSION_NAMES[d.extensionId] ?? 'unknown';
    const lines = [
      `header       ${d.headerHex}`,
      `extension    0x${d.extensionTypeRaw.toString(16).padStart(4, '0')}: extension ${d.extensionId} (${extension}), channel_msg ${bit}` +
        (d.channelBitMismatch
          ? ` (${d.message} is sent with channel_msg ${d.expectedChannelMsg ? 1 : 0}; SRI ignores the bit)`
          : ''),
      `msg_type     0x${d.msgType.toString(16).padStart(2, '0')} ${d.message} (${d.subprotocol})`,
      `msg_length   ${d.msgLength}`,
      d.fields.length === 0 ? 'fields       (none)' : 'fields',
    ];
    const nameWidth = Math.max(0, ...d.fields.map((f) => f.name.length));
    const typeWidth = Math.max(0, ...d.fields.map((f) => f.type.length));
    for (const f of d.fields) {
      lines.push(`  ${f.name.padEnd(nameWidth)}  ${f.type.padEnd(typeWidth)}  ${formatValue(f)}`);
    }
    io.stdout(`${lines.join('\n')}\n`);
    return EXIT_OK;
  },
};

function formatValue(f: DescribedField): string {
  const v: JsonValue = f.value;
  if (typeof v === 'number' && /^(U16|U24|U32|OPTION\[U32\])$/.test(f.type)) {
    return `${v} (0x${v.toString(16).padStart(f.type === 'U16' ? 4 : f.type === 'U24' ? 6 : 8, '0')})`;
  }
  if (v === null) return 'none';
  if (f.type === 'STR0_255' || Array.isArray(v)) return JSON.stringify(v);
  if (typeof v === 'string' && v === '' && /^B0_/.test(f.type)) return '(empty)';
  return String(v);
}

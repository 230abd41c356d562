import {
  decodeHeader,
  difficultyFromTarget,
  difficultyOfHash,
  HEADER_BYTES,
  hashMeetsTarget,
  headerHash,
  nbitsToTarget,
} from '../../src/bitcoin/index.js';
import { bytesToHexReversed, HexError, hexToBytes } from '../../src/util/hex.js';
import { parseCommandArgs } from './args.js';
import { type CliIo, type Command, EXIT_OK, printJson, UsageError } from './command.js';

const usage = `Usage: hashaxe inspect header <160 hex digits> [--json]

Decodes an 80-byte block header (as serialized, e.g. from getblockheader <hash> false) and prints its
fields, the block hash in display order and the hash's difficulty.`;

export const inspectHeader: Command = {
  path: ['inspect', 'header'],
  summary: 'decode an 80-byte block header: fields, block hash, difficulty',
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } });
    if (positionals.length !== 1) {
      throw new UsageError(`expected one header (${HEADER_BYTES * 2} hex digits), got ${positionals.length} arguments`);
    }
    let bytes: Uint8Array;
    try {
      bytes = hexToBytes(positionals[0], HEADER_BYTES);
    } catch (err) {
      if (err instanceof HexError) throw new UsageError(`header: ${err.message}`);
      throw err;
    }
    const header = decodeHeader(bytes);
    const hash = headerHash(bytes);
    let target: bigint | null = null;
    try {
      target = nbitsToTarget(header.bits);
    } catch {
      target = null; // an invalid nbits is still worth showing; it just has no target
    }
    const report = {
      version: header.version,
      versionHex: `0x${header.version.toString(16).padStart(8, '0')}`,
      prevHash: bytesToHexReversed(header.prevHash),
      merkleRoot: bytesToHexReversed(header.merkleRoot),
      time: header.time,
      timeIso: new Date(header.time * 1000).toISOString(),
      bits: `0x${header.bits.toString(16).padStart(8, '0')}`,
      nonce: header.nonce,
      nonceHex: `0x${header.nonce.toString(16).padStart(8, '0')}`,
      hash: bytesToHexReversed(hash),
      difficulty: difficultyOfHash(hash),
      networkDifficulty: target === null ? null : difficultyFromTarget(target),
      meetsTarget: target === null ? false : hashMeetsTarget(hash, target),
    };
    if (values.json) {
      printJson(io, report);
      return EXIT_OK;
    }
    const rows: Array<[string, string]> = [
      ['version', `${report.versionHex} (${report.version})`],
      ['prev hash', report.prevHash],
      ['merkle root', report.merkleRoot],
      ['time', `${report.time} (${report.timeIso})`],
      [
        'bits',
        `${report.bits}${report.networkDifficulty === null ? ' (invalid)' : ` (difficulty ${fmt(report.networkDifficulty)})`}`,
      ],
      ['nonce', `${report.nonceHex} (${report.nonce})`],
      ['block hash', report.hash],
      ['difficulty', fmt(report.difficulty)],
      ['meets nbits', report.meetsTarget ? 'yes (a valid block)' : 'no'],
    ];
    for (const [k, v] of rows) io.stdout(`${k.padEnd(12)} ${v}\n`);
    return EXIT_OK;
  },
};

function fmt(d: number): string {
  return d >= 1000 ? d.toFixed(0) : d.toPrecision(6);
}

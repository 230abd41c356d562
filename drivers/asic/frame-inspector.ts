import { bytesToHex, bytesToHexReversed } from '../../src/util/hex.js';
import { decodeFullHeaderJob, FULL_JOB_BYTES } from './bm1366-job.js';
import { decodeMidstateJob, midstateJobBytesFromLength } from './bm1397-job.js';
import {
  baudFromRegister,
  type ChipModel,
  type ChipModelName,
  chipModel,
  chipModelById,
  jobIdFromReply,
  subcoreFromReply,
} from './chip-model.js';
import { commandFrameBytes, decodeCommand, HEADER } from './command.js';
import { crc5, crc16 } from './crc.js';
import { FrameError } from './errors.js';
import { frequencyFromPllRegister } from './pll.js';
import { REG, registerName } from './registers.js';
import { decodeResponse, expectedResponseCrc } from './response.js';
import { decodeTicketMask } from './ticket-mask.js';

/**
 * Decodes any single BM13xx frame — command, job or response — for people: every field named, with its offset,
 * bytes and meaning, and the CRC checked. Used by `hashaxe inspect uart`. Garbage throws FrameError naming what is
 * wrong; a frame that decodes but fails its CRC comes back with `crc.ok === false`.
 */

export interface InspectedField {
  readonly name: string;
  /** Offset of the field in the frame. */
  readonly offset: number;
  /** The field's bytes, wire order. */
  readonly hex: string;
  readonly value: number | string | null;
  readonly note?: string;
}

export interface InspectedFrame {
  readonly direction: 'host-to-chip' | 'chip-to-host';
  readonly kind:
    | 'set-address'
    | 'write-register'
    | 'read-register'
    | 'chain-inactive'
    | 'job-full-header'
    | 'job-midstate'
    | 'register-reply'
    | 'nonce-reply';
  readonly bytes: number;
  /** Model the decode assumed (given, or implied by the frame), or null when the fields do not depend on it. */
  readonly model: ChipModelName | null;
  readonly crc: {
    readonly kind: 'crc5' | 'crc16';
    readonly ok: boolean;
    readonly frame: string;
    readonly computed: string;
  };
  readonly fields: readonly InspectedField[];
}

const hx = (n: number, digits: number): string => `0x${(n >>> 0).toString(16).padStart(digits, '0')}`;

class Fields {
  readonly list: InspectedField[] = [];
  constructor(private readonly bytes: Uint8Array) {}
  add(name: string, offset: number, size: number, value: number | string | null, note?: string): void {
    this.list.push({
      name,
      offset,
      hex: bytesToHex(this.bytes.subarray(offset, offset + size)),
      value,
      ...(note === undefined ? {} : { note }),
    });
  }
}

export function inspectFrame(bytes: Uint8Array, modelName?: ChipModelName): InspectedFrame {
  const model = modelName === undefined ? null : chipModel(modelName);
  if (bytes.length < 4) throw new FrameError(`${bytes.length} bytes is too short for any BM13xx frame`);
  if (bytes[0] === 0x55 && bytes[1] === 0xaa) {
    return bytes[2] === HEADER.JOB ? inspectJob(bytes, model) : inspectCommand(bytes, model);
  }
  if (bytes[0] === 0xaa && bytes[1] === 0x55) return inspectResponse(bytes, model);
  throw new FrameError(
    `starts with ${bytesToHex(bytes.subarray(0, 2))}: commands start with 55 AA, responses with AA 55`,
  );
}

function inspectCommand(bytes: Uint8Array, model: ChipModel | null): InspectedFrame {
  const header = bytes[2];
  const size = commandFrameBytes(header);
  if (size === 0) throw new FrameError(`unknown command header ${hx(header, 2)} (known: 40 41 42 51 52 53, job 21)`);
  if (bytes.length !== size) {
    throw new FrameError(`a ${hx(header, 2)} command is ${size} bytes, got ${bytes.length}`);
  }
  const cmd = decodeCommand(bytes, 0, size, false);
  const f = new Fields(bytes);
  f.add('preamble', 0, 2, '55 AA');
  const what: Record<string, string> = {
    'set-address': 'set chip address (first chip without one)',
    'write-register': 'write register',
    'read-register': 'read register',
    'chain-inactive': 'chain inactive (every chip forgets its address)',
  };
  const broadcast = (header & 0x10) !== 0;
  f.add('header', 2, 1, hx(header, 2), `command, ${broadcast ? 'all chips' : 'one chip'}: ${what[cmd.kind]}`);
  f.add('length', 3, 1, bytes[3], 'bytes after the preamble, CRC included');
  switch (cmd.kind) {
    case 'set-address':
      f.add('new address', 4, 1, cmd.address);
      f.add('reserved', 5, 1, bytes[5]);
      break;
    case 'chain-inactive':
      f.add('reserved', 4, 2, 0);
      break;
    case 'read-register':
      f.add('chip address', 4, 1, cmd.chipAddress, broadcast ? 'ignored: broadcast' : undefined);
      f.add('register', 5, 1, hx(cmd.register, 2), registerName(cmd.register));
      break;
    case 'write-register':
      f.add('chip address', 4, 1, cmd.chipAddress, broadcast ? 'ignored: broadcast' : undefined);
      f.add('register', 5, 1, hx(cmd.register, 2), registerName(cmd.register));
      f.add('value', 6, 4, hx(cmd.value, 8), describeWrite(cmd.register, cmd.value, model));
      break;
  }
  const want = crc5(bytes, 2, size - 1);
  f.add('crc5', size - 1, 1, hx(bytes[size - 1], 2), 'CRC5 over header..payload');
  return {
    direction: 'host-to-chip',
    kind: cmd.kind,
    bytes: size,
    model: model?.name ?? null,
    crc: { kind: 'crc5', ok: want === bytes[size - 1], frame: hx(bytes[size - 1], 2), computed: hx(want, 2) },
    fields: f.list,
  };
}

/** What a register value means, where hashaxe knows (depends on the model for PLL and baud registers). */
function describeWrite(register: number, value: number, model: ChipModel | null): string | undefined {
  switch (register) {
    case REG.TICKET_MASK:
      return `ticket difficulty ${decodeTicketMask(value)}`;
    case REG.VERSION_ROLLING:
      return value & 0x80000000
        ? `version rolling on, mask ${hx(((value & 0xffff) << 13) >>> 0, 8)}`
        : 'version rolling off';
    case REG.HASH_COUNTING_NUMBER:
      return `${value} reference-clock ticks per version batch`;
    case REG.CHIP_NONCE_OFFSET:
      return value & 0x80000000 ? `nonce sweep starts at ${hx((value & 0xffff) << 9, 7)}` : 'offset disabled';
    case REG.CORE_REGISTER_CONTROL: {
      const all = (value & 0x80000000) !== 0;
      const core = (value >>> 16) & 0xff;
      return `${value & 0x8000 ? 'write' : 'read'} core register ${hx((value >>> 8) & 0x1f, 2)} = ${hx(value & 0xff, 2)} on ${all ? 'all cores' : `core ${core}`}`;
    }
    case REG.PLL0_PARAMETER: {
      if (model === null) {
        const asIs = frequencyFromPllRegister(value, chipModel('bm1397'));
        const minus = frequencyFromPllRegister(value, chipModel('bm1366'));
        return `${fmt(minus)} MHz on BM1366/68/70 (post dividers minus one), ${fmt(asIs)} MHz on BM1397`;
      }
      return `${fmt(frequencyFromPllRegister(value, model))} MHz`;
    }
    case REG.MISC_CONTROL:
    case REG.FAST_UART_CONFIGURATION: {
      const models = model === null ? [chipModel('bm1397'), chipModel('bm1366')] : [model];
      for (const m of models) {
        const baud = baudFromRegister(m, register, value);
        if (baud !== null) return `${m.name === 'bm1397' ? 'BM1397' : 'BM1366 family'}: UART ${baud} baud`;
      }
      return register === REG.MISC_CONTROL ? `nonce reporting enables ${hx(value >>> 28, 1)}` : undefined;
    }
    default:
      return undefined;
  }
}

function fmt(mhz: number): string {
  return Number(mhz.toFixed(3)).toString();
}

function inspectJob(bytes: Uint8Array, model: ChipModel | null): InspectedFrame {
  const midstateSize = midstateJobBytesFromLength(bytes[3]);
  // An 88-byte frame is also what a 2-midstate BM1397 job measures; without --chip it is read as the
  // BM1366-family job (what ESP-Miner sends every chip of that family). BM1397 drivers send 1 or 4 midstates.
  const full = model !== null ? model.jobFormat === 'full-header' : bytes.length === FULL_JOB_BYTES;
  const f = new Fields(bytes);
  f.add('preamble', 0, 2, '55 AA');
  f.add('header', 2, 1, '0x21', 'job');
  if (full) {
    if (bytes.length !== FULL_JOB_BYTES) {
      throw new FrameError(`a full-header job (BM1366/68/70) is ${FULL_JOB_BYTES} bytes, got ${bytes.length}`);
    }
    const j = decodeFullHeaderJob(bytes);
    f.add('length', 3, 1, j.lengthByte, 'ESP-Miner sends 0x56, factory firmware 0x36; chips accept both');
    f.add('job id', 4, 1, hx(j.jobId, 2));
    f.add('num midstates', 5, 1, j.numMidstates, 'vestigial in this format');
    f.add('start nonce', 6, 4, hx(j.startNonce, 8), 'little-endian');
    f.add('nbits', 10, 4, hx(j.nbits, 8), 'little-endian');
    f.add('ntime', 14, 4, j.ntime, new Date(j.ntime * 1000).toISOString());
    f.add(
      'merkle root',
      18,
      32,
      bytesToHexReversed(j.merkleRoot),
      'display order; on the wire: header order, words reversed',
    );
    f.add(
      'previous hash',
      50,
      32,
      bytesToHexReversed(j.prevHash),
      'display order; on the wire: header order, words reversed',
    );
    f.add('version', 82, 4, hx(j.version, 8), 'little-endian; the chip rolls bits 28..13');
    const want = crc16(bytes, 2, 86);
    f.add('crc16', 86, 2, hx((bytes[86] << 8) | bytes[87], 4));
    return {
      direction: 'host-to-chip',
      kind: 'job-full-header',
      bytes: FULL_JOB_BYTES,
      model: model?.name ?? null,
      crc: { kind: 'crc16', ok: j.crcOk, frame: hx((bytes[86] << 8) | bytes[87], 4), computed: hx(want, 4) },
      fields: f.list,
    };
  }
  if (midstateSize === 0) {
    throw new FrameError(`BM1397 job length byte ${hx(bytes[3], 2)} is not 22 + 32 × (1..4)`);
  }
  if (bytes.length !== midstateSize) {
    throw new FrameError(`the length byte says ${midstateSize} bytes, got ${bytes.length}`);
  }
  const j = decodeMidstateJob(bytes);
  f.add('length', 3, 1, j.lengthByte, `${j.slots} midstate slot(s)`);
  f.add('job id', 4, 1, hx(j.jobId, 2));
  f.add('num midstates', 5, 1, j.numMidstates, 'midstates the chip hashes; replies name one by index 0..3');
  f.add('start nonce', 6, 4, hx(j.startNonce, 8), 'little-endian');
  f.add('nbits', 10, 4, hx(j.nbits, 8), 'little-endian');
  f.add('ntime', 14, 4, j.ntime, new Date(j.ntime * 1000).toISOString());
  f.add('merkle tail', 18, 4, bytesToHex(j.merkleTail), 'header bytes 64..67');
  for (let k = 0; k < j.slots; k++) {
    const used = k < j.numMidstates;
    f.add(
      `midstate ${k}`,
      22 + 32 * k,
      32,
      used ? bytesToHex(bytes.subarray(22 + 32 * k, 54 + 32 * k)) : null,
      used ? 'state words H7..H0' : 'unused slot',
    );
  }
  const size = midstateSize;
  const want = crc16(bytes, 2, size - 2);
  const have = (bytes[size - 2] << 8) | bytes[size - 1];
  f.add('crc16', size - 2, 2, hx(have, 4));
  return {
    direction: 'host-to-chip',
    kind: 'job-midstate',
    bytes: size,
    model: 'bm1397',
    crc: { kind: 'crc16', ok: want === have, frame: hx(have, 4), computed: hx(want, 4) },
    fields: f.list,
  };
}

function inspectResponse(bytes: Uint8Array, model: ChipModel | null): InspectedFrame {
  if (bytes.length !== 9 && bytes.length !== 11) {
    throw new FrameError(`a response is 9 bytes (BM1397, or before version rolling) or 11 bytes, got ${bytes.length}`);
  }
  const size = bytes.length;
  const type = bytes[size - 1] >>> 5;
  if (type !== 0 && type !== 4) throw new FrameError(`response type ${type}: only 0 (register) and 4 (nonce) exist`);
  const r = decodeResponse(bytes, 0, size, false);
  const f = new Fields(bytes);
  f.add('preamble', 0, 2, 'AA 55');
  const crcWant = expectedResponseCrc(bytes, 0, size);
  const crcHave = bytes[size - 1] & 0x1f;
  let used: ChipModel | null = model;
  if (r.kind === 'register') {
    f.add('value', 2, 4, hx(r.value, 8), registerValueNote(r.register, r.value));
    f.add('chip address', 6, 1, r.chipAddress);
    f.add('register', 7, 1, hx(r.register, 2), registerName(r.register));
    if (size === 11) f.add('unknown', 8, 2, bytesToHex(bytes.subarray(8, 10)), '00 00 in every capture');
  } else {
    if (used === null && size === 9) used = chipModel('bm1397');
    f.add('nonce', 2, 4, hx(r.nonce, 8), 'header nonce value (bytes read little-endian)');
    const core = r.nonceBE >>> 25;
    f.add('core id', 2, 1, core, 'nonce bits 31..25 (bytes read most significant first)');
    if (used === null || used.chipSlice === 'address-bit-18') {
      f.add(
        'chip address bits',
        2,
        4,
        hx(((r.nonceBE >>> 18) & 0x7f) << 1, 2),
        'BM1366/BM1368: nonce bits 24..18 = address bits 7..1',
      );
    } else if (used.chipSlice === 'address-bit-17') {
      f.add('chip address bits', 2, 4, hx((r.nonceBE >>> 17) & 0xff, 2), 'BM1397 (ESP-Miner): nonce bits 24..17');
    } else {
      f.add(
        'sweep counter',
        2,
        4,
        hx(r.nonceBE & 0x1ffffff, 7),
        'BM1370: no chip field; the chip is the one whose CHIP_NONCE_OFFSET range holds this',
      );
    }
    if (size === 9) {
      f.add('byte 6', 6, 1, r.byte6, 'BM1397 "midstate number"; unused');
    } else {
      f.add('excess difficulty', 6, 1, r.byte6, `≈ ${r.byte6 / 2} bits above the ticket difficulty`);
    }
    const header = r.resultHeader;
    if (used !== null) {
      f.add('job id', 7, 1, hx(jobIdFromReply(used, header), 2), `as sent (${used.name} placement)`);
      f.add(used.jobFormat === 'midstate' ? 'midstate index' : 'sub-core', 7, 1, subcoreFromReply(used, header));
    } else {
      const b66 = chipModel('bm1366');
      const b70 = chipModel('bm1370');
      f.add('job id', 7, 1, hx(jobIdFromReply(b66, header), 2), 'BM1366 placement (bits 7..3); pass --chip for others');
      f.add('job id (BM1368/BM1370)', 7, 1, hx(jobIdFromReply(b70, header), 2), 'bits 7..4 = sent bits 6..3');
      f.add('sub-core', 7, 1, subcoreFromReply(b66, header), 'BM1366: bits 2..0; BM1368/70: bits 3..0');
    }
    if (r.versionField !== null) {
      f.add('version field', 8, 2, hx(r.versionField, 4), `rolled version bits ${hx((r.versionField << 13) >>> 0, 8)}`);
    }
  }
  f.add(
    'type + crc5',
    size - 1,
    1,
    hx(bytes[size - 1], 2),
    `type ${type} (${type === 4 ? 'nonce' : 'register'}), CRC5 ${hx(crcHave, 2)}`,
  );
  return {
    direction: 'chip-to-host',
    kind: r.kind === 'register' ? 'register-reply' : 'nonce-reply',
    bytes: size,
    model: used?.name ?? null,
    crc: { kind: 'crc5', ok: crc5(bytes, 2, size) === 0, frame: hx(crcHave, 2), computed: hx(crcWant, 2) },
    fields: f.list,
  };
}

function registerValueNote(register: number, value: number): string | undefined {
  if (register === REG.CHIP_ID) {
    const m = chipModelById(value >>> 16);
    return `chip id ${hx(value >>> 16, 4)}${m ? ` (${m.name})` : ''}, core byte ${hx((value >>> 8) & 0xff, 2)}, address ${hx(value & 0xff, 2)}`;
  }
  return undefined;
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chipModel } from '../../../drivers/asic/chip-model.js';
import {
  decodeCommand,
  encodeChainInactive,
  encodeReadRegister,
  encodeSetAddress,
  encodeWriteRegister,
} from '../../../drivers/asic/command.js';
import { FrameError } from '../../../drivers/asic/errors.js';
import { encodePllRegister, solvePll } from '../../../drivers/asic/pll.js';
import { REG } from '../../../drivers/asic/registers.js';
import { encodeTicketMask } from '../../../drivers/asic/ticket-mask.js';
import { encodeVersionRollingRegister } from '../../../drivers/asic/version-rolling.js';
import { bytesToHex } from '../../../src/util/hex.js';
import { hex } from '../../support/bm13xx.js';
import { readVectorJson, vectorsMissing } from '../../support/vectors.js';

const h = (b: Uint8Array): string => bytesToHex(b);

// Real constant packets, built from what they mean (sources: shared/spec/bm13xx.md §2.4 and the vectors).
test('encoders reproduce the real constant command packets byte for byte', () => {
  const cases: Array<[string, Uint8Array]> = [
    ['55aa520500000a', encodeReadRegister('all', REG.CHIP_ID)], // read chip id, all chips (ESP-Miner literal)
    ['55aa5305000003', encodeChainInactive()], // chain inactive (S21 Pro capture, BM1397 capture)
    ['55aa400500001c', encodeSetAddress(0x00)], // set address 0 (BM1397 capture)
    ['55aa4005040003', encodeSetAddress(0x04)], // set address 4 (S21 Pro capture)
    ['55aa4005800010', encodeSetAddress(0x80)], // second chip of two
    [
      '55aa510900a49000ffff1c',
      encodeWriteRegister('all', REG.VERSION_ROLLING, encodeVersionRollingRegister(0x1fffe000)),
    ],
    ['55aa510900281130020003', encodeWriteRegister('all', REG.FAST_UART_CONFIGURATION, 0x11300200)],
    ['55aa5109001800007a3115', encodeWriteRegister('all', REG.MISC_CONTROL, 0x00007a31)], // BM1397 baud 115,740
    ['55aa510900180000603100', encodeWriteRegister('all', REG.MISC_CONTROL, 0x00006031)], // BM1397 3.125 Mbaud
    ['55aa410900a8000701f015', encodeWriteRegister(0x00, REG.SOFT_RESET_CONTROL, 0x000701f0)], // S21 Pro dump
    ['55aa4109002c007c000303', encodeWriteRegister(0x00, REG.UART_RELAY, 0x007c0003)], // BM1366 init171
    ['55aa51090014000000ff08', encodeWriteRegister('all', REG.TICKET_MASK, encodeTicketMask(256))],
    ['55aa510900700f0f0f0019', encodeWriteRegister('all', REG.PLL0_DIVIDER, 0x0f0f0f00)], // BM1397 prefreq
    ['55aa5109003c80008b0012', encodeWriteRegister('all', REG.CORE_REGISTER_CONTROL, 0x80008b00)],
    ['55aa5109000840a0022516', encodeWriteRegister('all', REG.PLL0_PARAMETER, 0x40a00225)], // cgminer 200 MHz
    [
      '55aa510900084044022107',
      encodeWriteRegister('all', REG.PLL0_PARAMETER, encodePllRegister(solvePll(425, 60, 200), chipModel('bm1397'))),
    ],
    // ESP-Miner bm1366.c literals (init sequence)
    ['55aa51090018ff0fc10000', encodeWriteRegister('all', REG.MISC_CONTROL, 0xff0fc100)],
    ['55aa510900a80007000003', encodeWriteRegister('all', REG.SOFT_RESET_CONTROL, 0x00070000)],
    ['55aa5109003c800085400c', encodeWriteRegister('all', REG.CORE_REGISTER_CONTROL, 0x80008540)],
    ['55aa5109003c8000802019', encodeWriteRegister('all', REG.CORE_REGISTER_CONTROL, 0x80008020)],
    ['55aa51090054000000031d', encodeWriteRegister('all', REG.ANALOG_MUX, 0x00000003)],
    ['55aa510900580211111106', encodeWriteRegister('all', REG.IO_DRIVER_STRENGTH, 0x02111111)],
    // mujina: CRC5 table (set address 2, 6, 8), Bitaxe and S21 Pro captures, a per-chip write
    ['55aa4005020001', encodeSetAddress(0x02)],
    ['55aa400506001e', encodeSetAddress(0x06)],
    ['55aa4005080007', encodeSetAddress(0x08)],
    ['55aa51090018f000c10004', encodeWriteRegister('all', REG.MISC_CONTROL, 0xf000c100)],
    ['55aa5109001000001eb50f', encodeWriteRegister('all', REG.HASH_COUNTING_NUMBER, 0x00001eb5)],
    ['55aa41090100137000010a', encodeWriteRegister(0x01, REG.CHIP_ID, 0x13700001)],
  ];
  for (const [want, got] of cases) assert.equal(h(got), want);
});

// cgminer's driver-gekko keeps its commands as payload arrays (header … value, CRC byte left 0 and filled in at send
// time by its own CRC5, which the crc tests show is the same function). Our encoders build the same payloads.
test("encoders build cgminer's BM1397 / BM1362 / BM1370 command payloads byte for byte", () => {
  const cases: Array<[string, Uint8Array]> = [
    ['53050000', encodeChainInactive()], // chainin
    ['40050000', encodeSetAddress(0x00)], // chippy
    ['5109008000000000', encodeWriteRegister('all', 0x80, 0x00000000)], // BM1397 init1
    ['5109008400000000', encodeWriteRegister('all', 0x84, 0x00000000)], // init2
    ['5109002000000001', encodeWriteRegister('all', REG.ORDERED_CLOCK_ENABLE, 0x00000001)], // init3
    ['5109003c80008074', encodeWriteRegister('all', REG.CORE_REGISTER_CONTROL, 0x80008074)], // init4
    ['51090068c0700111', encodeWriteRegister('all', REG.PLL3_PARAMETER, 0xc0700111)], // init5
    ['510900280600000f', encodeWriteRegister('all', REG.FAST_UART_CONFIGURATION, 0x0600000f)], // init6
    ['5109001800006131', encodeWriteRegister('all', REG.MISC_CONTROL, 0x00006131)], // baud 1.5625 M
    ['510900700f0f0f00', encodeWriteRegister('all', REG.PLL0_DIVIDER, 0x0f0f0f00)], // prefreqall
    ['410900700f0f0f00', encodeWriteRegister(0x00, REG.PLL0_DIVIDER, 0x0f0f0f00)], // prefreqch
    ['5109000840f00235', encodeWriteRegister('all', REG.PLL0_PARAMETER, 0x40f00235)], // freqbufall
    ['410900a800000002', encodeWriteRegister(0x00, REG.SOFT_RESET_CONTROL, 0x00000002)], // BM1362 core0
    ['41090018b000c100', encodeWriteRegister(0x00, REG.MISC_CONTROL, 0xb000c100)], // core1
    ['5109002811300000', encodeWriteRegister('all', REG.FAST_UART_CONFIGURATION, 0x11300000)], // 3 Mbaud
    ['410900580001f111', encodeWriteRegister(0x00, REG.IO_DRIVER_STRENGTH, 0x0001f111)], // BM1370
    ['42050058', encodeReadRegister(0x00, REG.IO_DRIVER_STRENGTH)], // core1: read one chip
    ['52050058', encodeReadRegister('all', REG.IO_DRIVER_STRENGTH)], // init6: read every chip
    ['510900685aa55aa5', encodeWriteRegister('all', REG.PLL3_PARAMETER, 0x5aa55aa5)], // pll
    ['5109001000000f25', encodeWriteRegister('all', REG.HASH_COUNTING_NUMBER, 0x00000f25)], // hcn
    ['4109002c00130007', encodeWriteRegister(0x00, REG.UART_RELAY, 0x00130007)], // core2
    ['4205002c', encodeReadRegister(0x00, REG.UART_RELAY)], // core3
  ];
  for (const [payload, frame] of cases) {
    assert.equal(h(frame.subarray(0, 2)), '55aa');
    assert.equal(h(frame.subarray(2, frame.length - 1)), payload);
    assert.doesNotThrow(() => decodeCommand(frame)); // CRC5 filled in and consistent
  }
});

interface Packet {
  hex: string;
  name?: string;
}

function allCommandPackets(): string[] {
  const out = new Set<string>();
  const add = (x: string): void => {
    if (x.startsWith('55aa') && x.slice(4, 6) !== '21') out.add(x);
  };
  for (const p of readVectorJson<{ packets: Packet[] }>('bm13xx/esp-miner-constant-packets.json').packets) add(p.hex);
  for (const p of readVectorJson<{ packets: Packet[] }>('bm13xx/esp-miner-bm13xx.json').packets) add(p.hex);
  const sc = readVectorJson<{
    commandPackets: Packet[];
    ticketMask: { rows: Array<{ packet: string }> };
    pll: { rows: Array<{ packet: string }> };
    hashCountingNumber: { rows: Array<{ packet: string }> };
    versionRolling: { maskRegister: Array<{ packet: string }> };
  }>('bm13xx/spec-crosscheck.json');
  for (const p of sc.commandPackets) add(p.hex);
  for (const r of sc.ticketMask.rows) add(r.packet);
  for (const r of sc.pll.rows) add(r.packet);
  for (const r of sc.hashCountingNumber.rows) add(r.packet);
  for (const r of sc.versionRolling.maskRegister) add(r.packet);
  const init = readVectorJson<{ initSequences: { sequences: Record<string, Array<{ tx: string }>> } }>(
    'bm13xx/spec-crosscheck-init.json',
  );
  for (const seq of Object.values(init.initSequences.sequences)) for (const e of seq) add(e.tx);
  return [...out];
}

test('every command packet in the vectors decodes and re-encodes to the same bytes', { skip: vectorsMissing }, () => {
  const packets = allCommandPackets();
  assert.ok(packets.length > 150, `only ${packets.length} packets found`);
  for (const p of packets) {
    const b = hex(p);
    const cmd = decodeCommand(b);
    let again: Uint8Array;
    switch (cmd.kind) {
      case 'set-address':
        again = encodeSetAddress(cmd.address);
        break;
      case 'chain-inactive':
        again = encodeChainInactive();
        break;
      case 'read-register':
        again = encodeReadRegister(cmd.broadcast ? 'all' : cmd.chipAddress, cmd.register);
        break;
      case 'write-register':
        again = encodeWriteRegister(cmd.broadcast ? 'all' : cmd.chipAddress, cmd.register, cmd.value);
        break;
    }
    assert.equal(h(again), p);
  }
});

test('decodeCommand names what is wrong with a bad frame', () => {
  const bad: Array<[string, RegExp]> = [
    ['55aa520500000b', /CRC5 mismatch: frame has 0x0b, computed 0x0a/],
    ['55aa5206000000', /length byte is 6, expected 5/],
    ['55aa5a0500000a', /unknown command header 0x5a/],
    ['aa55520500000a', /preamble 55 AA/],
    ['55aa51090014000000ff', /is 11 bytes, got 10/],
  ];
  for (const [frame, reason] of bad) {
    assert.throws(
      () => decodeCommand(hex(frame)),
      (err: unknown) => err instanceof FrameError && reason.test(err.message),
    );
  }
});

test('encoders refuse values that do not fit the frame', () => {
  assert.throws(() => encodeSetAddress(256), RangeError);
  assert.throws(() => encodeWriteRegister('all', 0x14, 2 ** 32), RangeError);
  assert.throws(() => encodeReadRegister(-1, 0), RangeError);
});

import {
  decodeSlinear11,
  decodeUlinear16,
  encodeSlinear11,
  PMBUS,
  STATUS_CML,
  STATUS_IOUT,
  STATUS_TEMPERATURE,
  STATUS_VOUT,
  STATUS_WORD,
  voutModeExponent,
} from '../i2c/pmbus.js';
import { type I2cDeviceModel, I2cModelNack } from './i2c-emulated-bus.js';

type Kind = 'byte' | 'word' | 'block' | 'send';

interface Command {
  kind: Kind;
  writable: boolean;
  value: number | number[];
}

const VOUT_MODE = 0x17; // ULINEAR16, exponent −9
const ON_OFF_PU = 0x10;
const ON_OFF_CMD = 0x08;

/**
 * TPS546D24A PMBus model. Every command the driver uses is here with its PMBus size; writes of the wrong
 * size set STATUS_CML "invalid data", unknown commands NACK and set "invalid command", as the part does.
 *
 * Behaviour: the output is on when VIN ≥ VIN_ON and the ON_OFF_CONFIG sources allow it (OPERATION bit 7 when
 * CMD is set; the CONTROL pin is taken as asserted), and no latched fault holds it off. VOUT follows
 * VOUT_COMMAND clamped to VOUT_MIN..VOUT_MAX (flagging STATUS_VOUT MIN/MAX). Over-temperature above
 * OT_FAULT_LIMIT turns the output off until the part cools below OT_WARN_LIMIT (ESP-Miner's response 0xFF);
 * over-current above IOUT_OC_FAULT_LIMIT latches it off until OPERATION is cycled. Status bits stay set until
 * CLEAR_FAULTS. The VOUT OV/UV limits are not enforced: how the part reads ESP-Miner's values is unverified.
 *
 * Stacks (Gamma Turbo): `modules` parts share one output and the load current equally. The model stands for
 * the stack's master, the part the host talks to: READ_IOUT reports the whole stack's current when PHASE is
 * 0xFF (all phases, as PMBus defines it) and one module's share when PHASE selects a single phase. Limits are
 * compared with the stack's total current (how the part applies them per phase is unverified).
 */
export class Tps546Model implements I2cDeviceModel {
  readonly part = 'TPS546';
  private readonly cmds = new Map<number, Command>();
  private vinV = 5;
  private ioutA = 0;
  private tempC = 25;
  private otLatched = false;
  private ocLatched = false;
  private statusVout = 0;
  private statusIout = 0;
  private statusTemp = 0;
  private statusCml = 0;
  private statusInput = 0;

  /** TPS546 modules stacked behind this one (1 = a lone regulator). */
  readonly modules: number;

  constructor(
    deviceId: readonly number[] = [0x54, 0x49, 0x54, 0x6d, 0x24, 0x41],
    options: { readonly modules?: number } = {},
  ) {
    this.modules = Math.max(1, Math.floor(options.modules ?? 1));
    const def = (code: number, kind: Kind, value: number | number[], writable = true): void => {
      this.cmds.set(code, { kind, writable, value });
    };
    def(PMBUS.OPERATION, 'byte', 0x00);
    def(PMBUS.ON_OFF_CONFIG, 'byte', 0x17);
    def(PMBUS.CLEAR_FAULTS, 'send', 0);
    def(PMBUS.PHASE, 'byte', 0xff);
    def(PMBUS.CAPABILITY, 'byte', 0xd0, false);
    def(PMBUS.VOUT_MODE, 'byte', VOUT_MODE, false);
    def(PMBUS.VOUT_COMMAND, 'word', 0x0200); // 1.0 V
    def(PMBUS.VOUT_MAX, 'word', 0x0b00); // 5.5 V
    def(PMBUS.VOUT_MARGIN_HIGH, 'word', 0x0219);
    def(PMBUS.VOUT_MARGIN_LOW, 'word', 0x01e7);
    def(PMBUS.VOUT_SCALE_LOOP, 'word', 0xc808);
    def(PMBUS.VOUT_MIN, 'word', 0x0000);
    def(PMBUS.FREQUENCY_SWITCH, 'word', 0x0226);
    def(PMBUS.VIN_ON, 'word', 0xd300);
    def(PMBUS.VIN_OFF, 'word', 0xd280);
    def(PMBUS.INTERLEAVE, 'word', 0x0020);
    def(PMBUS.VOUT_OV_FAULT_LIMIT, 'word', 0x0280);
    def(PMBUS.VOUT_OV_WARN_LIMIT, 'word', 0x0250);
    def(PMBUS.VOUT_UV_WARN_LIMIT, 'word', 0x01b0);
    def(PMBUS.VOUT_UV_FAULT_LIMIT, 'word', 0x0180);
    def(PMBUS.IOUT_OC_FAULT_LIMIT, 'word', 0xdbc0);
    def(PMBUS.IOUT_OC_FAULT_RESPONSE, 'byte', 0xc0);
    def(PMBUS.IOUT_OC_WARN_LIMIT, 'word', 0xdb20);
    def(PMBUS.OT_FAULT_LIMIT, 'word', 0x0091);
    def(PMBUS.OT_FAULT_RESPONSE, 'byte', 0xff);
    def(PMBUS.OT_WARN_LIMIT, 'word', 0x0069);
    def(PMBUS.VIN_OV_FAULT_LIMIT, 'word', 0xd380);
    def(PMBUS.VIN_OV_FAULT_RESPONSE, 'byte', 0xb7);
    def(PMBUS.VIN_UV_WARN_LIMIT, 'word', 0xd200);
    def(PMBUS.TON_DELAY, 'word', 0x0000);
    def(PMBUS.TON_RISE, 'word', 0xe014);
    def(PMBUS.TON_MAX_FAULT_LIMIT, 'word', 0x0000);
    def(PMBUS.TON_MAX_FAULT_RESPONSE, 'byte', 0x3b);
    def(PMBUS.TOFF_DELAY, 'word', 0x0000);
    def(PMBUS.TOFF_FALL, 'word', 0x0000);
    def(PMBUS.STATUS_BYTE, 'byte', 0, false);
    def(PMBUS.STATUS_WORD, 'word', 0, false);
    def(PMBUS.STATUS_VOUT, 'byte', 0, false);
    def(PMBUS.STATUS_IOUT, 'byte', 0, false);
    def(PMBUS.STATUS_INPUT, 'byte', 0, false);
    def(PMBUS.STATUS_TEMPERATURE, 'byte', 0, false);
    def(PMBUS.STATUS_CML, 'byte', 0, false);
    def(PMBUS.STATUS_OTHER, 'byte', 0, false);
    def(PMBUS.STATUS_MFR_SPECIFIC, 'byte', 0, false);
    def(PMBUS.READ_VIN, 'word', 0, false);
    def(PMBUS.READ_VOUT, 'word', 0, false);
    def(PMBUS.READ_IOUT, 'word', 0, false);
    def(PMBUS.READ_TEMPERATURE_1, 'word', 0, false);
    def(PMBUS.MFR_ID, 'block', [0x54, 0x49, 0x00], false);
    def(PMBUS.MFR_MODEL, 'block', [0x00, 0x00, 0x00], false);
    def(PMBUS.MFR_REVISION, 'block', [0x00, 0x00, 0x00], false);
    def(PMBUS.IC_DEVICE_ID, 'block', [...deviceId], false);
    def(PMBUS.IC_DEVICE_REV, 'block', [0x00], false);
    def(PMBUS.COMPENSATION_CONFIG, 'block', [0x13, 0x11, 0x08, 0x19, 0x04]);
    def(PMBUS.SYNC_CONFIG, 'byte', 0xf0);
    def(PMBUS.STACK_CONFIG, 'word', 0x0000);
    def(PMBUS.PIN_DETECT_OVERRIDE, 'word', 0x0000);
  }

  /** Physics → the part's sensors: input volts, output amps drawn by the load, die temperature. */
  setConditions(vinV: number, ioutA: number, tempC: number): void {
    this.vinV = vinV;
    this.tempC = tempC;
    this.ioutA = this.isOn() ? Math.max(0, ioutA) : 0;
    this.evaluateFaults();
  }

  private word(code: number): number {
    return this.cmds.get(code)?.value as number;
  }

  private exponent(): number {
    return voutModeExponent(this.word(PMBUS.VOUT_MODE));
  }

  /** The output the load sees (V); 0 when off. */
  outputV(): number {
    if (!this.isOn()) return 0;
    const e = this.exponent();
    const cmd = decodeUlinear16(this.word(PMBUS.VOUT_COMMAND), e);
    const min = decodeUlinear16(this.word(PMBUS.VOUT_MIN), e);
    const max = decodeUlinear16(this.word(PMBUS.VOUT_MAX), e);
    return Math.min(max, Math.max(min, cmd));
  }

  isOn(): boolean {
    if (this.otLatched || this.ocLatched) return false;
    if (this.vinV < decodeSlinear11(this.word(PMBUS.VIN_ON))) return false;
    const cfg = this.word(PMBUS.ON_OFF_CONFIG);
    if (!(cfg & ON_OFF_PU)) return true;
    // The CONTROL pin (ON_OFF_CP) is taken as strapped active, as it is assumed to be on Bitaxe boards.
    return !(cfg & ON_OFF_CMD) || (this.word(PMBUS.OPERATION) & 0x80) !== 0;
  }

  private evaluateFaults(): void {
    const otFault = decodeSlinear11(this.word(PMBUS.OT_FAULT_LIMIT));
    const otWarn = decodeSlinear11(this.word(PMBUS.OT_WARN_LIMIT));
    if (this.tempC >= otFault) {
      this.otLatched = true;
      this.statusTemp |= STATUS_TEMPERATURE.OT_FAULT;
    } else if (this.otLatched && this.tempC < otWarn) {
      this.otLatched = false;
    }
    if (this.tempC >= otWarn) this.statusTemp |= STATUS_TEMPERATURE.OT_WARNING;
    if (this.ioutA >= decodeSlinear11(this.word(PMBUS.IOUT_OC_FAULT_LIMIT))) {
      this.ocLatched = true;
      this.ioutA = 0;
      this.statusIout |= STATUS_IOUT.OC_FAULT;
    } else if (this.ioutA >= decodeSlinear11(this.word(PMBUS.IOUT_OC_WARN_LIMIT))) {
      this.statusIout |= STATUS_IOUT.OC_WARNING;
    }
    if (this.vinV < decodeSlinear11(this.word(PMBUS.VIN_OFF))) this.statusInput |= 0x10;
  }

  statusWord(): number {
    let w = 0;
    if (!this.isOn()) w |= STATUS_WORD.OFF | STATUS_WORD.POWER_GOOD_N;
    if (this.statusIout & STATUS_IOUT.OC_FAULT) w |= STATUS_WORD.IOUT_OC_FAULT;
    if (this.statusInput & 0x10) w |= STATUS_WORD.VIN_UV_FAULT;
    if (this.statusTemp) w |= STATUS_WORD.TEMPERATURE;
    if (this.statusCml) w |= STATUS_WORD.CML;
    if (this.statusVout) w |= STATUS_WORD.VOUT;
    if (this.statusIout) w |= STATUS_WORD.IOUT;
    if (this.statusInput) w |= STATUS_WORD.INPUT;
    return w;
  }

  write(command: number, data: Uint8Array): void {
    const cmd = this.cmds.get(command);
    if (cmd === undefined) {
      this.statusCml |= STATUS_CML.INVALID_COMMAND;
      throw new I2cModelNack(`TPS546 does not support command 0x${command.toString(16)}`);
    }
    if (cmd.kind === 'send') {
      if (command === PMBUS.CLEAR_FAULTS) this.clearFaults();
      return;
    }
    const expected = cmd.kind === 'byte' ? 1 : cmd.kind === 'word' ? 2 : 1 + (data[0] ?? 0);
    if (!cmd.writable || data.length !== expected) {
      this.statusCml |= STATUS_CML.INVALID_DATA;
      return;
    }
    const wasOn = this.isOn();
    if (cmd.kind === 'byte') cmd.value = data[0];
    else if (cmd.kind === 'word') cmd.value = data[0] | (data[1] << 8);
    else cmd.value = Array.from(data.subarray(1));
    if (command === PMBUS.OPERATION && !(data[0] & 0x80)) this.ocLatched = false; // turning off re-arms OC
    if (command === PMBUS.VOUT_COMMAND) this.checkVoutRange();
    if (!wasOn && this.isOn()) this.checkVoutRange();
  }

  /** What READ_IOUT reports under the current PHASE: the whole stack (0xFF) or one module's share. */
  private ioutReadingA(): number {
    return this.word(PMBUS.PHASE) === 0xff ? this.ioutA : this.ioutA / this.modules;
  }

  /** The COMPENSATION_CONFIG block the part holds now (five bytes). */
  compensationConfig(): number[] {
    const value = this.cmds.get(PMBUS.COMPENSATION_CONFIG)?.value;
    return Array.isArray(value) ? [...value] : [];
  }

  /** The raw value of a byte or word command (STACK_CONFIG, SYNC_CONFIG, PHASE...), for tests. */
  commandValue(code: number): number | undefined {
    const v = this.cmds.get(code)?.value;
    return typeof v === 'number' ? v : undefined;
  }

  private checkVoutRange(): void {
    const e = this.exponent();
    const v = decodeUlinear16(this.word(PMBUS.VOUT_COMMAND), e);
    if (v < decodeUlinear16(this.word(PMBUS.VOUT_MIN), e) || v > decodeUlinear16(this.word(PMBUS.VOUT_MAX), e)) {
      this.statusVout |= STATUS_VOUT.MIN_MAX;
    }
  }

  private clearFaults(): void {
    this.statusVout = 0;
    this.statusIout = 0;
    this.statusTemp = 0;
    this.statusCml = 0;
    this.statusInput = 0;
    this.evaluateFaults();
  }

  read(command: number, length: number): Uint8Array {
    const cmd = this.cmds.get(command);
    if (cmd === undefined) {
      this.statusCml |= STATUS_CML.INVALID_COMMAND;
      throw new I2cModelNack(`TPS546 does not support command 0x${command.toString(16)}`);
    }
    let bytes: number[];
    switch (command) {
      case PMBUS.STATUS_WORD: {
        const w = this.statusWord();
        bytes = [w & 0xff, w >> 8];
        break;
      }
      case PMBUS.STATUS_BYTE:
        bytes = [this.statusWord() & 0xff];
        break;
      case PMBUS.STATUS_VOUT:
        bytes = [this.statusVout];
        break;
      case PMBUS.STATUS_IOUT:
        bytes = [this.statusIout];
        break;
      case PMBUS.STATUS_INPUT:
        bytes = [this.statusInput];
        break;
      case PMBUS.STATUS_TEMPERATURE:
        bytes = [this.statusTemp];
        break;
      case PMBUS.STATUS_CML:
        bytes = [this.statusCml];
        break;
      case PMBUS.READ_VIN:
        bytes = le(encodeSlinear11(this.vinV));
        break;
      case PMBUS.READ_VOUT:
        bytes = le(Math.round(this.outputV() / 2 ** this.exponent()));
        break;
      case PMBUS.READ_IOUT:
        bytes = le(encodeSlinear11(this.isOn() ? this.ioutReadingA() : 0));
        break;
      case PMBUS.READ_TEMPERATURE_1:
        bytes = le(encodeSlinear11(this.tempC));
        break;
      default:
        if (cmd.kind === 'block') {
          const data = cmd.value as number[];
          bytes = [data.length, ...data];
        } else if (cmd.kind === 'word') {
          bytes = le(cmd.value as number);
        } else {
          bytes = [cmd.value as number];
        }
    }
    const out = new Uint8Array(length).fill(0xff);
    out.set(bytes.slice(0, length));
    return out;
  }
}

function le(word: number): number[] {
  return [word & 0xff, (word >> 8) & 0xff];
}

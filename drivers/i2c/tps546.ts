import type { Tps546Profile } from '../../src/config/board.js';
import { DeviceFaultError } from './device-error.js';
import { hex2, type I2CBus } from './i2c-bus.js';
import {
  decodeSlinear11,
  decodeUlinear16,
  encodeSlinear11,
  encodeSlinear11Int,
  encodeUlinear16,
  PMBUS,
  STATUS_CML,
  STATUS_IOUT,
  STATUS_TEMPERATURE,
  STATUS_VOUT,
  STATUS_WORD,
  voutModeExponent,
} from './pmbus.js';

/**
 * TI TPS546D24A/S PMBus buck: the core supply on Gamma, Gamma Duo, Gamma Turbo (two stacked as one two-phase
 * regulator), Hex and the TPS546 revisions of Ultra/Supra, and their power telemetry. Init restates ESP-Miner's
 * main/power/TPS546.c: output off, every limit written on each boot (never stored to the part's NVM), then
 * VOUT_COMMAND + OPERATION ON when a voltage is set.
 */
export const TPS546_ADDRESS = 0x24;

/** IC_DEVICE_ID answers: TPS546D24A, TPS546D24S (ESP-Miner) and TPS546B24A (mujina also accepts it). */
export const TPS546_DEVICE_IDS: readonly (readonly number[])[] = [
  [0x54, 0x49, 0x54, 0x6d, 0x24, 0x41],
  [0x54, 0x49, 0x54, 0x6d, 0x24, 0x62],
  [0x54, 0x49, 0x54, 0x6b, 0x24, 0x41],
];

export const OPERATION_OFF = 0x00;
export const OPERATION_ON = 0x80;
/** ON_OFF_CONFIG: act on the OPERATION command (CMD | PU), CONTROL pin polarity and immediate turn-off. */
export const ON_OFF_CONFIG_CMD_ONLY = 0x1b;
/** ON_OFF_CONFIG written first so nothing turns the output on before the configuration is complete. */
export const ON_OFF_CONFIG_WITH_PIN = 0x1f;

/** The regulator's per-board settings (ESP-Miner vcore.c get_tps546_config), volts, amps, kHz. */
export interface Tps546Config {
  readonly phase: number;
  readonly stackConfig: number;
  readonly syncConfig: number;
  readonly frequencyKhz: number;
  readonly vinOnV: number;
  readonly vinOffV: number;
  /** 0 = not written (ESP-Miner skips it on 5 V boards). */
  readonly vinUvWarnV: number;
  readonly vinOvFaultV: number;
  readonly voutScaleLoop: number;
  readonly voutMinV: number;
  readonly voutMaxV: number;
  readonly voutCommandV: number;
  readonly ioutOcWarnA: number;
  readonly ioutOcFaultA: number;
  /**
   * COMPENSATION_CONFIG (0xB1) as the five bytes of its SMBus block, or null to keep the part's own loop
   * compensation (ESP-Miner writes it only for the stacked Gamma Turbo pair).
   */
  readonly compensationConfig: readonly number[] | null;
}

const COMMON = {
  vinOvFaultResponse: 0xb7,
  // ESP-Miner's header calls these ratios of VOUT_COMMAND but writes them as ULINEAR16 volts; how the part
  // reads them is unverified. Kept exactly as ESP-Miner sends them, which is what runs on real boards.
  voutOvFaultLimit: 1.25,
  voutOvWarnLimit: 1.16,
  voutMarginHigh: 1.1,
  voutMarginLow: 0.9,
  voutUvWarnLimit: 0.9,
  voutUvFaultLimit: 0.75,
  ioutOcFaultResponse: 0xc0, // shut down, no retry
  otWarnLimitC: 105,
  otFaultLimitC: 145,
  otFaultResponse: 0xff, // wait for cooling, then restart
  tonDelayMs: 0,
  tonRiseMs: 3,
  tonMaxFaultLimitMs: 0,
  tonMaxFaultResponse: 0x3b,
  toffDelayMs: 0,
  toffFallMs: 0,
  pinDetectOverride: 0xffff,
} as const;

export const TPS546_PROFILES: Readonly<Record<Tps546Profile, Tps546Config>> = {
  '5v-single': {
    compensationConfig: null,
    phase: 0x00,
    stackConfig: 0x0000,
    syncConfig: 0x10,
    frequencyKhz: 650,
    vinOnV: 4.8,
    vinOffV: 4.5,
    vinUvWarnV: 0,
    vinOvFaultV: 6.5,
    voutScaleLoop: 0.25,
    voutMinV: 1,
    voutMaxV: 2,
    voutCommandV: 1.2,
    ioutOcWarnA: 25,
    ioutOcFaultA: 30,
  },
  '12v-3domain': {
    compensationConfig: null,
    phase: 0x00,
    stackConfig: 0x0000,
    syncConfig: 0x10,
    frequencyKhz: 650,
    vinOnV: 11.5,
    vinOffV: 11.0,
    vinUvWarnV: 11.0,
    vinOvFaultV: 14.8,
    voutScaleLoop: 0.125,
    voutMinV: 2.5,
    voutMaxV: 4.5,
    voutCommandV: 3.6,
    ioutOcWarnA: 25,
    ioutOcFaultA: 30,
  },
  // Gamma Turbo: two modules stacked as one two-phase regulator. PHASE 0xFF addresses both phases at once
  // (READ_IOUT then reports the pair's total); STACK_CONFIG 0x0001 = one slave; SYNC_CONFIG 0xD0 = sync
  // direction auto-detected between the modules.
  '12v-stacked': {
    compensationConfig: [0x12, 0x34, 0x42, 0x21, 0x04],
    phase: 0xff,
    stackConfig: 0x0001,
    syncConfig: 0xd0,
    frequencyKhz: 650,
    vinOnV: 11.0,
    vinOffV: 10.5,
    vinUvWarnV: 11.0,
    vinOvFaultV: 14.8,
    voutScaleLoop: 0.25,
    voutMinV: 1,
    voutMaxV: 3,
    voutCommandV: 1.2,
    ioutOcWarnA: 50,
    ioutOcFaultA: 55,
  },
};

export interface Tps546Telemetry {
  vinV: number;
  voutV: number;
  ioutA: number;
  tempC: number;
}

export interface Tps546Status {
  statusWord: number;
  /** True when a condition ESP-Miner treats as a power fault is set (off, VOUT OV, IOUT OC, VIN UV, temperature). */
  fault: boolean;
  /** Human-readable conditions, e.g. "output off", "over-temperature fault". */
  conditions: string[];
}

/** The STATUS_WORD bits ESP-Miner raises `power_fault` for. */
export const TPS546_FAULT_BITS =
  STATUS_WORD.OFF |
  STATUS_WORD.VOUT_OV_FAULT |
  STATUS_WORD.IOUT_OC_FAULT |
  STATUS_WORD.VIN_UV_FAULT |
  STATUS_WORD.TEMPERATURE;

export class Tps546 {
  private exponent = -9;
  /** A Buffer (a Uint8Array) so i2c-bus's own promisified bus can be handed to this driver as is. */
  private readonly block = Buffer.alloc(8);

  constructor(
    private readonly bus: I2CBus,
    readonly config: Tps546Config,
    readonly address: number = TPS546_ADDRESS,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Verifies the part, turns the output off and writes the whole configuration. The output stays off. */
  async init(): Promise<void> {
    await this.verifyDeviceId();
    const b = this.bus;
    const a = this.address;
    const c = this.config;
    await b.writeByte(a, PMBUS.OPERATION, OPERATION_OFF);
    await b.writeByte(a, PMBUS.ON_OFF_CONFIG, ON_OFF_CONFIG_WITH_PIN);
    this.exponent = voutModeExponent(await b.readByte(a, PMBUS.VOUT_MODE));
    await b.writeByte(a, PMBUS.ON_OFF_CONFIG, ON_OFF_CONFIG_CMD_ONLY);
    await b.writeWord(a, PMBUS.STACK_CONFIG, c.stackConfig);
    await b.writeByte(a, PMBUS.SYNC_CONFIG, c.syncConfig);
    await b.writeByte(a, PMBUS.PHASE, c.phase);
    await b.writeWord(a, PMBUS.FREQUENCY_SWITCH, encodeSlinear11Int(c.frequencyKhz));
    if (c.compensationConfig !== null) {
      // An SMBus block write: the byte count, then the bytes (the part rejects a block without its count).
      const n = c.compensationConfig.length;
      this.block[0] = n;
      for (let i = 0; i < n; i++) this.block[1 + i] = c.compensationConfig[i];
      await b.writeI2cBlock(a, PMBUS.COMPENSATION_CONFIG, n + 1, this.block);
    }
    if (c.vinUvWarnV > 0) await b.writeWord(a, PMBUS.VIN_UV_WARN_LIMIT, encodeSlinear11(c.vinUvWarnV));
    await b.writeWord(a, PMBUS.VIN_ON, encodeSlinear11(c.vinOnV));
    await b.writeWord(a, PMBUS.VIN_OFF, encodeSlinear11(c.vinOffV));
    await b.writeWord(a, PMBUS.VIN_OV_FAULT_LIMIT, encodeSlinear11(c.vinOvFaultV));
    await b.writeByte(a, PMBUS.VIN_OV_FAULT_RESPONSE, COMMON.vinOvFaultResponse);
    await b.writeWord(a, PMBUS.VOUT_SCALE_LOOP, encodeSlinear11(c.voutScaleLoop));
    await b.writeWord(a, PMBUS.VOUT_COMMAND, this.volts(c.voutCommandV));
    await b.writeWord(a, PMBUS.VOUT_MAX, this.volts(c.voutMaxV));
    await b.writeWord(a, PMBUS.VOUT_MIN, this.volts(c.voutMinV));
    await b.writeWord(a, PMBUS.VOUT_OV_FAULT_LIMIT, this.volts(COMMON.voutOvFaultLimit));
    await b.writeWord(a, PMBUS.VOUT_OV_WARN_LIMIT, this.volts(COMMON.voutOvWarnLimit));
    await b.writeWord(a, PMBUS.VOUT_MARGIN_HIGH, this.volts(COMMON.voutMarginHigh));
    await b.writeWord(a, PMBUS.VOUT_MARGIN_LOW, this.volts(COMMON.voutMarginLow));
    await b.writeWord(a, PMBUS.VOUT_UV_WARN_LIMIT, this.volts(COMMON.voutUvWarnLimit));
    await b.writeWord(a, PMBUS.VOUT_UV_FAULT_LIMIT, this.volts(COMMON.voutUvFaultLimit));
    await b.writeWord(a, PMBUS.IOUT_OC_WARN_LIMIT, encodeSlinear11(c.ioutOcWarnA));
    await b.writeWord(a, PMBUS.IOUT_OC_FAULT_LIMIT, encodeSlinear11(c.ioutOcFaultA));
    await b.writeByte(a, PMBUS.IOUT_OC_FAULT_RESPONSE, COMMON.ioutOcFaultResponse);
    await b.writeWord(a, PMBUS.OT_WARN_LIMIT, encodeSlinear11Int(COMMON.otWarnLimitC));
    await b.writeWord(a, PMBUS.OT_FAULT_LIMIT, encodeSlinear11Int(COMMON.otFaultLimitC));
    await b.writeByte(a, PMBUS.OT_FAULT_RESPONSE, COMMON.otFaultResponse);
    await b.writeWord(a, PMBUS.TON_DELAY, encodeSlinear11Int(COMMON.tonDelayMs));
    await b.writeWord(a, PMBUS.TON_RISE, encodeSlinear11Int(COMMON.tonRiseMs));
    await b.writeWord(a, PMBUS.TON_MAX_FAULT_LIMIT, encodeSlinear11Int(COMMON.tonMaxFaultLimitMs));
    await b.writeByte(a, PMBUS.TON_MAX_FAULT_RESPONSE, COMMON.tonMaxFaultResponse);
    await b.writeWord(a, PMBUS.TOFF_DELAY, encodeSlinear11Int(COMMON.toffDelayMs));
    await b.writeWord(a, PMBUS.TOFF_FALL, encodeSlinear11Int(COMMON.toffFallMs));
    await b.writeWord(a, PMBUS.PIN_DETECT_OVERRIDE, COMMON.pinDetectOverride);
    await b.sendByte(a, PMBUS.CLEAR_FAULTS);
  }

  /** Reads IC_DEVICE_ID (an SMBus block: count byte, then 6 bytes), retrying while the part powers up. */
  async verifyDeviceId(attempts = 6): Promise<void> {
    let last = '';
    for (let i = 0; i < attempts; i++) {
      try {
        await this.bus.readI2cBlock(this.address, PMBUS.IC_DEVICE_ID, 7, this.block);
        const id = Array.from(this.block.subarray(1, 7));
        if (TPS546_DEVICE_IDS.some((known) => known.every((v, j) => v === id[j]))) return;
        last = `device id ${id.map(hex2).join(' ')} is not a TPS546D24A/S`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (i + 1 < attempts) await this.sleep(3);
    }
    throw new DeviceFaultError('TPS546', this.address, last);
  }

  /** The output window this profile allows (V). */
  get voutRangeV(): { min: number; max: number } {
    return { min: this.config.voutMinV, max: this.config.voutMaxV };
  }

  /** Sets VOUT and turns the output on; refuses values outside VOUT_MIN..VOUT_MAX before writing anything. */
  async setVout(volts: number): Promise<void> {
    await this.setVoutCommand(volts);
    await this.bus.writeByte(this.address, PMBUS.OPERATION, OPERATION_ON);
    const op = await this.bus.readByte(this.address, PMBUS.OPERATION);
    if (op !== OPERATION_ON) {
      throw new DeviceFaultError('TPS546', this.address, `OPERATION reads 0x${hex2(op)} after turning on`);
    }
  }

  /** Changes VOUT_COMMAND only (a running output follows; an off output stays off). Range-checked first. */
  async setVoutCommand(volts: number): Promise<void> {
    if (!(volts >= this.config.voutMinV && volts <= this.config.voutMaxV)) {
      throw new DeviceFaultError(
        'TPS546',
        this.address,
        `${volts.toFixed(3)} V is outside the regulator's window ${this.config.voutMinV}..${this.config.voutMaxV} V`,
      );
    }
    await this.bus.writeWord(this.address, PMBUS.VOUT_COMMAND, this.volts(volts));
  }

  /** Turns the output off (OPERATION 0x00). */
  async off(): Promise<void> {
    await this.bus.writeByte(this.address, PMBUS.OPERATION, OPERATION_OFF);
  }

  async readVinV(): Promise<number> {
    return decodeSlinear11(await this.bus.readWord(this.address, PMBUS.READ_VIN));
  }

  async readVoutV(): Promise<number> {
    return decodeUlinear16(await this.bus.readWord(this.address, PMBUS.READ_VOUT), this.exponent);
  }

  async readIoutA(): Promise<number> {
    return decodeSlinear11(await this.bus.readWord(this.address, PMBUS.READ_IOUT));
  }

  async readTempC(): Promise<number> {
    return decodeSlinear11(await this.bus.readWord(this.address, PMBUS.READ_TEMPERATURE_1));
  }

  async readTelemetry(): Promise<Tps546Telemetry> {
    return {
      vinV: await this.readVinV(),
      voutV: await this.readVoutV(),
      ioutA: await this.readIoutA(),
      tempC: await this.readTempC(),
    };
  }

  /** STATUS_WORD plus the detail registers it points at, decoded. */
  async readStatus(): Promise<Tps546Status> {
    const word = await this.bus.readWord(this.address, PMBUS.STATUS_WORD);
    const conditions: string[] = [];
    const b = this.bus;
    const a = this.address;
    if (word & STATUS_WORD.OFF) conditions.push('output off');
    if (word & STATUS_WORD.VOUT_OV_FAULT) conditions.push('output overvoltage fault');
    if (word & STATUS_WORD.IOUT_OC_FAULT) conditions.push('output overcurrent fault');
    if (word & STATUS_WORD.VIN_UV_FAULT) conditions.push('input undervoltage');
    if (word & STATUS_WORD.TEMPERATURE) {
      const t = await b.readByte(a, PMBUS.STATUS_TEMPERATURE);
      if (t & STATUS_TEMPERATURE.OT_FAULT) conditions.push('over-temperature fault');
      if (t & STATUS_TEMPERATURE.OT_WARNING) conditions.push('over-temperature warning');
    }
    if (word & STATUS_WORD.VOUT) {
      const v = await b.readByte(a, PMBUS.STATUS_VOUT);
      if (v & STATUS_VOUT.UV_FAULT) conditions.push('output undervoltage fault');
      if (v & STATUS_VOUT.MIN_MAX) conditions.push('VOUT command outside VOUT_MIN/VOUT_MAX');
    }
    if (word & STATUS_WORD.IOUT) {
      const i = await b.readByte(a, PMBUS.STATUS_IOUT);
      if (i & STATUS_IOUT.OC_WARNING) conditions.push('overcurrent warning');
    }
    if (word & STATUS_WORD.CML) {
      const c = await b.readByte(a, PMBUS.STATUS_CML);
      if (c & STATUS_CML.INVALID_COMMAND) conditions.push('invalid command received');
      if (c & STATUS_CML.INVALID_DATA) conditions.push('invalid data received');
    }
    return { statusWord: word, fault: (word & TPS546_FAULT_BITS) !== 0, conditions };
  }

  async clearFaults(): Promise<void> {
    await this.bus.sendByte(this.address, PMBUS.CLEAR_FAULTS);
  }

  private volts(v: number): number {
    return encodeUlinear16(v, this.exponent);
  }
}

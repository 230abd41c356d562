import { PwmSysfsFan, SYSFS_PWM_ROOT } from '../../drivers/gpio/pwm-sysfs.js';
import { Ds4432u } from '../../drivers/i2c/ds4432u.js';
import { Emc2101 } from '../../drivers/i2c/emc2101.js';
import { Emc2103 } from '../../drivers/i2c/emc2103.js';
import { Emc2302 } from '../../drivers/i2c/emc2302.js';
import { hex2, type I2CBus } from '../../drivers/i2c/i2c-bus.js';
import { Ina260 } from '../../drivers/i2c/ina260.js';
import { Tmp1075 } from '../../drivers/i2c/tmp1075.js';
import { TPS546_PROFILES, Tps546, type Tps546Status } from '../../drivers/i2c/tps546.js';
import type { BoardDefinition, TempSensorDefinition } from '../../src/config/board.js';

/**
 * The board's parts by the role the control loops need, whatever chip fills it. Built from the board
 * definition over one I2CBus (real or emulated); policy lives in BoardControl, not here.
 */
export interface FanRole {
  readonly label: string;
  init(startPercent: number): Promise<void>;
  setPercent(percent: number): Promise<void>;
  /** RPM per fan; empty when the fan has no tachometer. */
  readRpm(): Promise<number[]>;
}

export interface TempRole {
  readonly label: string;
  /** °C including the board's offset. */
  read(): Promise<number>;
}

export interface RegulatorRole {
  readonly label: string;
  /** True when this part itself switches the core supply (TPS546 OPERATION); false when only a GPIO can. */
  readonly switchesPower: boolean;
  /** True when `readActualMv` measures the output rather than inferring it from the setting. */
  readonly measures: boolean;
  init(): Promise<void>;
  /** Sets the voltage and turns the output on (where the part can). */
  powerOn(voltageMv: number): Promise<void>;
  /** Changes the voltage of a running output, never turning it on. */
  adjust(voltageMv: number): Promise<void>;
  powerOff(): Promise<void>;
  /** Core mV per chip, measured or inferred; null when it cannot be known. */
  readActualMv(): Promise<number | null>;
  /** Regulator faults (TPS546 STATUS_WORD), or null for parts without status. */
  readStatus(): Promise<Tps546Status | null>;
}

export interface PowerReading {
  inputMv: number;
  currentMa: number;
  powerW: number;
}

export interface PowerMonitorRole {
  readonly label: string;
  init(): Promise<void>;
  read(): Promise<PowerReading>;
}

export interface BoardPeripherals {
  fan: FanRole;
  asicTemps: TempRole[];
  /** The regulator's own temperature sensor (TPS546), or null. */
  vrTemp: TempRole | null;
  regulator: RegulatorRole;
  powerMonitor: PowerMonitorRole | null;
}

export interface PeripheralOptions {
  /** /sys/class/pwm, or an emulated copy. */
  pwmRoot?: string;
  sleep?: (ms: number) => Promise<void>;
}

function tempLabel(t: TempSensorDefinition): string {
  return t.part === 'EMC2101' || t.part === 'EMC2103'
    ? `${t.part} ${t.channel} at 0x${hex2(t.address)}`
    : `${t.part} at 0x${hex2(t.address)}`;
}

/** `make(address)` once per address: the same driver object for every role one chip serves. */
function onePerAddress<T>(make: (address: number) => T): (address: number) => T {
  const made = new Map<number, T>();
  return (address) => {
    let it = made.get(address);
    if (it === undefined) {
      it = make(address);
      made.set(address, it);
    }
    return it;
  };
}

/** Builds every role from the board definition (no I/O until `init`). */
export function createBoardPeripherals(
  board: BoardDefinition,
  bus: I2CBus,
  options: PeripheralOptions = {},
): BoardPeripherals {
  const p = board.peripherals;
  // One driver per EMC2101 / EMC2103, shared by the fan and the temperature inputs it serves.
  const emc = onePerAddress((address) => new Emc2101(bus, address));
  const emc2103 = onePerAddress((address) => new Emc2103(bus, address));
  // EMC2101 setup (diode ideality/beta) comes from the temperature entry that reads its external channel.
  const emcSetup = (address: number): { idealityFactor: number | null; betaCompensation: number | null } => {
    const t = p.asicTemp.find((s) => s.part === 'EMC2101' && s.address === address);
    return t?.part === 'EMC2101'
      ? { idealityFactor: t.idealityFactor, betaCompensation: t.betaCompensation }
      : { idealityFactor: null, betaCompensation: null };
  };

  let fan: FanRole;
  const f = p.fan;
  if (f.part === 'EMC2101') {
    const chip = emc(f.address);
    fan = {
      label: `EMC2101 at 0x${hex2(f.address)}`,
      init: async (start) => {
        await chip.init(emcSetup(f.address));
        await chip.setFanPercent(start);
      },
      setPercent: (pct) => chip.setFanPercent(pct),
      readRpm: async () => [await chip.readFanRpm()],
    };
  } else if (f.part === 'EMC2103') {
    const chip = emc2103(f.address);
    fan = {
      label: `EMC2103 at 0x${hex2(f.address)}`,
      init: async (start) => {
        await chip.init();
        await chip.setFanPercent(start);
      },
      setPercent: (pct) => chip.setFanPercent(pct),
      readRpm: async () => [await chip.readFanRpm()],
    };
  } else if (f.part === 'EMC2302') {
    const chip = new Emc2302(bus, f.address, f.fans);
    fan = {
      label: `EMC2302 at 0x${hex2(f.address)}`,
      init: async (start) => {
        await chip.init();
        await chip.setFanPercent(start);
      },
      setPercent: (pct) => chip.setFanPercent(pct),
      readRpm: () => chip.readFanRpm(),
    };
  } else {
    const pwm = new PwmSysfsFan(f.chip, f.channel, f.frequencyHz, options.pwmRoot ?? SYSFS_PWM_ROOT, options.sleep);
    fan = {
      label: pwm.label,
      init: (start) => pwm.init(start),
      setPercent: (pct) => pwm.setFanPercent(pct),
      readRpm: async () => [],
    };
  }

  const asicTemps: TempRole[] = p.asicTemp.map((t) => {
    const label = tempLabel(t);
    if (t.part === 'EMC2101') {
      const chip = emc(t.address);
      const read = t.channel === 'external' ? () => chip.readExternalTempC() : () => chip.readInternalTempC();
      return { label, read: async () => (await read()) + t.offsetC };
    }
    if (t.part === 'EMC2103') {
      const chip = emc2103(t.address);
      const channel = t.channel;
      return { label, read: async () => (await chip.readTempC(channel)) + t.offsetC };
    }
    const sensor = new Tmp1075(bus, t.address, t.part);
    return { label, read: async () => (await sensor.readTempC()) + t.offsetC };
  });

  let regulator: RegulatorRole;
  let vrTemp: TempRole | null = null;
  let tps: Tps546 | null = null;
  const r = p.regulator;
  if (r.part === 'DS4432U') {
    const dac = new Ds4432u(bus, r.address);
    regulator = {
      label: `DS4432U at 0x${hex2(r.address)}`,
      switchesPower: false,
      measures: false,
      init: () => dac.init(),
      powerOn: async (mv) => {
        await dac.setVoltageMv(mv);
      },
      adjust: async (mv) => {
        await dac.setVoltageMv(mv);
      },
      powerOff: async () => {},
      readActualMv: () => dac.readSetVoltageMv(),
      readStatus: async () => null,
    };
  } else if (r.part === 'TPS546') {
    const chip = new Tps546(bus, TPS546_PROFILES[r.profile], r.address, options.sleep);
    tps = chip;
    const domains = r.voltageDomains;
    regulator = {
      label: `TPS546 at 0x${hex2(r.address)} (${r.profile}, ${domains} domain${domains > 1 ? 's' : ''})`,
      switchesPower: true,
      measures: true,
      init: () => chip.init(),
      powerOn: (mv) => chip.setVout((mv * domains) / 1000),
      adjust: (mv) => chip.setVoutCommand((mv * domains) / 1000),
      powerOff: () => chip.off(),
      readActualMv: async () => ((await chip.readVoutV()) * 1000) / domains,
      readStatus: () => chip.readStatus(),
    };
    vrTemp = { label: `TPS546 at 0x${hex2(r.address)}`, read: () => chip.readTempC() };
  } else {
    const mv = r.voltageMv;
    regulator = {
      label: `fixed ${mv} mV regulator`,
      switchesPower: false,
      measures: false,
      init: async () => {},
      powerOn: async () => {},
      adjust: async () => {},
      powerOff: async () => {},
      readActualMv: async () => mv,
      readStatus: async () => null,
    };
  }

  let powerMonitor: PowerMonitorRole | null = null;
  const m = p.powerMonitor;
  if (m?.part === 'INA260') {
    const ina = new Ina260(bus, m.address);
    powerMonitor = {
      label: `INA260 at 0x${hex2(m.address)}`,
      init: () => ina.init(),
      read: async () => {
        const x = await ina.read();
        return { inputMv: x.busVoltageMv, currentMa: x.currentMa, powerW: x.powerW };
      },
    };
  } else if (m?.part === 'TPS546' && tps !== null) {
    const chip = tps;
    const offsetW = board.power.offsetW;
    powerMonitor = {
      label: `TPS546 telemetry at 0x${hex2(chip.address)}`,
      init: async () => {},
      // As ESP-Miner: output power + the board's offset for everything the regulator does not see; the
      // current is the regulator's output current.
      read: async () => {
        const t = await chip.readTelemetry();
        return { inputMv: t.vinV * 1000, currentMa: t.ioutA * 1000, powerW: t.voutV * t.ioutA + offsetW };
      },
    };
  }

  return { fan, asicTemps, vrTemp, regulator, powerMonitor };
}

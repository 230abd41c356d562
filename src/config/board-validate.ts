import {
  ASIC_MODELS,
  type AsicModel,
  type BoardDefinition,
  EMC2103_CHANNELS,
  type FanDefinition,
  type GpioLineDefinition,
  type PowerMonitorDefinition,
  type RegulatorDefinition,
  type TempSensorDefinition,
  type Tps546Profile,
} from './board.js';
import { ConfigFieldError, describe, type Json, JsonReader } from './json-reader.js';

/**
 * A board file that is not valid. The message names the file, the field path and what is allowed, e.g.
 * `boards/bitaxe-ultra.json: limits.voltageMv.max must be ≤ 1500, got 9000`.
 */
export class BoardConfigError extends ConfigFieldError {
  override readonly name = 'BoardConfigError';
}

/**
 * Hard bounds no board file may exceed, whatever it says. They are wider than any shipped board (the
 * board's own `limits` are the operating window) and exist to catch typos such as 9000 mV or 6000 MHz.
 */
export const HARD_LIMITS = {
  frequencyMhz: { min: 50, max: 1000 },
  voltageMv: { min: 800, max: 1500 },
  asicTempC: { min: 40, max: 90 },
  vrTempC: { min: 60, max: 125 },
} as const;

/** Parts the drivers support, by role; anything else is refused at load time with the part's name. */
const FAN_PARTS = ['EMC2101', 'EMC2103', 'EMC2302', 'pwm-sysfs'] as const;
const TEMP_PARTS = ['EMC2101', 'EMC2103', 'TMP1075', 'LM75'] as const;
const REGULATOR_PARTS = ['DS4432U', 'TPS546', 'fixed'] as const;
const POWER_MONITOR_PARTS = ['INA260', 'TPS546'] as const;
const TPS546_PROFILES: readonly Tps546Profile[] = ['5v-single', '12v-3domain', '12v-stacked'];
/** Regulator output window (V) per TPS546 profile (ESP-Miner's VOUT_MIN/VOUT_MAX). */
const TPS546_VOUT_RANGE_V: Record<Tps546Profile, { min: number; max: number }> = {
  '5v-single': { min: 1, max: 2 },
  '12v-3domain': { min: 2.5, max: 4.5 },
  '12v-stacked': { min: 1, max: 3 },
};

/**
 * Validates parsed JSON as a board definition. `source` names the file in error messages; `name` is the
 * board's name (the file name without .json), which must match the file's own `name` field.
 */
export function validateBoard(json: unknown, source: string, name?: string): BoardDefinition {
  const r = new JsonReader(source, (src, field, detail) => new BoardConfigError(src, field, detail));
  const root = r.object(json, '', [
    'name',
    'title',
    'family',
    'boardVersion',
    'notes',
    'asic',
    'uart',
    'gpio',
    'i2c',
    'peripherals',
    'defaults',
    'options',
    'limits',
    'power',
  ]);
  const boardName = r.string(root, 'name', '', /^[a-z0-9][a-z0-9-]{0,39}$/, 'lowercase letters, digits and dashes');
  if (name !== undefined && boardName !== name) r.fail('name', `must match the file name ${JSON.stringify(name)}`);
  const notes = root.notes;
  if (!Array.isArray(notes) || notes.some((n) => typeof n !== 'string')) {
    r.fail('notes', `must be an array of strings, got ${describe(notes)}`);
  }

  const asicJson = r.object(root.asic, 'asic', ['model', 'count']);
  const model: AsicModel = r.oneOf(asicJson, 'model', 'asic', ASIC_MODELS, 'one of the supported chips');
  const count = r.number(asicJson, 'count', 'asic', { min: 1, max: 128, integer: true });

  const uartJson = r.object(root.uart, 'uart', ['device', 'baud', 'fastBaud']);
  const uart = {
    device: r.string(uartJson, 'device', 'uart', /^\/dev\/[A-Za-z0-9_./-]+$/, 'a /dev path'),
    baud: r.number(uartJson, 'baud', 'uart', { min: 9600, max: 115_200, integer: true }),
    fastBaud: r.number(uartJson, 'fastBaud', 'uart', { min: 115_200, max: 6_250_000, integer: true }),
  };

  const gpioJson = r.object(root.gpio, 'gpio', ['chip', 'reset', 'powerEnable']);
  const gpio = {
    chip: r.string(gpioJson, 'chip', 'gpio', /^(auto|gpiochip\d{1,3})$/, '"auto" or gpiochipN'),
    reset: gpioLine(r, gpioJson.reset, 'gpio.reset'),
    powerEnable: gpioJson.powerEnable === null ? null : gpioLine(r, gpioJson.powerEnable, 'gpio.powerEnable'),
  };
  if (gpio.powerEnable !== null && gpio.powerEnable.line === gpio.reset.line) {
    r.fail('gpio.powerEnable.line', `must differ from gpio.reset.line (${gpio.reset.line})`);
  }

  const i2cJson = r.object(root.i2c, 'i2c', ['bus']);
  const i2c = { bus: r.number(i2cJson, 'bus', 'i2c', { min: 0, max: 31, integer: true }) };

  const perJson = r.object(root.peripherals, 'peripherals', ['fan', 'asicTemp', 'regulator', 'powerMonitor']);
  const fan = fanDefinition(r, perJson.fan, 'peripherals.fan');
  const tempsJson = perJson.asicTemp;
  if (!Array.isArray(tempsJson) || tempsJson.length === 0 || tempsJson.length > 8) {
    r.fail('peripherals.asicTemp', `must be an array of 1 to 8 sensors, got ${describe(tempsJson)}`);
  }
  const asicTemp = (tempsJson as unknown[]).map((t, i) => tempSensor(r, t, `peripherals.asicTemp[${i}]`));
  const regulator = regulatorDefinition(r, perJson.regulator, 'peripherals.regulator');
  const powerMonitor =
    perJson.powerMonitor === null ? null : powerMonitorDefinition(r, perJson.powerMonitor, 'peripherals.powerMonitor');
  if (powerMonitor?.part === 'TPS546' && regulator.part !== 'TPS546') {
    r.fail('peripherals.powerMonitor.part', 'TPS546 telemetry needs peripherals.regulator.part TPS546');
  }
  checkAddressClashes(r, fan, asicTemp, regulator, powerMonitor);

  const limitsJson = r.object(root.limits, 'limits', [
    'frequencyMhz',
    'voltageMv',
    'asicTempC',
    'vrTempC',
    'manualFanPercent',
  ]);
  const fLim = r.object(limitsJson.frequencyMhz, 'limits.frequencyMhz', ['min', 'max']);
  const vLim = r.object(limitsJson.voltageMv, 'limits.voltageMv', ['min', 'max']);
  const limits = {
    frequencyMhz: {
      min: r.number(fLim, 'min', 'limits.frequencyMhz', HARD_LIMITS.frequencyMhz),
      max: r.number(fLim, 'max', 'limits.frequencyMhz', HARD_LIMITS.frequencyMhz),
    },
    voltageMv: {
      min: r.number(vLim, 'min', 'limits.voltageMv', { ...HARD_LIMITS.voltageMv, integer: true }),
      max: r.number(vLim, 'max', 'limits.voltageMv', { ...HARD_LIMITS.voltageMv, integer: true }),
    },
    asicTempC: {
      max: r.number(r.object(limitsJson.asicTempC, 'limits.asicTempC', ['max']), 'max', 'limits.asicTempC', {
        ...HARD_LIMITS.asicTempC,
      }),
    },
    vrTempC: {
      max: r.number(r.object(limitsJson.vrTempC, 'limits.vrTempC', ['max']), 'max', 'limits.vrTempC', {
        ...HARD_LIMITS.vrTempC,
      }),
    },
    manualFanPercent: {
      min: r.number(
        r.object(limitsJson.manualFanPercent, 'limits.manualFanPercent', ['min']),
        'min',
        'limits.manualFanPercent',
        { min: 0, max: 100, integer: true },
      ),
    },
  };
  if (limits.frequencyMhz.min > limits.frequencyMhz.max) {
    r.fail('limits.frequencyMhz.min', `must be ≤ limits.frequencyMhz.max (${limits.frequencyMhz.max})`);
  }
  if (limits.voltageMv.min > limits.voltageMv.max) {
    r.fail('limits.voltageMv.min', `must be ≤ limits.voltageMv.max (${limits.voltageMv.max})`);
  }
  if (
    regulator.part === 'fixed' &&
    (limits.voltageMv.min !== regulator.voltageMv || limits.voltageMv.max !== regulator.voltageMv)
  ) {
    r.fail('limits.voltageMv', `must be exactly ${regulator.voltageMv} (min and max) on a fixed regulator`);
  }
  if (regulator.part === 'TPS546') {
    const range = TPS546_VOUT_RANGE_V[regulator.profile];
    const lo = Math.ceil((range.min * 1000) / regulator.voltageDomains);
    const hi = Math.floor((range.max * 1000) / regulator.voltageDomains);
    if (limits.voltageMv.min < lo)
      r.fail(
        'limits.voltageMv.min',
        `must be ≥ ${lo} (the TPS546 ${regulator.profile} range), got ${limits.voltageMv.min}`,
      );
    if (limits.voltageMv.max > hi)
      r.fail(
        'limits.voltageMv.max',
        `must be ≤ ${hi} (the TPS546 ${regulator.profile} range), got ${limits.voltageMv.max}`,
      );
  }

  const defJson = r.object(root.defaults, 'defaults', ['frequencyMhz', 'voltageMv', 'fanTargetC', 'minFanPercent']);
  const defaults = {
    frequencyMhz: r.number(defJson, 'frequencyMhz', 'defaults', limits.frequencyMhz),
    voltageMv: r.number(defJson, 'voltageMv', 'defaults', { ...limits.voltageMv, integer: true }),
    fanTargetC: r.number(defJson, 'fanTargetC', 'defaults', { min: 35, max: Math.min(66, limits.asicTempC.max - 5) }),
    minFanPercent: r.number(defJson, 'minFanPercent', 'defaults', { min: 0, max: 99, integer: true }),
  };

  const optJson = r.object(root.options, 'options', ['frequencyMhz', 'voltageMv']);
  const options = {
    frequencyMhz: r.numberArray(optJson, 'frequencyMhz', 'options', limits.frequencyMhz),
    voltageMv: r.numberArray(optJson, 'voltageMv', 'options', limits.voltageMv),
  };

  const powerJson = r.object(root.power, 'power', ['maxW', 'offsetW', 'nominalInputV']);
  const power = {
    maxW: r.number(powerJson, 'maxW', 'power', { min: 1, max: 2000 }),
    offsetW: r.number(powerJson, 'offsetW', 'power', { min: 0, max: 100 }),
    nominalInputV: r.number(powerJson, 'nominalInputV', 'power', { min: 3, max: 60 }),
  };

  return {
    name: boardName,
    title: r.string(root, 'title', ''),
    family: r.string(root, 'family', '', /^[A-Za-z][A-Za-z0-9]{0,31}$/, 'a word such as Ultra'),
    boardVersion: r.string(root, 'boardVersion', '', /^[A-Za-z0-9.]{1,16}$/, 'a version such as 204'),
    notes: notes as string[],
    asic: { model, count },
    uart,
    gpio,
    i2c,
    peripherals: { fan, asicTemp, regulator, powerMonitor },
    defaults,
    options,
    limits,
    power,
  };
}

function gpioLine(r: JsonReader, value: unknown, path: string): GpioLineDefinition {
  const obj = r.object(value, path, ['line', 'activeLow']);
  return {
    // BCM numbers on the 40-pin header are 0..27; the RP1 on a Pi 5 has 54 lines.
    line: r.number(obj, 'line', path, { min: 0, max: 53, integer: true }),
    activeLow: r.boolean(obj, 'activeLow', path),
  };
}

function fanDefinition(r: JsonReader, value: unknown, path: string): FanDefinition {
  const part = partOf(r, value, path, FAN_PARTS, 'fan controller');
  if (part === 'EMC2101' || part === 'EMC2103') {
    const obj = r.object(value, path, ['part', 'address']);
    return { part, address: r.address(obj, 'address', path) };
  }
  if (part === 'EMC2302') {
    const obj = r.object(value, path, ['part', 'address', 'fans']);
    return {
      part,
      address: r.address(obj, 'address', path),
      fans: r.number(obj, 'fans', path, { min: 1, max: 2, integer: true }) as 1 | 2,
    };
  }
  const obj = r.object(value, path, ['part', 'chip', 'channel', 'frequencyHz']);
  return {
    part,
    chip: r.number(obj, 'chip', path, { min: 0, max: 15, integer: true }),
    channel: r.number(obj, 'channel', path, { min: 0, max: 3, integer: true }),
    frequencyHz: r.number(obj, 'frequencyHz', path, { min: 10, max: 100_000, integer: true }),
  };
}

function tempSensor(r: JsonReader, value: unknown, path: string): TempSensorDefinition {
  const part = partOf(r, value, path, TEMP_PARTS, 'temperature sensor');
  if (part === 'EMC2101') {
    const obj = r.object(
      value,
      path,
      ['part', 'address', 'channel', 'offsetC'],
      ['idealityFactor', 'betaCompensation'],
    );
    return {
      part,
      address: r.address(obj, 'address', path),
      channel: r.oneOf(obj, 'channel', path, ['internal', 'external'] as const),
      offsetC: r.number(obj, 'offsetC', path, { min: -20, max: 20 }),
      idealityFactor:
        'idealityFactor' in obj
          ? r.byteLike(obj, 'idealityFactor', path, 0x08, 0x37, 'an EMC2101 ideality code 0x08..0x37')
          : null,
      betaCompensation:
        'betaCompensation' in obj
          ? r.byteLike(obj, 'betaCompensation', path, 0x00, 0x08, 'an EMC2101 beta code 0x00..0x08')
          : null,
    };
  }
  if (part === 'EMC2103') {
    const obj = r.object(value, path, ['part', 'address', 'channel', 'offsetC']);
    return {
      part,
      address: r.address(obj, 'address', path),
      channel: r.oneOf(obj, 'channel', path, EMC2103_CHANNELS),
      offsetC: r.number(obj, 'offsetC', path, { min: -20, max: 20 }),
    };
  }
  const obj = r.object(value, path, ['part', 'address', 'offsetC']);
  return {
    part,
    address: r.address(obj, 'address', path),
    offsetC: r.number(obj, 'offsetC', path, { min: -20, max: 20 }),
  };
}

function regulatorDefinition(r: JsonReader, value: unknown, path: string): RegulatorDefinition {
  const part = partOf(r, value, path, REGULATOR_PARTS, 'core-voltage regulator');
  if (part === 'DS4432U') {
    const obj = r.object(value, path, ['part', 'address']);
    return { part, address: r.address(obj, 'address', path) };
  }
  if (part === 'TPS546') {
    const obj = r.object(value, path, ['part', 'address', 'profile', 'voltageDomains']);
    return {
      part,
      address: r.address(obj, 'address', path),
      profile: r.oneOf(obj, 'profile', path, TPS546_PROFILES),
      voltageDomains: r.number(obj, 'voltageDomains', path, { min: 1, max: 8, integer: true }),
    };
  }
  const obj = r.object(value, path, ['part', 'voltageMv']);
  return { part, voltageMv: r.number(obj, 'voltageMv', path, { ...HARD_LIMITS.voltageMv, integer: true }) };
}

function powerMonitorDefinition(r: JsonReader, value: unknown, path: string): PowerMonitorDefinition {
  const part = partOf(r, value, path, POWER_MONITOR_PARTS, 'power monitor');
  if (part === 'INA260') {
    const obj = r.object(value, path, ['part', 'address']);
    return { part, address: r.address(obj, 'address', path) };
  }
  r.object(value, path, ['part']);
  return { part };
}

function partOf<T extends string>(r: JsonReader, value: unknown, path: string, parts: readonly T[], role: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    r.fail(path, `must be an object with a "part", got ${describe(value)}`);
  }
  const part = (value as Json).part;
  if (typeof part !== 'string' || part === '') r.fail(`${path}.part`, `must name the ${role}, got ${describe(part)}`);
  if (!(parts as readonly string[]).includes(part)) {
    r.fail(`${path}.part`, `${part} is not supported yet as a ${role} (supported: ${parts.join(', ')})`);
  }
  return part as T;
}

/** Two different parts at one I2C address would read each other's registers. */
function checkAddressClashes(
  r: JsonReader,
  fan: FanDefinition,
  temps: readonly TempSensorDefinition[],
  regulator: RegulatorDefinition,
  monitor: PowerMonitorDefinition | null,
): void {
  const seen = new Map<number, { part: string; path: string }>();
  const add = (address: number, part: string, path: string): void => {
    const prior = seen.get(address);
    if (prior !== undefined && prior.part !== part) {
      r.fail(`${path}.address`, `0x${hex(address)} is already used by ${prior.part} (${prior.path})`);
    }
    seen.set(address, { part, path });
  };
  if (fan.part !== 'pwm-sysfs') add(fan.address, fan.part, 'peripherals.fan');
  temps.forEach((t, i) => {
    add(t.address, t.part, `peripherals.asicTemp[${i}]`);
  });
  if (regulator.part !== 'fixed') add(regulator.address, regulator.part, 'peripherals.regulator');
  if (monitor?.part === 'INA260') add(monitor.address, monitor.part, 'peripherals.powerMonitor');
  // One reading per sensor input: a multi-input part (EMC2101, EMC2103) may appear once per channel.
  const inputs = temps.map((t) => ('channel' in t ? `${t.address}/${t.channel}` : `${t.address}`));
  const dupAt = inputs.findIndex((key, i) => inputs.indexOf(key) !== i);
  if (dupAt !== -1) {
    const t = temps[dupAt];
    const input = 'channel' in t ? ` (channel ${t.channel})` : '';
    r.fail(`peripherals.asicTemp[${dupAt}]`, `lists the sensor at 0x${hex(t.address)}${input} twice`);
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

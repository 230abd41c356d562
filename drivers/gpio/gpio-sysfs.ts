import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeLine, GpioError, type GpioLine, type GpioLineRequest, physicalLevel } from './gpio-line.js';

/**
 * The legacy sysfs GPIO interface through `onoff`. On current Raspberry Pi kernels the sysfs numbers are
 * not the BCM numbers: the main controller's lines start at its gpiochip base (512 on 6.6+ kernels for
 * the BCM2711/2835, 571 for the Pi 5's RP1 on some releases), so BCM 22 is sysfs 534. The base is read from
 * /sys/class/gpio/gpiochip<N>/base instead of assuming 0. Where sysfs GPIO is gone entirely (kernels
 * built without CONFIG_GPIO_SYSFS), use the character-device backend (gpio-chardev.ts).
 */
export const SYSFS_GPIO_ROOT = '/sys/class/gpio';

export interface SysfsGpioChip {
  /** Directory name, gpiochip<base>. */
  readonly dir: string;
  readonly base: number;
  readonly ngpio: number;
  readonly label: string;
}

/** Labels of the Raspberry Pi's main GPIO controllers (the 40-pin header lines). */
const PI_MAIN_CONTROLLERS = [
  /^pinctrl-bcm2711$/,
  /^pinctrl-bcm2835$/,
  /^pinctrl-bcm2712$/,
  /^pinctrl-rp1$/,
  /^rp1-gpio$/,
];

export function listSysfsGpioChips(root: string = SYSFS_GPIO_ROOT): SysfsGpioChip[] {
  if (!existsSync(root)) return [];
  const chips: SysfsGpioChip[] = [];
  for (const dir of readdirSync(root)) {
    if (!/^gpiochip\d+$/.test(dir)) continue;
    try {
      const read = (f: string): string => readFileSync(join(root, dir, f), 'utf8').trim();
      chips.push({ dir, base: Number(read('base')), ngpio: Number(read('ngpio')), label: read('label') });
    } catch {
      // a chip directory without readable attributes is not one we can use
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * Sysfs GPIO number for a BCM line. `chip` "auto" picks the Pi's main controller by label (falling back to
 * the lowest-based chip with enough lines); "gpiochipN" picks the sysfs chip whose device owns /dev/gpiochipN.
 */
export function sysfsGpioNumber(
  line: number,
  chip: string,
  root: string = SYSFS_GPIO_ROOT,
): { number: number; chip: SysfsGpioChip } {
  const chips = listSysfsGpioChips(root);
  if (chips.length === 0) {
    throw new GpioError(
      `no GPIO chips under ${root}: sysfs GPIO is not available; install the gpiod package (libgpiod tools)`,
    );
  }
  let found: SysfsGpioChip | undefined;
  if (chip !== 'auto') {
    found = chips.find((c) => existsSync(join(root, c.dir, 'device', chip)));
  }
  found ??= chips.find((c) => PI_MAIN_CONTROLLERS.some((re) => re.test(c.label)) && line < c.ngpio);
  found ??= chips.find((c) => line < c.ngpio);
  if (found === undefined) {
    throw new GpioError(
      `no sysfs GPIO chip has a line ${line} (chips: ${chips.map((c) => `${c.label}@${c.base}`).join(', ')})`,
    );
  }
  return { number: found.base + line, chip: found };
}

/** The part of onoff's Gpio this backend uses. */
export interface OnoffGpio {
  writeSync(value: 0 | 1): void;
  unexport(): void;
}

/** Creates an output; 'high'/'low' set the level atomically with the direction (no glitch). */
export type OnoffFactory = (gpio: number, direction: 'high' | 'low') => OnoffGpio;

/** onoff's own Gpio, imported only when a real sysfs line is opened. */
export async function loadOnoff(): Promise<OnoffFactory> {
  try {
    const mod = (await import('onoff' as string)) as {
      Gpio: new (gpio: number, direction: string) => OnoffGpio;
      default?: { Gpio: new (gpio: number, direction: string) => OnoffGpio };
    };
    const Gpio = mod.Gpio ?? mod.default?.Gpio;
    return (gpio, direction) => new Gpio(gpio, direction);
  } catch (err) {
    throw new GpioError(`the optional onoff module is not available (${(err as Error).message})`);
  }
}

export class SysfsGpioLine implements GpioLine {
  readonly label: string;
  private level: boolean;
  private readonly gpio: OnoffGpio;

  private constructor(
    private readonly request: GpioLineRequest,
    readonly sysfsNumber: number,
    readonly chip: SysfsGpioChip,
    factory: OnoffFactory,
  ) {
    this.label = `${describeLine(request)} via sysfs gpio${sysfsNumber} (${chip.label}, base ${chip.base})`;
    this.level = request.initialActive;
    const initial = physicalLevel(request.initialActive, request.activeLow) ? 'high' : 'low';
    try {
      this.gpio = factory(sysfsNumber, initial);
    } catch (err) {
      throw new GpioError(`${this.label}: ${(err as Error).message}; is the user in group gpio?`);
    }
  }

  static async open(
    request: GpioLineRequest,
    options: { root?: string; factory?: OnoffFactory } = {},
  ): Promise<SysfsGpioLine> {
    const { number, chip } = sysfsGpioNumber(request.line, request.chip, options.root);
    const factory = options.factory ?? (await loadOnoff());
    return new SysfsGpioLine(request, number, chip, factory);
  }

  get active(): boolean {
    return this.level;
  }

  async set(active: boolean): Promise<void> {
    if (active === this.level) return;
    try {
      this.gpio.writeSync(physicalLevel(active, this.request.activeLow));
    } catch (err) {
      throw new GpioError(`${this.label}: ${(err as Error).message}`);
    }
    this.level = active;
  }

  /** Leaves the line exported and driven: unexporting would let reset float while the daemon restarts. */
  async close(): Promise<void> {}
}

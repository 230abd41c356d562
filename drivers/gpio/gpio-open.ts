import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { GpiosetLine, type GpiosetOptions } from './gpio-chardev.js';
import { GpioError, type GpioLine, type GpioLineRequest } from './gpio-line.js';
import { type OnoffFactory, SYSFS_GPIO_ROOT, SysfsGpioLine } from './gpio-sysfs.js';

export type GpioBackend = 'auto' | 'chardev' | 'sysfs';

export interface OpenGpioOptions {
  backend?: GpioBackend;
  /** Where sysfs GPIO lives (tests point it at a temp dir). */
  sysfsRoot?: string;
  onoffFactory?: OnoffFactory;
  gpioset?: GpiosetOptions;
  /** Told which backend was picked and why, once per line. */
  log?: (message: string) => void;
}

/** True when `name` is an executable on PATH (or a path to one). */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = name.includes('/') ? [name] : (env.PATH ?? '').split(delimiter).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Opens a line with the best backend available: the character device through libgpiod's gpioset when it
 * is installed (works on every current kernel), else sysfs through onoff (old kernels), else a GpioError
 * that says to install the gpiod package.
 */
export async function openGpioLine(request: GpioLineRequest, options: OpenGpioOptions = {}): Promise<GpioLine> {
  const backend = options.backend ?? 'auto';
  const sysfsRoot = options.sysfsRoot ?? SYSFS_GPIO_ROOT;
  const gpiosetCommand = options.gpioset?.command ?? 'gpioset';
  const hasGpioset = findExecutable(gpiosetCommand, options.gpioset?.env) !== null;
  const hasSysfs = existsSync(join(sysfsRoot, 'export'));
  if (backend === 'chardev' || (backend === 'auto' && hasGpioset)) {
    if (!hasGpioset)
      throw new GpioError(`${gpiosetCommand} not found: install the gpiod package (sudo apt install gpiod)`);
    const line = await GpiosetLine.open(request, options.gpioset);
    options.log?.(`GPIO ${line.label}: character device (libgpiod gpioset)`);
    return line;
  }
  if (backend === 'sysfs' || (backend === 'auto' && hasSysfs)) {
    if (!hasSysfs)
      throw new GpioError(`${sysfsRoot}/export not found: this kernel has no sysfs GPIO; install the gpiod package`);
    const line = await SysfsGpioLine.open(request, { root: sysfsRoot, factory: options.onoffFactory });
    options.log?.(`GPIO ${line.label}: sysfs (onoff; gpioset not installed)`);
    return line;
  }
  throw new GpioError(
    `no GPIO access for ${request.name}: gpioset is not installed and ${sysfsRoot} has no sysfs GPIO; run sudo apt install gpiod`,
  );
}

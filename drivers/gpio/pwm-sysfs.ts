import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpioError } from './gpio-line.js';

/**
 * A fan on the Pi's hardware PWM through sysfs (/sys/class/pwm/pwmchipN/pwmC), as the PiAxe drives its fan
 * (dtoverlay=pwm puts channel 0 on GPIO18). Duty percent = fan percent; there is no tachometer.
 */
export const SYSFS_PWM_ROOT = '/sys/class/pwm';

export class PwmSysfsFan {
  private readonly chipDir: string;
  private readonly dir: string;
  private readonly periodNs: number;

  constructor(
    readonly chip: number,
    readonly channel: number,
    frequencyHz: number,
    readonly root: string = SYSFS_PWM_ROOT,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.chipDir = join(root, `pwmchip${chip}`);
    this.dir = join(this.chipDir, `pwm${channel}`);
    this.periodNs = Math.round(1e9 / frequencyHz);
  }

  get label(): string {
    return `PWM fan on pwmchip${this.chip} channel ${this.channel}`;
  }

  /** Exports the channel if needed, sets the period and enables it at `percent` duty. */
  async init(percent: number): Promise<void> {
    if (!existsSync(this.chipDir)) {
      throw new GpioError(`${this.chipDir} not found: add dtoverlay=pwm to config.txt and reboot`);
    }
    if (!existsSync(this.dir)) {
      this.write(join(this.chipDir, 'export'), String(this.channel));
      // udev fixes the new files' permissions a moment after the export appears.
      for (let i = 0; i < 20 && !existsSync(join(this.dir, 'period')); i++) await this.sleep(50);
    }
    // duty_cycle must never exceed period, so zero it before changing the period.
    this.write(join(this.dir, 'duty_cycle'), '0');
    this.write(join(this.dir, 'period'), String(this.periodNs));
    await this.setFanPercent(percent);
    this.write(join(this.dir, 'enable'), '1');
  }

  async setFanPercent(percent: number): Promise<void> {
    const p = Math.min(100, Math.max(0, percent));
    this.write(join(this.dir, 'duty_cycle'), String(Math.round((this.periodNs * p) / 100)));
  }

  /** The duty now, as percent. */
  async readFanPercent(): Promise<number> {
    const duty = Number(readFileSync(join(this.dir, 'duty_cycle'), 'utf8').trim());
    return Math.round((duty * 1000) / this.periodNs) / 10;
  }

  private write(path: string, value: string): void {
    try {
      writeFileSync(path, value);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new GpioError(`cannot write ${path}: ${code}; is the user in group gpio (udev rule for pwm)?`);
    }
  }
}

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GpioError } from '../../../drivers/gpio/gpio-line.js';
import {
  listSysfsGpioChips,
  type OnoffFactory,
  SysfsGpioLine,
  sysfsGpioNumber,
} from '../../../drivers/gpio/gpio-sysfs.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A temp dir laid out like /sys/class/gpio on a given kernel. */
function fakeSysfs(chips: Array<{ base: number; ngpio: number; label: string; chardev?: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'hashaxe-sysfs-'));
  dirs.push(root);
  writeFileSync(join(root, 'export'), '');
  for (const c of chips) {
    const dir = join(root, `gpiochip${c.base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'base'), `${c.base}\n`);
    writeFileSync(join(dir, 'ngpio'), `${c.ngpio}\n`);
    writeFileSync(join(dir, 'label'), `${c.label}\n`);
    if (c.chardev) mkdirSync(join(dir, 'device', c.chardev), { recursive: true });
  }
  return root;
}

/** Stands in for onoff: exports gpioN under the fake root and writes its value file, as onoff does. */
function fakeOnoff(root: string): OnoffFactory {
  return (gpio, direction) => {
    const dir = join(root, `gpio${gpio}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'direction'), 'out');
    writeFileSync(join(dir, 'value'), direction === 'high' ? '1' : '0');
    return {
      writeSync: (v) => writeFileSync(join(dir, 'value'), String(v)),
      unexport: () => rmSync(dir, { recursive: true, force: true }),
    };
  };
}

const value = (root: string, n: number): string => readFileSync(join(root, `gpio${n}`, 'value'), 'utf8');

test("BCM lines are offset by the controller's gpiochip base (Bookworm 6.6: base 512)", () => {
  const root = fakeSysfs([
    { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
    { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ]);
  assert.deepEqual(
    listSysfsGpioChips(root).map((c) => c.base),
    [512, 570],
  );
  assert.equal(sysfsGpioNumber(22, 'auto', root).number, 534);
  assert.equal(sysfsGpioNumber(22, 'auto', root).chip.label, 'pinctrl-bcm2711');
});

test('a Pi 5 (RP1 at base 571 behind another chip) and an old kernel (base 0) both resolve', () => {
  const pi5 = fakeSysfs([
    { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
    { base: 571, ngpio: 54, label: 'pinctrl-rp1', chardev: 'gpiochip4' },
  ]);
  assert.equal(sysfsGpioNumber(17, 'auto', pi5).number, 588, 'by label, not by lowest base');
  assert.equal(sysfsGpioNumber(17, 'gpiochip4', pi5).number, 588, 'by the character device it owns');
  const old = fakeSysfs([{ base: 0, ngpio: 54, label: 'pinctrl-bcm2835' }]);
  assert.equal(sysfsGpioNumber(17, 'auto', old).number, 17);
});

test('no sysfs GPIO at all is a GpioError that points at the gpiod package', () => {
  const empty = mkdtempSync(join(tmpdir(), 'hashaxe-sysfs-'));
  dirs.push(empty);
  assert.throws(
    () => sysfsGpioNumber(22, 'auto', empty),
    (e: unknown) => e instanceof GpioError && /install the gpiod package/.test(e.message),
  );
});

test('the line is created at its initial level and set through the polarity', async () => {
  const root = fakeSysfs([{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }]);
  const line = await SysfsGpioLine.open(
    { line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' },
    { root, factory: fakeOnoff(root) },
  );
  assert.equal(line.sysfsNumber, 534);
  assert.equal(value(root, 534), '0', 'active-low reset asserted = pin low from the first moment');
  assert.match(line.label, /reset \(BCM 22, active low\) via sysfs gpio534 \(pinctrl-bcm2711, base 512\)/);
  await line.set(false);
  assert.equal(value(root, 534), '1');
  assert.equal(line.active, false);
  const enable = await SysfsGpioLine.open(
    { line: 17, activeLow: false, initialActive: false, name: 'power-enable', chip: 'auto' },
    { root, factory: fakeOnoff(root) },
  );
  assert.equal(value(root, 529), '0');
  await enable.set(true);
  assert.equal(value(root, 529), '1');
  await line.close();
  assert.equal(value(root, 534), '1', 'close leaves the line driven (no float while the daemon restarts)');
});

test('a write failure (permissions) is a GpioError naming the line', async () => {
  const root = fakeSysfs([{ base: 512, ngpio: 58, label: 'pinctrl-bcm2711' }]);
  const line = await SysfsGpioLine.open(
    { line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' },
    {
      root,
      factory: () => ({
        writeSync: () => {
          throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        },
        unexport: () => {},
      }),
    },
  );
  await assert.rejects(line.set(false), /reset \(BCM 22, active low\) via sysfs gpio534.*EACCES/);
  assert.equal(line.active, true, 'state unchanged');
});

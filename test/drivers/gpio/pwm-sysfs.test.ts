import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PwmSysfsFan } from '../../../drivers/gpio/pwm-sysfs.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function pwmRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'hashaxe-pwm-'));
  dirs.push(root);
  mkdirSync(join(root, 'pwmchip0'));
  writeFileSync(join(root, 'pwmchip0', 'export'), '');
  return root;
}

const read = (root: string, f: string): string => readFileSync(join(root, 'pwmchip0', 'pwm0', f), 'utf8');

test('init exports the channel, sets a 1 kHz period, the duty, and enables it', async () => {
  const root = pwmRoot();
  // The "kernel": the export write makes pwm0 appear a moment later.
  const sleep = async (): Promise<void> => {
    if (readFileSync(join(root, 'pwmchip0', 'export'), 'utf8') === '0') {
      mkdirSync(join(root, 'pwmchip0', 'pwm0'), { recursive: true });
      for (const f of ['period', 'duty_cycle', 'enable']) writeFileSync(join(root, 'pwmchip0', 'pwm0', f), '0');
    }
  };
  const fan = new PwmSysfsFan(0, 0, 1000, root, sleep);
  await fan.init(80);
  assert.equal(read(root, 'period'), '1000000');
  assert.equal(read(root, 'duty_cycle'), '800000');
  assert.equal(read(root, 'enable'), '1');
  await fan.setFanPercent(35);
  assert.equal(read(root, 'duty_cycle'), '350000');
  assert.equal(await fan.readFanPercent(), 35);
  await fan.setFanPercent(140);
  assert.equal(read(root, 'duty_cycle'), '1000000', 'clamped to 100 %');
});

test('a missing pwmchip says to enable the overlay', async () => {
  const root = mkdtempSync(join(tmpdir(), 'hashaxe-pwm-'));
  dirs.push(root);
  await assert.rejects(
    new PwmSysfsFan(0, 0, 1000, root).init(50),
    /pwmchip0 not found: add dtoverlay=pwm to config.txt/,
  );
});

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { GpiosetLine, gpiosetVersion } from '../../../drivers/gpio/gpio-chardev.js';
import { GpioError, type GpioLine } from '../../../drivers/gpio/gpio-line.js';
import { openGpioLine } from '../../../drivers/gpio/gpio-open.js';

const dir = mkdtempSync(join(tmpdir(), 'hashaxe-gpiod-'));
const opened: GpioLine[] = [];
after(async () => {
  for (const l of opened) await l.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A stand-in for libgpiod's gpioset: reports a version, logs "start PID ARGS" and holds until SIGTERM
 * ("stop PID"), or fails like a busy line. gpiofind answers "gpiochip0 N" for GPIO<N>.
 */
function fakeTools(version: string, options: { busy?: boolean } = {}): { env: NodeJS.ProcessEnv; log: string } {
  const bin = mkdtempSync(join(dir, 'bin-'));
  const log = join(bin, 'log');
  writeFileSync(log, '');
  writeFileSync(
    join(bin, 'gpioset'),
    `#!/bin/bash
if [ "$1" = "--version" ]; then echo "gpioset (libgpiod) ${version}"; echo "Copyright"; exit 0; fi
${options.busy ? 'echo "gpioset: unable to request lines: Device or resource busy" >&2; exit 1' : ''}
echo "start $$ $*" >> "${log}"
trap 'echo "stop $$" >> "${log}"; exit 0' TERM
while true; do sleep 0.05; done
`,
  );
  writeFileSync(join(bin, 'gpiofind'), `#!/bin/bash\necho "gpiochip0 \${1#GPIO}"\n`);
  chmodSync(join(bin, 'gpioset'), 0o755);
  chmodSync(join(bin, 'gpiofind'), 0o755);
  return { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` }, log };
}

const logLines = (log: string): string[] => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);

async function waitFor(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
}

test('libgpiod v2: the line is held by name at its initial level; a change replaces the holder', async () => {
  const { env, log } = fakeTools('v2.1');
  assert.deepEqual(await gpiosetVersion('gpioset', env), { major: 2, minor: 1, text: 'gpioset (libgpiod) v2.1' });
  const line = await GpiosetLine.open(
    { line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' },
    { env },
  );
  opened.push(line);
  let lines = logLines(log);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^start (\d+) --consumer hashaxe-reset GPIO22=0$/, 'active-low asserted = 0');
  const firstPid = lines[0].split(' ')[1];
  await line.set(false);
  await waitFor(() => logLines(log).length >= 3);
  lines = logLines(log);
  assert.equal(lines[1], `stop ${firstPid}`, 'the old holder is gone before the new one starts');
  assert.match(lines[2], /^start \d+ --consumer hashaxe-reset GPIO22=1$/);
  await line.set(false);
  assert.equal(logLines(log).length, 3, 'no change, no respawn');
  await line.close();
  await waitFor(() => logLines(log).length >= 4);
  assert.match(logLines(log)[3], /^stop \d+$/);
});

test('libgpiod v2 with an explicit chip passes --chip and the offset', async () => {
  const { env, log } = fakeTools('v2.2.1');
  const line = await GpiosetLine.open(
    { line: 17, activeLow: false, initialActive: false, name: 'power-enable', chip: 'gpiochip4' },
    { env },
  );
  opened.push(line);
  assert.match(logLines(log)[0], /^start \d+ --consumer hashaxe-power-enable --chip gpiochip4 17=0$/);
  await line.close();
});

test('libgpiod v1 (Bookworm): --mode=signal, chip and offset found with gpiofind', async () => {
  const { env, log } = fakeTools('v1.6.3');
  const line = await GpiosetLine.open(
    { line: 17, activeLow: false, initialActive: true, name: 'power-enable', chip: 'auto' },
    { env },
  );
  opened.push(line);
  assert.match(logLines(log)[0], /^start \d+ --mode=signal --consumer hashaxe-power-enable gpiochip0 17=1$/);
  await line.close();
});

test("a busy line fails with gpioset's reason and a hint", async () => {
  const { env } = fakeTools('v2.1', { busy: true });
  await assert.rejects(
    GpiosetLine.open({ line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' }, { env }),
    (e: unknown) =>
      e instanceof GpioError &&
      /Device or resource busy \(another process holds the line: see gpioinfo\)/.test(e.message),
  );
});

test('a holder killed from outside is reported, and the next set() takes the line again', async () => {
  const { env, log } = fakeTools('v2.1');
  const lost: string[] = [];
  const line = await GpiosetLine.open(
    { line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' },
    { env, onLost: (label) => lost.push(label) },
  );
  opened.push(line);
  const pid = line.holderPid!;
  process.kill(pid, 'SIGTERM');
  await waitFor(() => lost.length > 0);
  assert.equal(lost.length, 1);
  await line.set(true);
  assert.ok(line.holderPid !== undefined && line.holderPid !== pid, 're-held');
  assert.equal(logLines(log).filter((l) => l.startsWith('start')).length, 2);
  await line.close();
});

test('openGpioLine picks gpioset when installed, sysfs otherwise, and says what to install when neither', async () => {
  const { env } = fakeTools('v2.1');
  const logs: string[] = [];
  const line = await openGpioLine(
    { line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' },
    { gpioset: { env }, log: (m) => logs.push(m), sysfsRoot: join(dir, 'no-sysfs') },
  );
  opened.push(line);
  assert.match(logs[0], /character device \(libgpiod gpioset\)/);
  await line.close();

  const sysfs = mkdtempSync(join(dir, 'sysfs-'));
  writeFileSync(join(sysfs, 'export'), '');
  const chip = join(sysfs, 'gpiochip512');
  mkdirSync(chip);
  writeFileSync(join(chip, 'base'), '512');
  writeFileSync(join(chip, 'ngpio'), '58');
  writeFileSync(join(chip, 'label'), 'pinctrl-bcm2711');
  let created = -1;
  const viaSysfs = await openGpioLine(
    { line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' },
    {
      gpioset: { env: { PATH: join(dir, 'nothing-here') } },
      sysfsRoot: sysfs,
      onoffFactory: (n) => {
        created = n;
        return { writeSync: () => {}, unexport: () => {} };
      },
      log: (m) => logs.push(m),
    },
  );
  assert.equal(created, 534);
  assert.match(logs[1], /sysfs \(onoff; gpioset not installed\)/);
  await viaSysfs.close();

  await assert.rejects(
    openGpioLine(
      { line: 22, activeLow: true, initialActive: true, name: 'reset', chip: 'auto' },
      { gpioset: { env: { PATH: join(dir, 'nothing-here') } }, sysfsRoot: join(dir, 'no-sysfs') },
    ),
    /no GPIO access for reset: gpioset is not installed .* sudo apt install gpiod/,
  );
  assert.equal(existsSync(join(dir, 'no-sysfs')), false);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EMC2101_REG } from '../../../drivers/i2c/emc2101.js';
import { type BoardDaemon, startBoardDaemon } from '../../support/board-daemon.js';
import { isOneLineReason, runCliCaptured, spawnCli } from '../../support/cli.js';
import { NOBODY_HOST, refusedPort } from '../../support/net.js';

let d: BoardDaemon;
const TOKEN = '0123456789abcdef0123456789abcdef';
let guarded: BoardDaemon;
// Nothing listens here: a command that reached it would fail with exit 1, so exit 2 proves a local check.
let NOBODY = '';

before(async () => {
  NOBODY = `http://${NOBODY_HOST}:${await refusedPort()}`;
  d = await startBoardDaemon('bitaxe-ultra');
  guarded = await startBoardDaemon('bitaxe-gamma', { token: TOKEN });
});
after(async () => {
  await d.close();
  await guarded.close();
});

test('hashaxe fan 40 on a running emulated daemon changes the emulated fan PWM, visible in status --json', async () => {
  const set = await spawnCli(['fan', '40', '--api', d.url]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(set.stdout, 'fan 40 % (manual)\n');
  assert.equal(d.board.emc2101!.regs[EMC2101_REG.FAN_SETTING], 25, 'EMC2101 register 0x4C = floor(63 × 0.40)');
  assert.ok(Math.abs(d.board.fanPercentOutput() - (25 / 63) * 100) < 1e-9, 'the PWM the fan sees');
  const status = await spawnCli(['status', '--json', '--api', d.url]);
  assert.equal(status.code, 0, status.stderr);
  const lines = status.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON object per line');
  const info = JSON.parse(lines[0]);
  assert.equal(info.fanspeed, 40);
  assert.equal(info.autofanspeed, 0);
  assert.equal(info.manualFanSpeed, 40);
  assert.equal(info.hashaxe.fanReason, 'manual');
});

test('fan auto with a target; status in text form names board, fan and faults', async () => {
  const r = await spawnCli(['fan', 'auto', '--target', '58', '--json'], { env: { HASHAXE_API: d.url } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    ok: true,
    fanMode: 'auto',
    autofanspeed: 1,
    manualFanSpeed: 40,
    minFanSpeed: 25,
    temptarget: 58,
  });
  const text = await spawnCli(['status'], { env: { HASHAXE_API: d.url } });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^board {9}bitaxe-ultra \(BM1366 ×1\), power on, chips running$/m);
  assert.match(text.stdout, /^fan {11}\d+(\.\d)? % \((auto|startup); auto, target 58 °C, min 25 %\), \d+ rpm$/m);
  assert.match(text.stdout, /^faults {8}none$/m);
  await runCliCaptured(['fan', 'auto', '--target', '60', '--api', d.url]);
});

test("a manual fan under the board's floor exits 2 with the daemon's reason; nothing reaches the fan", async () => {
  // A fixed speed first, so nothing but the refused command could move the fan.
  assert.equal((await runCliCaptured(['fan', '50', '--api', d.url])).code, 0);
  const setting = d.board.emc2101!.regs[EMC2101_REG.FAN_SETTING];
  const low = await spawnCli(['fan', '10', '--api', d.url]);
  assert.equal(low.code, 2);
  assert.ok(isOneLineReason(low.stderr), low.stderr);
  assert.match(
    low.stderr,
    /^hashaxe: the daemon refused: manualFanSpeed: manual fan speed 10% below bitaxe-ultra's minimum 40%: slower, the chips can overheat at full power/,
  );
  assert.equal(d.board.emc2101!.regs[EMC2101_REG.FAN_SETTING], setting, 'the fan speed on the EMC2101 is unchanged');
  assert.deepEqual(
    [d.control.getSettings().fanMode, d.control.getSettings().fanPercent],
    ['manual', 50],
    'the fan settings are unchanged',
  );
  await runCliCaptured(['fan', 'auto', '--api', d.url]);
});

test("voltage and freq go through the daemon's limits: over the limit exits 2 with the limit, nothing written", async () => {
  const writes = d.board.bus.writesTo(0x48).length;
  const over = await spawnCli(['voltage', '1450', '--api', d.url]);
  assert.equal(over.code, 2);
  assert.ok(isOneLineReason(over.stderr), over.stderr);
  assert.equal(
    over.stderr,
    "hashaxe: the daemon refused: coreVoltage: core voltage 1450 mV above bitaxe-ultra's limit 1300 mV\n",
  );
  assert.equal(d.board.bus.writesTo(0x48).length, writes);
  const ok = await spawnCli(['voltage', '1250', '--api', d.url]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'core voltage 1250 mV\n');
  assert.equal(d.control.getSettings().voltageMv, 1250);
  const f = await spawnCli(['freq', '500', '--json', '--api', d.url]);
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(JSON.parse(f.stdout), { ok: true, frequency: 500 });
  assert.equal(d.board.asicClock.frequencyMhz, 500, 'the chips run at it');
  const fOver = await runCliCaptured(['freq', '600', '--api', d.url]);
  assert.equal(fOver.code, 2);
  assert.match(fOver.stderr, /frequency 600 MHz above bitaxe-ultra's limit 575 MHz/);
  await runCliCaptured(['voltage', '1200', '--api', d.url]);
  await runCliCaptured(['freq', '485', '--api', d.url]);
});

test('bad input is caught locally (exit 2, one line) before any request', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['fan', '150'], /fan speed must be between 0 and 100, got 150/],
    [['fan', 'fast'], /fan speed must be a number between 0 and 100, got "fast"/],
    [['fan'], /expected one fan setting \(0-100 or auto\), got 0 arguments/],
    [['fan', '40', '--target', '55'], /--target and --min go with "fan auto"/],
    [['fan', 'auto', '--target', '80'], /--target must be between 35 and 66, got 80/],
    [['voltage', '1.2'], /voltage \(mV\) must be an integer between 800 and 1500, got "1\.2"/],
    [['voltage', '9000'], /voltage \(mV\) must be between 800 and 1500, got 9000/],
    [['freq', '5000'], /frequency \(MHz\) must be between 50 and 1000, got 5000/],
    [['status', 'now'], /status takes no arguments/],
    [['status', '--api', 'ftp://x'], /--api must be an http:\/\/ URL/],
    [['status', '--timeout', 'soon'], /--timeout must be whole milliseconds/],
  ];
  for (const [argv, reason] of cases) {
    const r = await runCliCaptured([...argv, ...(argv.includes('--api') ? [] : ['--api', NOBODY])]);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.ok(isOneLineReason(r.stderr), r.stderr);
    assert.match(r.stderr, reason);
  }
  const real = await spawnCli(['fan', '150', '--api', NOBODY]);
  assert.equal(real.code, 2);
  assert.ok(isOneLineReason(real.stderr));
});

test('an unreachable daemon exits 1 with a one-line reason naming the URL', async () => {
  const r = await spawnCli(['status', '--api', NOBODY]);
  assert.equal(r.code, 1);
  assert.ok(isOneLineReason(r.stderr), r.stderr);
  assert.ok(
    r.stderr.startsWith(`hashaxe: cannot reach the hashaxe daemon at ${NOBODY}: ECONNREFUSED; is it running`),
    r.stderr,
  );
});

test('a token-protected daemon: changes without the token exit 1; with HASHAXE_TOKEN they work; reads need none', async () => {
  const no = await spawnCli(['fan', '70', '--api', guarded.url], { env: { HASHAXE_TOKEN: '' } });
  assert.equal(no.code, 1);
  assert.ok(isOneLineReason(no.stderr));
  assert.match(
    no.stderr,
    /not allowed: this device needs its API token for changes: send "Authorization: Bearer <token>"/,
  );
  assert.notEqual(guarded.control.getSettings().fanMode, 'manual');
  const yes = await spawnCli(['fan', '70', '--api', guarded.url], { env: { HASHAXE_TOKEN: TOKEN } });
  assert.equal(yes.code, 0, yes.stderr);
  assert.equal(guarded.board.fanSettingRegister(), 44, 'floor(63 × 0.70)');
  const read = await runCliCaptured(['status', '--json', '--api', guarded.url]);
  assert.equal(read.code, 0);
  assert.equal(JSON.parse(read.stdout).ASICModel, 'BM1370');
});

test('status shows a latched overheat; restart is refused while the chip is hot', async () => {
  guarded.board.thermal.overrideDieC = 95;
  for (let i = 0; i < 50 && guarded.control.telemetry().overheat === null; i++)
    await new Promise((r) => setTimeout(r, 20));
  const s = await runCliCaptured(['status', '--api', guarded.url]);
  assert.equal(s.code, 0);
  assert.match(s.stdout, /^faults {8}overheat: ASIC 9[45](\.\d)? °C above bitaxe-gamma's limit 75 °C/m);
  const restart = await fetch(`${guarded.url}/api/system/restart`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(restart.status, 409);
  guarded.board.thermal.overrideDieC = null;
});

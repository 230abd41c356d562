import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { validateMinerConfig } from '../../src/config/miner-config.js';
import { repoRoot } from '../support/vectors.js';

const script = join(repoRoot(), 'scripts', 'install-pi.sh');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const shellcheckMissing =
  spawnSync('shellcheck', ['--version']).status === 0 ? false : 'shellcheck is not installed (CI installs it)';

/** A fake system root: Raspberry Pi OS release file and a config.txt with UART already on. */
function fakeRoot(extra: (root: string) => void = () => {}): string {
  const root = mkdtempSync(join(tmpdir(), 'hashaxe-install-'));
  dirs.push(root);
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
  mkdirSync(join(root, 'boot', 'firmware'), { recursive: true });
  writeFileSync(join(root, 'boot', 'firmware', 'config.txt'), '[all]\nenable_uart=1\n');
  writeFileSync(
    join(root, 'boot', 'firmware', 'cmdline.txt'),
    'console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 rootwait\n',
  );
  extra(root);
  return root;
}

/** Every file under `dir` with its content and mode: proof that nothing changed. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(`${p} ${statSync(p).mode} ${readFileSync(p, 'utf8')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

function dryRun(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('install-pi.sh passes shellcheck', { skip: shellcheckMissing }, () => {
  execFileSync('shellcheck', ['--severity=style', script]);
});

test('--dry-run prints the user, groups, udev rule, UART/I2C steps and the systemd unit, and changes nothing', () => {
  const root = fakeRoot();
  const before = snapshot(root);
  const r = dryRun(['--dry-run', '--root', root, '--board', 'bitaxe-gamma']);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(
    out,
    /^would run: useradd --system --home-dir \/var\/lib\/hashaxe --no-create-home --shell \/usr\/sbin\/nologin hashaxe$/m,
  );
  assert.match(out, /^would run: usermod -a -G dialout,i2c,gpio hashaxe$/m);
  assert.match(out, /^would run: groupadd --system -f i2c$/m);
  assert.match(
    out,
    /^would run: apt-get update\nwould run: apt-get install -y --no-install-recommends gpiod i2c-tools/m,
  );
  assert.match(out, /^would write \/etc\/udev\/rules\.d\/60-hashaxe\.rules \(mode 0644\):$/m);
  assert.match(out, /^ {4}\| KERNEL=="ttyAMA\[0-9\]\*\|ttyS\[0-9\]\*", GROUP="dialout", MODE="0660"$/m);
  assert.match(out, /^ {4}\| SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660"$/m);
  assert.match(out, /^ {4}\| SUBSYSTEM=="gpio", KERNEL=="gpiochip\*", GROUP="gpio", MODE="0660"$/m);
  assert.match(out, /\/boot\/firmware\/config\.txt already has enable_uart=1/);
  assert.match(out, /^would append to \/boot\/firmware\/config\.txt: dtparam=i2c_arm=on$/m);
  assert.match(out, /^would append to \/boot\/firmware\/config\.txt: dtoverlay=disable-bt$/m);
  assert.doesNotMatch(out, /dtoverlay=pwm/, 'only the PiAxe needs the PWM overlay');
  // No raspi-config here: the serial console comes off the kernel command line by hand.
  assert.match(out, /^would remove from \/boot\/firmware\/cmdline\.txt: console=serial0,115200$/m);
  assert.doesNotMatch(out, /console=tty1/, 'the screen console stays');
  assert.match(out, /^would run: systemctl disable --now hciuart\.service$/m);
  assert.match(out, /^would run: systemctl disable --now serial-getty@ttyAMA0\.service serial-getty@ttyS0\.service$/m);
  assert.match(out, /^would write \/etc\/systemd\/system\/hashaxe\.service \(mode 0644\):$/m);
  assert.match(out, /^ {4}\| User=hashaxe$/m);
  assert.match(out, /^ {4}\| SupplementaryGroups=dialout i2c gpio$/m);
  assert.match(
    out,
    /^ {4}\| ExecStart=\S*node \/opt\/hashaxe\/dist\/firmware\/cli\.js mine --config \/etc\/hashaxe\/hashaxe\.json --state \/var\/lib\/hashaxe\/state\.json$/m,
  );
  assert.match(out, /^ {4}\| Restart=on-failure$/m);
  // The API may bind port 80 for AxeOS swarm pages, and the service gets no other capability.
  assert.match(out, /^ {4}\| AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
  assert.match(out, /^ {4}\| CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
  // The config it writes is one the daemon accepts: this board, on the board file's UART.
  const configText = /^would write \/etc\/hashaxe\/hashaxe\.json \(mode 0640\):\n((?: {4}\|.*\n)+)/m.exec(out)?.[1];
  assert.ok(configText, 'the config file is shown');
  const config = validateMinerConfig(JSON.parse(configText.replace(/^ {4}\| ?/gm, '')), 'hashaxe.json');
  assert.equal(config.board, 'bitaxe-gamma');
  assert.deepEqual(config.port, { kind: 'board' });
  assert.match(out, /next: put your pool in \/etc\/hashaxe\/hashaxe\.json/);
  assert.match(out, /^would run: systemctl enable --now hashaxe\.service$/m);
  assert.match(out, /dry run: nothing was changed\n$/);
  assert.equal(snapshot(root), before, 'the fake root is untouched');
});

test('--dry-run for a PiAxe adds the PWM overlay; an existing config is kept; options are honoured', () => {
  const root = fakeRoot((r) => {
    mkdirSync(join(r, 'etc', 'hashaxe'));
    writeFileSync(join(r, 'etc', 'hashaxe', 'hashaxe.json'), '{"board":"piaxe"}\n');
  });
  const r = dryRun([
    '--dry-run',
    '--root',
    root,
    '--board',
    'piaxe',
    '--user',
    'miner',
    '--prefix',
    '/srv/hx',
    '--no-enable',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^would append to \/boot\/firmware\/config\.txt: dtoverlay=pwm$/m);
  assert.match(r.stdout, /keeping the existing \/etc\/hashaxe\/hashaxe\.json/);
  assert.match(r.stdout, /^would run: usermod -a -G dialout,i2c,gpio miner$/m);
  assert.match(
    r.stdout,
    /^ {4}\| ExecStart=\S*node \/srv\/hx\/dist\/firmware\/cli\.js mine --config \/etc\/hashaxe\/hashaxe\.json --state \/var\/lib\/hashaxe\/state\.json$/m,
  );
  assert.doesNotMatch(r.stdout, /^would run: systemctl enable/m);
  assert.match(r.stdout, /installed but not enabled/);
});

test('without a config.txt (not a Pi) the UART/I2C step says so and is skipped', () => {
  const root = fakeRoot((r) => rmSync(join(r, 'boot'), { recursive: true }));
  const r = dryRun(['--dry-run', '--root', root]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /no config\.txt at \/boot\/firmware\/config\.txt or \/boot\/config\.txt \(not a Raspberry Pi\?\): skipping UART\/I2C setup/,
  );
  assert.doesNotMatch(r.stdout, /would append/);
});

test('bad usage exits 2 with a one-line reason', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--dry-run', '--board', 'bitaxe-mega'], /unknown board 'bitaxe-mega'/],
    [['--dry-run', '--board', '../x'], /--board must be a board name/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['--dry-run', '--prefix', 'relative'], /--prefix must be an absolute path/],
    [['--root', '/tmp'], /--root is for --dry-run only/],
    [['--board'], /--board needs a value/],
  ];
  for (const [args, reason] of cases) {
    const r = dryRun(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, reason);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
  }
  const help = dryRun(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--dry-run {10}print what would be done, change nothing/);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { systemClockSynchronised } from '../../../firmware/daemon/clock-sync.js';

const dir = mkdtempSync(join(tmpdir(), 'hashaxe-clock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test("timesyncd's flag file means synchronised; otherwise timedatectl's NTPSynchronized answers; else unknown", () => {
  const flag = join(dir, 'synchronized');
  const absent = join(dir, 'absent');
  writeFileSync(flag, '');
  let ran = 0;
  const ctl = (answer: string | null) => () => {
    ran++;
    return answer;
  };
  assert.equal(systemClockSynchronised({ flagPath: flag, timedatectl: ctl('no\n') }), true);
  assert.equal(ran, 0, 'the flag file is enough');
  assert.equal(systemClockSynchronised({ flagPath: absent, timedatectl: ctl('yes\n') }), true);
  assert.equal(systemClockSynchronised({ flagPath: absent, timedatectl: ctl('no\n') }), false);
  assert.equal(systemClockSynchronised({ flagPath: absent, timedatectl: ctl(null) }), null);
  assert.equal(systemClockSynchronised({ flagPath: absent, timedatectl: ctl('Failed to connect to bus') }), null);
});

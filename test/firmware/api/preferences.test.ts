/**
 * The theme and the display/statistics settings AxeOS stores on a Bitaxe's flash survive a restart of the daemon
 * (kept beside its state file), and a damaged file is a warning and the defaults.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestMiner } from '../../support/miner.js';

test('theme, rotation and statsFrequency are stored across a restart; a damaged file means defaults and a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashaxe-prefs-'));
  const stateFile = join(dir, 'state.json');
  try {
    const first = await startTestMiner('bitaxe-ultra', { stateFile, api: { enabled: true, port: 0 } });
    try {
      const base = first.miner.apiUrl!;
      const post = await fetch(`${base}/api/theme`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ colorScheme: 'light', primaryColor: '#123456' }),
      });
      assert.equal(post.status, 200);
      const patch = await fetch(`${base}/api/system`, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ rotation: 180, statsFrequency: 30 }),
      });
      assert.equal(patch.status, 200);
    } finally {
      await first.stop();
    }
    const stored = JSON.parse(readFileSync(join(dir, 'state.ui.json'), 'utf8'));
    assert.equal(stored.theme.primaryColor, '#123456');
    const second = await startTestMiner('bitaxe-ultra', { stateFile, api: { enabled: true, port: 0 } });
    try {
      const base = second.miner.apiUrl!;
      assert.deepEqual(await (await fetch(`${base}/api/theme`)).json(), {
        colorScheme: 'light',
        primaryColor: '#123456',
      });
      const info = (await (await fetch(`${base}/api/system/info`)).json()) as Record<string, unknown>;
      assert.equal(info.rotation, 180);
      assert.equal(info.statsFrequency, 30);
    } finally {
      await second.stop();
    }
    writeFileSync(join(dir, 'state.ui.json'), '{"theme": ');
    const third = await startTestMiner('bitaxe-ultra', { stateFile, api: { enabled: true, port: 0 } });
    try {
      assert.deepEqual(await (await fetch(`${third.miner.apiUrl}/api/theme`)).json(), {
        colorScheme: 'dark',
        primaryColor: '#F80421',
      });
      assert.ok(third.logs.some((l) => /state\.ui\.json is not valid JSON; using defaults/.test(l)));
    } finally {
      await third.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

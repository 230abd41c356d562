import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CliIo } from '../../../firmware/cli/command.js';
import { StatusReporter } from '../../../firmware/daemon/status-line.js';
import { eventually, startTestMiner } from '../../support/miner.js';

function captureIo(isTty: boolean): { io: CliIo; out: () => string } {
  let out = '';
  return {
    io: {
      stdout: (t) => {
        out += t;
      },
      stderr: () => {},
      isTty,
      signal: new AbortController().signal,
    },
    out: () => out,
  };
}

test('on a terminal one status line is rewritten in place; elsewhere plain lines; clear() wipes it for a log line', async () => {
  const t = await startTestMiner('bitaxe-ultra', { localPool: { sharesPerMinute: 600 } });
  try {
    await eventually(() => t.miner.summary().accepted >= 2, 10_000, 'shares');
    const tty = captureIo(true);
    const live = new StatusReporter(tty.io, 10);
    live.start(t.miner);
    await eventually(() => tty.out().length > 0, 3000, 'a live line');
    live.clear();
    live.stop();
    const text = tty.out();
    assert.ok(text.startsWith('\r\x1b[K'), 'rewritten in place');
    assert.ok(!text.includes('\n'), 'never scrolls');
    assert.match(
      text,
      /H\/s \(pool .*H\/s\) \| shares \d+\/0 \| best \S+ \| hw 0 \| \d+\.\d°C fan \d+%( [\d.]+ W)? \| diff \S+ SV2 \(extended\) \| up \d+s/,
    );
    assert.ok(text.endsWith('\r\x1b[K'), 'cleared');
    const line = StatusReporter.formatLine(t.miner);
    assert.doesNotMatch(line, /\r|\n/);
    const summary = StatusReporter.formatSummary(t.miner.summary());
    assert.match(
      summary,
      /^summary: \d+ shares accepted, 0 rejected, 0 hardware errors; hash rate .* \(emulator configured for 1\.00 MH\/s\)/,
    );
  } finally {
    await t.stop();
  }
});

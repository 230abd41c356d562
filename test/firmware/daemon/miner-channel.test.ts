/**
 * The channel choice through the whole daemon (emulated board and chips, the local pool on 127.0.0.1): the
 * default opens an extended channel, `channel: "standard"` a standard one, and the kind in use shows in the
 * status line, the API (`stratumV2ChannelType`) and /metrics (`hashaxe_pool_channel_info`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusReporter } from '../../../firmware/daemon/status-line.js';
import type { ChannelChoice } from '../../../src/config/miner-config.js';
import { runCliCaptured } from '../../support/cli.js';
import { eventually, startTestMiner } from '../../support/miner.js';
import { parsePrometheusText } from '../../support/prometheus.js';

for (const [choice, expected] of [
  [undefined, 'extended'],
  ['standard', 'standard'],
] as Array<[ChannelChoice | undefined, string]>) {
  test(`channel ${choice ?? '(default)'}: mines on a channel of kind ${expected}, shown in status, API and /metrics`, async () => {
    const t = await startTestMiner('bitaxe-ultra', {
      ...(choice !== undefined ? { channel: choice } : {}),
      localPool: { sharesPerMinute: 600 },
      api: { enabled: true, port: 0 },
    });
    try {
      const m = t.miner;
      await eventually(() => m.miningStatus().sharesAccepted >= 3, 20_000, '3 accepted shares');
      const status = m.miningStatus();
      assert.equal(status.pool?.channelKind, expected);
      assert.equal(status.sharesRejected, 0);
      assert.match(StatusReporter.formatLine(m), new RegExp(`diff [^|]+ \\(${expected}\\)`));
      const api = m.apiUrl;
      assert.ok(api !== null);
      const info = (await (await fetch(`${api}/api/system/info`)).json()) as Record<string, unknown>;
      assert.equal(info.stratumV2ChannelType, expected);
      const cli = await runCliCaptured(['status', '--api', api]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, new RegExp(`^pool .* \\(SV2 ${expected} channel, difficulty \\S+\\)$`, 'm'));
      const metrics = parsePrometheusText(await (await fetch(`${api}/metrics`)).text());
      const samples = metrics.get('hashaxe_pool_channel_info')?.samples ?? [];
      assert.deepEqual(
        samples.map((s) => [s.labels.protocol, s.labels.channel, s.value]),
        [['SV2', expected, 1]],
      );
    } finally {
      await t.stop();
    }
  });
}

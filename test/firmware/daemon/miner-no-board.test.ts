/**
 * A daemon without board control (`--peripherals none`: a chain on a ser2net-style TCP port, nothing to read the
 * board's fan or sensors) still serves its API: the mining half for `hashaxe status` and scripts, board changes
 * refused in one line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmulatedChain } from '../../../drivers/emulator/bm13xx-emulator.js';
import { serveOnTcp } from '../../../drivers/emulator/chain-endpoint.js';
import { Miner } from '../../../firmware/daemon/miner.js';
import { loadBoard } from '../../../src/config/board-loader.js';
import { DEFAULT_MINER_CONFIG, type MinerConfig } from '../../../src/config/miner-config.js';
import { isOneLineReason, runCliCaptured } from '../../support/cli.js';
import { collectingLog } from '../../support/log.js';
import { eventually } from '../../support/miner.js';
import { parsePrometheusText } from '../../support/prometheus.js';

/** Parsed JSON as JSON.parse types it: the test checks fields one by one. */
type ParsedJson = ReturnType<typeof JSON.parse>;

const SCALE = 2 ** -21;
const RATE_HS = 1_000_000;

test('--peripherals none over an emulated chain on TCP: the API serves mining figures, status works, fan and freq exit 1', async () => {
  const emulated = new EmulatedChain({
    model: 'bm1366',
    chips: 1,
    hashrateHs: RATE_HS,
    difficultyScale: SCALE,
    workers: 1,
  });
  const endpoint = await serveOnTcp(emulated, 'tcp://127.0.0.1:0');
  const base = structuredClone(DEFAULT_MINER_CONFIG);
  const config: MinerConfig = {
    ...base,
    board: 'bitaxe-ultra',
    port: { kind: 'tcp', url: endpoint.endpoint },
    difficultyScale: SCALE,
    emulator: { ...base.emulator, hashrateHs: RATE_HS },
    localPool: { ...base.localPool, sharesPerMinute: 600 },
    api: { ...base.api, enabled: true, port: 0 },
  };
  const { log, logs } = collectingLog();
  let miner: Miner | null = null;
  try {
    miner = await Miner.start({
      config,
      board: loadBoard('bitaxe-ultra'),
      peripherals: 'none',
      version: '0.0.0-test',
      log,
    });
    const m = miner;
    assert.equal(m.boardControl, null);
    const api = m.apiUrl;
    assert.ok(api !== null, `the API started without board control: ${logs.join('\n')}`);
    assert.ok(
      logs.some((l) => /^API on http:\/\/127\.0\.0\.1:\d+\/? .*no board control: mining figures only/.test(l)),
      logs.join('\n'),
    );
    await eventually(() => (m.snapshot()?.sharesAccepted ?? 0) >= 2, 15_000, 'accepted shares');

    const info: ParsedJson = await (await fetch(`${api}/api/system/info`)).json();
    const snap = m.snapshot();
    assert.ok(snap);
    assert.ok(info.sharesAccepted >= 2 && info.sharesAccepted <= snap.sharesAccepted, String(info.sharesAccepted));
    assert.equal(info.sharesRejected, 0);
    assert.ok(info.bestDiff > 0);
    assert.equal(typeof info.hashRate, 'number');
    assert.equal(typeof info.uptimeSeconds, 'number');
    const poolPort = Number(new URL(m.localPoolInstance?.url.replace(/^sv2\+tcp/, 'http') ?? '').port);
    assert.equal(info.stratumURL, '127.0.0.1', 'the local pool, as a bare host');
    assert.equal(info.stratumProtocol, 'SV2');
    assert.match(info.stratumV2AuthorityPubkey, /^9[1-9A-HJ-NP-Za-km-z]{50}$/);
    assert.equal(info.stratumPort, poolPort);
    assert.equal(info.ASICModel, 'BM1366');
    assert.equal(info.asicCount, 1);
    assert.equal(info.version, '0.0.0-test');
    assert.equal(info.miningPaused, false);
    // The frequency the daemon brought the chips up at, as the emulated PLL really runs it.
    const pll = emulated.status().perChip[0].frequencyMhz;
    assert.equal(info.frequency, 485);
    assert.ok(Math.abs(info.actualFrequency - pll) < 0.01, `${info.actualFrequency} vs the chip's ${pll}`);
    assert.ok(info.expectedHashrate > 400, 'silicon rate at that frequency');
    for (const k of ['power', 'temp', 'vrTemp', 'fanspeed', 'fanrpm', 'coreVoltage', 'overheat_mode']) {
      assert.equal(k in info, false, `${k} absent without board control`);
    }
    assert.equal(info.hashaxe.boardControl, false);
    assert.equal(info.hashaxe.asicRunning, true);

    const metrics = parsePrometheusText(await (await fetch(`${api}/metrics`)).text());
    const nonces = metrics.get('hashaxe_chip_nonces_total')?.samples[0]?.value ?? 0;
    assert.ok(nonces > 0, 'verified nonces counted');
    const rate = metrics.get('hashaxe_hashrate_ghs')?.samples.find((s) => s.labels.window === '1m')?.value ?? 0;
    assert.ok(rate > 0, `1-minute hash rate ${rate} GH/s`);
    assert.equal(metrics.has('hashaxe_fan_speed_percent'), false);
    assert.equal(metrics.has('hashaxe_asic_temperature_celsius'), false);

    const status = await runCliCaptured(['status', '--json', '--api', api]);
    assert.equal(status.code, 0, status.stderr);
    const lines = status.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const viaCli = JSON.parse(lines[0]);
    assert.ok(viaCli.sharesAccepted >= info.sharesAccepted);
    assert.equal(viaCli.hashaxe.boardControl, false);
    const text = await runCliCaptured(['status', '--api', api]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^board +bitaxe-ultra \(BM1366 ×1\), no board control here, chips running$/m);
    assert.match(text.stdout, /^shares +\d+ accepted, 0 rejected/m);
    assert.match(text.stdout, /^pool +127\.0\.0\.1:\d+ as /m, 'the bare host and its port once');
    assert.match(
      text.stdout,
      /^pool +\S+ as \S+ \(SV2 (extended|standard) channel, difficulty \S+\)$/m,
      'the protocol, the channel and the pool difficulty',
    );
    assert.doesNotMatch(text.stdout, /undefined|null|NaN/);

    const fan = await runCliCaptured(['fan', '40', '--api', api]);
    assert.equal(fan.code, 1, fan.stdout);
    assert.equal(fan.stdout, '');
    assert.ok(isOneLineReason(fan.stderr), fan.stderr);
    assert.match(fan.stderr, /HTTP 409\).*no board control .*autofanspeed, manualFanSpeed cannot be changed here/);
    const freq = await runCliCaptured(['freq', '400', '--api', api]);
    assert.equal(freq.code, 1);
    assert.ok(isOneLineReason(freq.stderr), freq.stderr);
    assert.equal(emulated.status().perChip[0].frequencyMhz, pll, 'the PLL was not touched');
    const health: ParsedJson = await (await fetch(`${api}/health`)).json();
    assert.equal(health.status, 'ok');
  } finally {
    await miner?.stop();
    await endpoint.close();
    await emulated.close();
  }
});

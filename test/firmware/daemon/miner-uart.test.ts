/**
 * A noisy UART, end to end: the whole daemon on the embedded default (emulated chip behind a real pty, the
 * real serialport driver, the local pool over Noise) with the emulator's line flipping bits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusReporter } from '../../../firmware/daemon/status-line.js';
import { eventually, startTestMiner } from '../../support/miner.js';
import { parsePrometheusText } from '../../support/prometheus.js';

/** More nonces a second than the default (so a few seconds carry a few hundred frames). */
const BUSY_EMULATOR = { difficultyScale: 2 ** -24 };

test('1 % bit flips on the line: CRC errors in /metrics, /api/system/info and the status line, and a log line', async () => {
  const t = await startTestMiner(
    'bitaxe-ultra',
    { localPool: { sharesPerMinute: 600 }, emulator: BUSY_EMULATOR, api: { enabled: true, port: 0 } },
    {},
    { emulatorFaults: { garbleByteProbability: 0.01 } },
  );
  try {
    await eventually(() => t.logs.some((l) => /UART errors: .* failed their CRC/.test(l)), 20_000, 'the UART log line');
    const line = t.logs.find((l) => /UART errors/.test(l)) ?? '';
    assert.match(line, /over the last 60 s \(\d+ CRC errors, \d+ bytes skipped\); nonces are being lost/);
    const api = t.miner.apiUrl;
    assert.ok(api);
    const metrics = parsePrometheusText(await (await fetch(`${api}/metrics`)).text());
    const crc = metrics.get('hashaxe_uart_crc_errors_total');
    assert.equal(crc?.type, 'counter');
    assert.ok((crc?.samples[0].value ?? 0) >= 5, `crc errors ${crc?.samples[0].value}`);
    assert.ok((metrics.get('hashaxe_uart_dropped_bytes_total')?.samples[0].value ?? 0) > 0);
    assert.ok((metrics.get('hashaxe_uart_frames_total')?.samples[0].value ?? 0) > 0);
    const ratio = metrics.get('hashaxe_uart_crc_error_ratio')?.samples[0];
    assert.ok(ratio !== undefined && ratio.value > 0.01 && ratio.value < 0.5, `ratio ${ratio?.value}`);
    assert.deepEqual(ratio?.labels, { window: '60s' });
    assert.equal(metrics.get('hashaxe_chip_hardware_error_ratio')?.samples.length, 1, 'one series per chip');
    const info = (await (await fetch(`${api}/api/system/info`)).json()) as {
      hashaxe: { uart: Record<string, unknown> };
    };
    const uart = info.hashaxe.uart;
    assert.ok((uart.crcErrors as number) >= 5);
    assert.ok((uart.crcErrorPercent as number) > 1);
    assert.equal((uart.chips as unknown[]).length, 1);
    assert.deepEqual(Object.keys((uart.chips as object[])[0]).sort(), ['hwErrorPercent', 'hwErrors', 'nonces']);
    assert.match(StatusReporter.formatLine(t.miner), / \| hw \d+ \| uart \d+ crc err \(\d+\.\d %\/60s\) \| /);
    assert.ok(t.miner.summary().accepted > 0, 'still mining');
  } finally {
    await t.stop();
  }
});

test('5 % bit flips from the start: bring-up retries the enumeration and the daemon mines', async () => {
  // Seeded noise: with line seed 6 the first chip-id reply arrives garbled (as 43 % of 11-byte frames do).
  const t = await startTestMiner(
    'bitaxe-ultra',
    { localPool: { sharesPerMinute: 600 } },
    {},
    { emulatorFaults: { garbleByteProbability: 0.05 }, emulatorLineSeed: 6 },
  );
  try {
    assert.ok(
      t.logs.some((l) => /chain enumeration failed \(.*\); retry 1 of 3 in 200 ms/.test(l)),
      t.logs.join('\n'),
    );
    assert.ok(t.logs.some((l) => /1× BM1366 enumerated \(attempt \d\)/.test(l)));
    await eventually(() => t.miner.summary().accepted >= 1, 20_000, 'a share through the noise');
  } finally {
    await t.stop();
  }
});

test('a chip whose nonces are mostly hardware errors: logged, and the watchdog power-cycles the chain', async () => {
  const t = await startTestMiner(
    'bitaxe-ultra',
    { localPool: { sharesPerMinute: 600 }, emulator: BUSY_EMULATOR },
    {
      watchdog: { hwErrorSustainMs: 2000, minHwErrors: 10 },
      uartHealth: { windowMs: 5000 },
    },
    { emulatorFaults: { badNonceEvery: 2 } },
  );
  try {
    await eventually(
      () => t.logs.some((l) => /chip 0: \d+ % of its nonces were hardware errors .*power-cycling the chain/.test(l)),
      20_000,
      'a watchdog restart',
    );
    assert.ok(t.logs.some((l) => /chip 0: \d+ % of its nonces were hardware errors over the last 5 s/.test(l)));
    const restarted = t.logs.find((l) => /power-cycling the chain/.test(l)) ?? '';
    assert.match(
      restarted,
      /chip 0: (4\d|5\d|6\d) % of its nonces were hardware errors \(\d+ in the last \d s\), for over 2 s/,
    );
    assert.ok(t.miner.summary().chainRestarts >= 1);
    await eventually(() => t.miner.telemetry()?.asicRunning === true, 10_000, 'the chain back up');
  } finally {
    await t.stop();
  }
});

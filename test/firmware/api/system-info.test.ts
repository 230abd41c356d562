import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MiningStatus } from '../../../firmware/api/mining-status.js';
import { buildSystemInfo, hostMacAddress } from '../../../firmware/api/system-info.js';
import type { BoardTelemetry } from '../../../firmware/board/board-control.js';
import { loadBoard } from '../../../src/config/board-loader.js';

const hex = loadBoard('bitaxe-hex');

/** A Hex board mid-run, every reading known, in hashaxe's own units (°C, mV, mA, W, MHz, %). */
function telemetry(over: Partial<BoardTelemetry> = {}): BoardTelemetry {
  const settings = {
    frequencyMhz: 490,
    voltageMv: 1166,
    fanMode: 'auto' as const,
    fanPercent: 100,
    fanTargetC: 60,
    minFanPercent: 25,
  };
  return {
    board: 'bitaxe-hex',
    asicModel: hex.asic.model,
    asicCount: hex.asic.count,
    power: 'on',
    asicRunning: true,
    resetAsserted: false,
    asicTempsC: [61.25, 58.5],
    asicTempC: 61.25,
    vrTempC: 47.125,
    fanPercent: 43.26,
    fanReason: 'auto',
    fanRpm: [3120, 3050],
    inputVoltageMv: 11_984.4,
    currentMa: 21_437.5,
    powerW: 36.789,
    voltageSetMv: 1166,
    voltageActualMv: 1164.7,
    voltageMeasured: true,
    frequencySetMhz: 490,
    frequencyActualMhz: 487.5,
    expectedHashrateGhs: 3071.25,
    settings,
    overheat: null,
    sensorFault: null,
    powerFault: null,
    hardwareFault: null,
    warnings: [],
    updatedAtMs: 0,
    ...over,
  };
}

function mining(over: Partial<MiningStatus> = {}): MiningStatus {
  return {
    hashrateGhs: { avg: 3000.123, m1: 3012.345, m10: 3005.5, h1: 2999 },
    sharesAccepted: 120,
    sharesRejected: 3,
    rejectReasons: { 'stale-share': 2, 'duplicate-share': 1 },
    bestDifficulty: 1_234_567,
    uptimeSeconds: 7200,
    hwErrors: 4,
    chips: Array.from({ length: 6 }, (_, i) => ({ nonces: 99, hwErrors: i === 2 ? 4 : 0, hashrateGhs: 500 + i })),
    pool: { url: 'pool.example', port: 34254, user: 'bc1qexample.hex', protocol: 'SV2' },
    ...over,
  };
}

const id = { version: '0.1.0', hostname: 'hashaxe-hex', macAddr: 'B8:27:EB:01:02:03' };

test('hash rates below 1 GH/s keep their significant digits (an emulated chain mines at MH/s)', () => {
  const i = buildSystemInfo(
    hex,
    telemetry(),
    mining({ hashrateGhs: { avg: 0.000934812, m1: 0.000934812, m10: 0.00101172, h1: 0 } }),
    id,
  );
  assert.equal(i.hashRate, 0.0009348);
  assert.equal(i.hashRate_10m, 0.001012);
  assert.equal(i.hashRate_1h, 0);
});

test("bestDiff is the all-time best (kept with --state), bestSessionDiff this run's; without a state file they agree", () => {
  const kept = buildSystemInfo(
    hex,
    telemetry(),
    mining({ bestDifficulty: 5000, bestDifficultyAllTime: 9_000_000 }),
    id,
  );
  assert.deepEqual([kept.bestDiff, kept.bestSessionDiff], [9_000_000, 5000]);
  const beaten = buildSystemInfo(hex, telemetry(), mining({ bestDifficulty: 5000, bestDifficultyAllTime: 10 }), id);
  assert.deepEqual([beaten.bestDiff, beaten.bestSessionDiff], [5000, 5000], 'never below the session');
  const none = buildSystemInfo(hex, telemetry(), mining({ bestDifficulty: 5000 }), id);
  assert.deepEqual([none.bestDiff, none.bestSessionDiff], [5000, 5000]);
});

test('AxeOS units: power W, input voltage mV, current mA, temperatures °C, core voltage mV, MHz, %, GH/s', () => {
  const i = buildSystemInfo(hex, telemetry(), mining(), id);
  // ESP-Miner main/http_server/system_api_json.c + main/power/power.c: the same names, the same units.
  assert.equal(i.power, 36.79);
  assert.equal(i.voltage, 11_984.4);
  assert.equal(i.current, 21_437.5);
  assert.equal(i.temp, 61.25);
  assert.equal(i.temp2, 58.5);
  assert.equal(i.vrTemp, 47.125);
  assert.equal(i.coreVoltage, 1166);
  assert.equal(i.coreVoltageActual, 1165);
  assert.equal(i.frequency, 490);
  assert.equal(i.actualFrequency, 487.5);
  assert.equal(i.expectedHashrate, 3071.25);
  assert.equal(i.fanspeed, 43.3);
  assert.equal(i.fanrpm, 3120);
  assert.equal(i.fan2rpm, 3050);
  assert.equal(i.hashRate, 3012.35, 'GH/s, the 1-minute rate');
  assert.equal(i.hashRate_10m, 3005.5);
  assert.equal(i.hashRate_1h, 2999);
  assert.equal(i.uptimeSeconds, 7200);
  assert.equal(i.bestDiff, 1_234_567);
  assert.equal(typeof i.bestDiff, 'number', 'current AxeOS sends a number, not "1.23M"');
  assert.equal(i.sharesAccepted, 120);
  assert.equal(i.sharesRejected, 3);
  assert.deepEqual(i.sharesRejectedReasons, [
    { message: 'stale-share', count: 2 },
    { message: 'duplicate-share', count: 1 },
  ]);
  assert.equal(i.errorPercentage, Math.round((4 / (6 * 99 + 4)) * 100 * 1000) / 1000);
  assert.equal(i.ASICModel, 'BM1366');
  assert.equal(i.asicCount, 6);
  assert.equal(i.smallCoreCount, 894);
  assert.equal(i.deviceModel, 'Hex');
  assert.equal(i.maxPower, hex.power.maxW);
  assert.equal(i.nominalVoltage, 12);
  assert.equal(i.stratumURL, 'pool.example');
  assert.equal(i.stratumPort, 34254);
  assert.equal(i.stratumUser, 'bc1qexample.hex');
  assert.equal(i.hostname, 'hashaxe-hex');
  assert.equal(i.macAddr, 'B8:27:EB:01:02:03');
  assert.equal(i.version, '0.1.0');
  assert.equal(i.miningPaused, false, 'chips running and the engine did not say paused');
  const asics = (i.hashrateMonitor as { asics: Array<{ total: number; errorCount: number }> }).asics;
  assert.equal(asics.length, 6);
  assert.deepEqual(
    asics.map((a) => [a.total, a.errorCount]),
    [0, 1, 2, 3, 4, 5].map((k) => [500 + k, k === 2 ? 4 : 0]),
  );
});

test("unknown readings follow AxeOS's conventions: temp −1, vrTemp 0, power 0; faults appear only when set", () => {
  const i = buildSystemInfo(
    hex,
    telemetry({
      asicTempsC: [null, 40],
      asicTempC: 40,
      vrTempC: null,
      powerW: null,
      inputVoltageMv: null,
      currentMa: null,
      voltageActualMv: null,
      frequencyActualMhz: null,
      asicRunning: false,
      power: 'off',
      powerFault: 'output off, over-temperature fault',
      sensorFault: { sensor: 'TMP1075 at 0x4a', reason: 'TMP1075 at 0x4a: no ACK', kind: 'failed', atMs: 1 },
    }),
    mining({ miningPaused: undefined, pool: null }),
    { version: '0.1.0', hostname: 'h' },
  );
  assert.equal(i.temp, -1);
  assert.equal(i.temp2, 40);
  assert.equal(i.vrTemp, 0);
  assert.equal(i.power, 0);
  assert.equal(i.voltage, 0);
  assert.equal(i.current, 0);
  assert.equal(i.coreVoltageActual, 0);
  assert.equal(i.actualFrequency, 0);
  assert.equal(i.miningPaused, true, 'chips off: paused');
  assert.equal(i.stratumURL, '');
  assert.equal(i.macAddr, '');
  assert.equal(i.power_fault, 'output off, over-temperature fault');
  assert.equal(i.hardware_fault, 'TMP1075 at 0x4a: no ACK');
  const ok = buildSystemInfo(hex, telemetry(), mining(), id);
  assert.equal('power_fault' in ok, false);
  assert.equal('hardware_fault' in ok, false);
});

test('hostMacAddress: the first external interface by name, upper case, skipping loopback and zero MACs', () => {
  const iface = (mac: string, internal: boolean) => ({
    address: '10.0.0.2',
    netmask: '255.0.0.0',
    family: 'IPv4' as const,
    mac,
    internal,
    cidr: null,
  });
  assert.equal(
    hostMacAddress({
      lo: [iface('00:00:00:00:00:00', true)],
      wlan0: [iface('dc:a6:32:aa:bb:cc', false)],
      eth0: [iface('dc:a6:32:11:22:33', false)],
      tun0: [iface('00:00:00:00:00:00', false)],
    }),
    'DC:A6:32:11:22:33',
  );
  assert.equal(hostMacAddress({ lo: [iface('00:00:00:00:00:00', true)] }), '');
});

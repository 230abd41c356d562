/**
 * Gamma Turbo's board control: the EMC2103 fan and its two ASIC diodes (wired swapped, ESP-Miner's temp_flip)
 * and the stacked TPS546 pair, through the same BoardControl as every other board.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMC2103_REG } from '../../../drivers/i2c/emc2103.js';
import { PMBUS } from '../../../drivers/i2c/pmbus.js';
import { startBoardSim } from '../../support/board-sim.js';

const MIN = 60_000;

test('Gamma Turbo: the EMC2103 fan, both ASIC diodes and the stacked TPS546 come up under the board control', async () => {
  const sim = await startBoardSim('bitaxe-gamma-turbo', { emulation: { seed: 5, sensorNoiseC: 0 } });
  try {
    await sim.advance(MIN);
    const tel = sim.control.telemetry();
    assert.equal(tel.asicRunning, true);
    assert.equal(tel.asicTempsC.length, 2, 'one reading per ASIC');
    assert.ok(
      tel.asicTempsC.every((c) => c !== null && c > 30),
      JSON.stringify(tel.asicTempsC),
    );
    assert.equal(tel.fanReason, 'auto');
    assert.equal(sim.board.emc2103!.regs[EMC2103_REG.FAN_SETTING], Math.floor((255 * tel.fanPercent) / 100 + 1e-9));
    assert.equal(tel.fanRpm.length, 1);
    assert.ok(tel.fanRpm[0] > 500, `fan tach read through the EMC2103: ${tel.fanRpm}`);
    const tps = sim.board.tps546!;
    assert.equal(tps.modules, 2);
    assert.deepEqual(tps.compensationConfig(), [0x12, 0x34, 0x42, 0x21, 0x04]);
    assert.equal(tps.commandValue(PMBUS.PHASE), 0xff);
    assert.ok(Math.abs(tel.voltageActualMv! - 1150) < 3, `core ${tel.voltageActualMv} mV`);
    assert.ok(
      sim.logs.some((l) =>
        /fan EMC2103 at 0x2e, regulator TPS546 at 0x24 \(12v-stacked, 1 domain\), sensors EMC2103 external2 at 0x2e, EMC2103 external1 at 0x2e$/.test(
          l.message,
        ),
      ),
      'the start-up line names every part',
    );
  } finally {
    await sim.close();
  }
});

test('temp_flip: diode 1 heated in the EMC2103 shows as ASIC 2, and an overheat there names diode 1', async () => {
  const sim = await startBoardSim('bitaxe-gamma-turbo', { emulation: { seed: 6, sensorNoiseC: 0 } });
  try {
    await sim.advance(2 * MIN);
    const before = sim.control.telemetry().asicTempsC as number[];
    // The emulated board reads ASIC 2 one degree below ASIC 1; both follow the same die.
    assert.ok(Math.abs(before[0] - before[1] - 1) < 0.2, JSON.stringify(before));
    sim.board.emc2103!.diodeBiasC[0] = 8;
    await sim.advance(300);
    const after = sim.control.telemetry();
    const [asic1, asic2] = after.asicTempsC as number[];
    assert.ok(Math.abs(asic2 - asic1 - 7) < 0.3, `ASIC 2 (diode 1) ${asic2} °C vs ASIC 1 (diode 2) ${asic1} °C`);
    assert.equal(after.asicTempC, asic2, 'the hotter chip is the one the PID and the overheat cut see');
    sim.board.emc2103!.diodeBiasC[0] = 40;
    await sim.advanceUntil(() => sim.control.telemetry().overheat !== null, 1000);
    const tel = sim.control.telemetry();
    assert.match(tel.overheat!.reason, /ASIC \d+(\.\d)? °C above bitaxe-gamma-turbo's limit 75 °C \(EMC2103 external1/);
    assert.equal(sim.board.tps546!.isOn(), false, 'the stacked regulator is switched off');
    assert.equal(sim.board.emc2103!.regs[EMC2103_REG.FAN_SETTING], 255, 'fan at 100 %');
  } finally {
    await sim.close();
  }
});

test('an EMC2103 diode fault (0x8000) is a sensor fault that drives the fan to 100 %, not a temperature', async () => {
  const sim = await startBoardSim('bitaxe-gamma-turbo', { emulation: { seed: 8 } });
  try {
    await sim.advance(3 * MIN);
    const fanReg = (): number => sim.board.emc2103!.regs[EMC2103_REG.FAN_SETTING];
    assert.ok(fanReg() < 200, 'regulating below full speed');
    sim.board.emc2103!.diodeFault[1] = true; // diode 2: ASIC 1 on this board
    await sim.advance(sim.control.policy.controlPeriodMs + 100);
    const tel = sim.control.telemetry();
    assert.equal(tel.fanPercent, 100);
    assert.equal(fanReg(), 255, 'the chip got the 100 % setting');
    assert.equal(tel.fanReason, 'sensor-fault');
    assert.equal(tel.asicTempsC[0], null, 'no temperature is made up for ASIC 1');
    assert.notEqual(tel.asicTempsC[1], null, 'ASIC 2 still reads');
    assert.match(tel.sensorFault!.reason, /EMC2103 at 0x2e: external diode 2 fault/);
    assert.equal(tel.asicRunning, true, 'one bad read does not stop mining');
    sim.board.emc2103!.diodeFault[1] = false;
    await sim.advance(1000);
    assert.equal(sim.control.telemetry().sensorFault, null, 'clears when the diode reads again');
    assert.equal(sim.control.telemetry().fanReason, 'auto');
  } finally {
    await sim.close();
  }
});

test('Gamma Duo: two XP chips at 400 MHz on the 5 V TPS546, one EMC2101 diode with the Gamma tuning', async () => {
  const sim = await startBoardSim('bitaxe-gamma-duo', { emulation: { seed: 9 } });
  try {
    await sim.advance(MIN);
    const tel = sim.control.telemetry();
    assert.equal(tel.asicRunning, true);
    assert.equal(tel.asicTempsC.length, 1);
    assert.equal(sim.board.asicClock.frequencyMhz, 400);
    assert.equal(sim.board.emc2101!.regs[0x17], 0x24, 'ideality 0x24');
    assert.equal(sim.board.emc2101!.regs[0x18], 0x00, 'beta 0x00');
    assert.equal(sim.board.tps546!.modules, 1);
    assert.ok(Math.abs(tel.voltageActualMv! - 1150) < 3);
    assert.ok(Math.abs(tel.powerW! - (tel.currentMa! / 1000) * (tel.voltageActualMv! / 1000) - 5) < 0.05, '+5 W');
  } finally {
    await sim.close();
  }
});

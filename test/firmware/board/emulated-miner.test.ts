import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bm13xxChain } from '../../../drivers/asic/bm13xx-chain.js';
import { EmulatedChain } from '../../../drivers/emulator/bm13xx-emulator.js';
import { EmulatedBoard } from '../../../drivers/emulator/thermal-board.js';
import { TPS546_PROFILES, Tps546 } from '../../../drivers/i2c/tps546.js';
import { createMemoryTransportPair } from '../../../drivers/transport/memory-transport.js';
import { BoardControl } from '../../../firmware/board/board-control.js';
import { createBoardPeripherals } from '../../../firmware/board/peripherals.js';
import { loadBoard } from '../../../src/config/board-loader.js';

/**
 * The wiring a daemon uses for a fully emulated miner: the board's physics and I2C parts (EmulatedBoard),
 * an emulated BM1370 answering a real Bm13xxChain driver over a transport, the board tying the chips' reset
 * and PLL to its pins and thermal model (attachChain), and BoardControl driving both: the chain is its
 * frequency control, and its initChips callback runs the chain's init after every power-on reset.
 */
test('emulated miner: BoardControl powers, clocks, cuts and restarts a real chain driver on an emulated chip', async () => {
  const def = loadBoard('bitaxe-gamma');
  const board = new EmulatedBoard(def, { seed: 3, sensorNoiseC: 0 });
  const chip = new EmulatedChain({ model: 'bm1370', chips: 1, workers: 0 });
  const [host, device] = createMemoryTransportPair();
  chip.attach(device);
  const untie = board.attachChain(chip);
  const chain = new Bm13xxChain(host, { model: 'bm1370', expectedChips: 1, delayScale: 0, enumerateSilenceMs: 20 });
  const inits: number[] = [];
  const control: BoardControl = new BoardControl({
    board: def,
    peripherals: createBoardPeripherals(def, board.bus),
    gpio: { reset: board.reset, powerEnable: board.powerEnable },
    asic: chain,
    initChips: async () => {
      inits.push(control.getSettings().frequencyMhz);
      await chain.init(control.getSettings().frequencyMhz);
    },
    log: { info() {}, warn() {}, error() {} },
    policy: { powerSettleMs: 5, resetPulseMs: 5, resetSettleMs: 5, voltageStepDelayMs: 1 },
  });
  // Chain writes reach the emulated chip on later event-loop turns, as bytes on a line would.
  const pll = (): number => chip.status().perChip[0].frequencyMhz;
  const delivered = async (): Promise<void> => {
    await host.drain();
    await new Promise((r) => setImmediate(r));
  };
  try {
    assert.equal(pll(), 50, 'power-on PLL before anyone programs it');
    await control.start();
    assert.deepEqual(inits, [525], 'initChips ran once, after the reset pulse');
    await delivered();
    assert.ok(Math.abs(pll() - 525) < 1, `the chip's PLL runs at ${pll()} MHz`);
    assert.equal(control.telemetry().frequencyActualMhz, chain.frequencyMhz);
    assert.equal(board.chipFrequencyMhz(), pll(), 'the thermal model heats with the PLL the chip holds');
    board.step(100);
    const powerAt525 = board.thermal.lastPowerW;

    assert.ok(Math.abs((await control.setFrequency(600)) - 600) < 1);
    await delivered();
    assert.ok(Math.abs(pll() - 600) < 1, 'BoardControl → Bm13xxChain.setFrequency → PLL register writes');
    board.step(100);
    assert.ok(board.thermal.lastPowerW > powerAt525 * 1.1, 'more clock, more heat');

    // Overheat: the cut holds reset, which puts the emulated chip back to power-on state, and turns the
    // TPS546 off.
    board.thermal.overrideDieC = 90;
    board.step(10);
    await control.runTick();
    assert.notEqual(control.telemetry().overheat, null);
    assert.equal(board.reset.active, true);
    assert.equal(board.tps546!.isOn(), false);
    assert.equal(pll(), 50, 'reset put the chip back to its power-on PLL');
    board.step(100);
    assert.equal(board.thermal.lastPowerW, 0, 'no core power, no heat');

    board.thermal.overrideDieC = null;
    board.step(10);
    await control.restart();
    assert.deepEqual(inits, [525, 600], 'the chain is initialised again at the current setting');
    await delivered();
    assert.ok(Math.abs(pll() - 600) < 1);
    assert.equal(control.telemetry().asicRunning, true);
  } finally {
    await control.stop();
    untie();
    await chain.close();
    await chip.close();
    board.close();
  }
});

test('attachChain: a regulator switched off over I2C (no pin event) also resets the chips', async () => {
  const def = loadBoard('bitaxe-gamma');
  const board = new EmulatedBoard(def, { sensorNoiseC: 0 });
  let resets = 0;
  const untie = board.attachChain({ reset: () => resets++, status: () => ({ perChip: [{ frequencyMhz: 300 }] }) });
  const tps = board.tps546!;
  const driver = new Tps546(board.bus, TPS546_PROFILES['5v-single'], 0x24);
  await driver.init();
  await driver.setVout(1.15);
  await board.reset.set(false);
  board.step(100);
  assert.equal(tps.isOn(), true);
  assert.equal(board.chipFrequencyMhz(), 300);
  assert.ok(board.thermal.lastPowerW > 0);
  await driver.off();
  board.step(100);
  assert.equal(resets, 1);
  board.step(100);
  assert.equal(resets, 1, 'once per power loss');
  await board.reset.set(true);
  assert.equal(resets, 2, 'the reset pin resets at once');
  untie();
  await board.reset.set(false);
  await board.reset.set(true);
  assert.equal(resets, 2, 'untied');
  assert.equal(board.chipFrequencyMhz(), board.asicClock.frequencyMhz, 'back to the stand-in clock');
});

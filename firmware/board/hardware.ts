import { EmulatedBoard, type EmulatedBoardOptions } from '../../drivers/emulator/thermal-board.js';
import type { GpioLine } from '../../drivers/gpio/gpio-line.js';
import { type GpioBackend, openGpioLine } from '../../drivers/gpio/gpio-open.js';
import { type I2CBus, openLinuxI2cBus } from '../../drivers/i2c/i2c-bus.js';
import type { BoardDefinition } from '../../src/config/board.js';
import { type BoardPeripherals, createBoardPeripherals } from './peripherals.js';

/** Everything BoardControl needs from the board's hardware, and how to let go of it. */
export interface BoardHardware {
  bus: I2CBus;
  gpio: { reset: GpioLine; powerEnable: GpioLine | null };
  peripherals: BoardPeripherals;
  close(): Promise<void>;
}

/**
 * The real board on a Pi: /dev/i2c-<bus> through i2c-bus, reset and power-enable through the best GPIO
 * backend (libgpiod's gpioset, else sysfs), both opened in their safe state (reset asserted, core off).
 */
export async function openBoardHardware(
  board: BoardDefinition,
  options: { gpioBackend?: GpioBackend; log?: (message: string) => void } = {},
): Promise<BoardHardware> {
  const bus = await openLinuxI2cBus(board.i2c.bus);
  const opened: GpioLine[] = [];
  try {
    const chip = board.gpio.chip;
    const reset = await openGpioLine(
      { ...board.gpio.reset, name: 'reset', chip, initialActive: true },
      { backend: options.gpioBackend, log: options.log },
    );
    opened.push(reset);
    const powerEnable =
      board.gpio.powerEnable === null
        ? null
        : await openGpioLine(
            { ...board.gpio.powerEnable, name: 'power-enable', chip, initialActive: false },
            { backend: options.gpioBackend, log: options.log },
          );
    if (powerEnable !== null) opened.push(powerEnable);
    return {
      bus,
      gpio: { reset, powerEnable },
      peripherals: createBoardPeripherals(board, bus),
      async close() {
        for (const l of opened) await l.close();
        await bus.close();
      },
    };
  } catch (err) {
    for (const l of opened) await l.close().catch(() => undefined);
    await bus.close().catch(() => undefined);
    throw err;
  }
}

/** The same shape over an emulated board (for `hashaxe` runs without hardware and for CI). */
export function emulatedBoardHardware(
  board: BoardDefinition,
  options: EmulatedBoardOptions = {},
): BoardHardware & { emulated: EmulatedBoard } {
  const emulated = new EmulatedBoard(board, options);
  return {
    emulated,
    bus: emulated.bus,
    gpio: { reset: emulated.reset, powerEnable: emulated.powerEnable },
    peripherals: createBoardPeripherals(board, emulated.bus, { pwmRoot: emulated.pwmRoot ?? undefined }),
    async close() {
      emulated.close();
    },
  };
}

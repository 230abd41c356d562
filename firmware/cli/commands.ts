import type { Command } from './command.js';
import { emulate } from './emulate.js';
import { fan } from './fan.js';
import { freq } from './freq.js';
import { inspectHeader } from './inspect-header.js';
import { inspectSv2 } from './inspect-sv2.js';
import { inspectUart } from './inspect-uart.js';
import { mine } from './mine.js';
import { pool } from './pool.js';
import { status } from './status.js';
import { voltage } from './voltage.js';

/** Every CLI command. A new command is one file in firmware/cli/ and one line here. */
export const COMMANDS: readonly Command[] = [
  mine,
  inspectHeader,
  emulate,
  inspectUart,
  status,
  fan,
  voltage,
  freq,
  inspectSv2,
  pool,
];

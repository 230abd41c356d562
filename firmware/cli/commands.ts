import type { Command } from './command.js';
import { inspectHeader } from './inspect-header.js';
import { mine } from './mine.js';

/** Every CLI command. A new command is one file in firmware/cli/ and one line here. */
export const COMMANDS: readonly Command[] = [mine, inspectHeader];

/** The list of CLI commands, in the order `jamba --help` shows them. */
import type { Command } from '../command.js';

export const COMMANDS: Command[] = [];

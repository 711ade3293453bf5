/** The list of CLI commands, in the order `jamba --help` shows them. */
import type { Command } from '../command.js';
import { chatCommand } from './chat.js';
import { convertCommand } from './convert.js';
import { perplexityCommand } from './perplexity.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { logitsCommand } from './logits.js';
import { pullCommand } from './pull.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { tokenizeCommand } from './tokenize.js';
import { trainCommand } from './train.js';

export const COMMANDS: Command[] = [
  runCommand,
  chatCommand,
  generateCommand,
  logitsCommand,
  tokenizeCommand,
  infoCommand,
  pullCommand,
  convertCommand,
  perplexityCommand,
  trainCommand,
  serveCommand,
];

/**
 * Entry point of the `jamba` command: dispatches to a command, prints a user error as one line and
 * exits 2; anything unexpected is a bug and keeps its stack trace.
 */
import { JambaUserError } from '../errors.js';
import { Flags, helpText, parseArgs } from './args.js';
import { COMMANDS } from './commands/index.js';

function usage(): string {
  const lines = ['Usage: jamba <command> [options]', '', 'Commands:'];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(12)} ${c.summary}`);
  lines.push('', "Run 'jamba <command> --help' for a command's options.");
  return lines.join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    process.stdout.write('jamba-ts 0.1.0\n');
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new JambaUserError(`unknown command '${name}' (run 'jamba --help' for the list)`);
  const parsed = parseArgs(rest, cmd.flags, cmd.name);
  if (parsed.flags.has('help')) {
    process.stdout.write(helpText(cmd.name, cmd.usage, cmd.summary, cmd.flags) + '\n');
    return 0;
  }
  return cmd.run(new Flags(parsed, cmd.flags));
}

export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (e) {
    if (e instanceof JambaUserError) {
      process.stderr.write(`jamba: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      throw e;
    }
  }
}

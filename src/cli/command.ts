/** What a CLI command is. Each lives in src/cli/commands/<name>.ts and is listed in src/cli/commands/index.ts. */
import type { FlagSpec } from './args.js';
import type { Flags } from './args.js';

export interface Command {
  name: string;
  /** e.g. '--model <ref> --ids <i,j,k>' */
  usage: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** Returns the process exit code. Throw JambaUserError for user mistakes. */
  run(flags: Flags): Promise<number>;
}

/** Options shared by every command that runs a model. */
export const MODEL_RUN_FLAGS: Record<string, FlagSpec> = {
  threads: { type: 'string', value: '<n>', description: 'worker threads (default: all cores)' },
  backend: { type: 'string', value: 'auto|native|ref', description: 'compute backend', default: 'auto' },
  'ctx-size': { type: 'string', value: '<n>', description: 'refuse sequences longer than n tokens' },
};

/** Runs the `jamba` command as a user would (a child process), capturing exit code and output. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './reference.js';

export interface CliResult { code: number; stdout: string; stderr: string }

export function jamba(args: string[], input?: string): CliResult {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'jamba.js'), ...args], { encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A user error: exit code 2 and exactly one line on stderr, no stack trace. */
export function isUserError(r: CliResult, re: RegExp): string | null {
  if (r.code !== 2) return `exit code ${r.code}, expected 2 (stderr: ${r.stderr})`;
  const lines = r.stderr.trimEnd().split('\n');
  if (lines.length !== 1) return `expected one line on stderr, got ${lines.length}:\n${r.stderr}`;
  if (!re.test(lines[0]!)) return `stderr '${lines[0]}' does not match ${re}`;
  return null;
}

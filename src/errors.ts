/**
 * Typed errors. A `JambaUserError` is a problem with what the user gave us (a path, a flag, a file, a
 * config field): the CLI prints its one-line message and exits with code 2, never a stack trace.
 * Anything else is a bug in jamba-ts and is reported as such.
 */
export class JambaUserError extends Error {
  override readonly name = 'JambaUserError';
  constructor(message: string) {
    super(message);
  }
}

/** Shorthand: throw a user error unless `cond` holds. */
export function check(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new JambaUserError(typeof message === 'string' ? message : message());
}

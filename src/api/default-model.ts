/**
 * The model shipped in the repository, used by `jamba run` / `jamba chat` when no --model is given
 * (issue 6 ships it under models/). This is the one place that names it: when the shipped model lands
 * or is renamed, change DEFAULT_MODEL_NAME here and nothing else.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JambaUserError } from '../errors.js';

export const DEFAULT_MODEL_NAME = 'jamba-tinystories';

/** The package root: the nearest folder above this file that holds package.json (works from src/ and dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('jamba-ts: cannot find the package root (no package.json above the code)');
    dir = up;
  }
}

/** Where the shipped model lives: `<package root>/models/<name>`, whether or not it is there. */
export function defaultModelPath(): string {
  return join(packageRoot(), 'models', DEFAULT_MODEL_NAME);
}

/** The shipped model's path, or a user error saying it is missing and what to do instead. */
export function requireDefaultModel(): string {
  const p = defaultModelPath();
  if (!existsSync(join(p, 'config.json'))) {
    throw new JambaUserError(`no --model given and the default model is not installed at ${p}; pass --model <folder|file.gguf|owner/name>`);
  }
  return p;
}

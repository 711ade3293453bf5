/**
 * Backend selection. 'auto' picks the native backend when its addon loads and falls back to the
 * reference backend otherwise, saying so once on stderr; 'native' insists (a JambaUserError if the
 * addon is missing); 'ref' is the plain-TS oracle.
 */
import { JambaUserError } from '../errors.js';
import type { Backend } from './backend.js';
import { RefBackend } from './ref/index.js';
import { loadNativeBackend, nativeLoadError } from './native/index.js';

export type BackendKind = 'auto' | 'native' | 'ref';

let warned = false;

export function createBackend(kind: BackendKind = 'auto', threads?: number): Backend {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new JambaUserError(`--threads must be a positive integer, got ${threads}`);
  }
  switch (kind) {
    case 'ref':
      return new RefBackend();
    case 'native': {
      const b = loadNativeBackend(threads);
      if (!b) {
        throw new JambaUserError(`the native backend is not available: ${nativeLoadError()} ` +
          `(rebuild it with 'npx node-gyp rebuild', or use --backend ref or auto)`);
      }
      return b;
    }
    case 'auto': {
      const b = loadNativeBackend(threads);
      if (b) return b;
      if (!warned) {
        warned = true;
        process.stderr.write(`jamba: native backend unavailable (${nativeLoadError()}); using the slower reference backend\n`);
      }
      return new RefBackend();
    }
    default:
      throw new JambaUserError(`unknown backend '${String(kind)}' (expected auto, native or ref)`);
  }
}

/**
 * Backend selection. 'auto' picks the native backend when its addon loads and falls back to the
 * reference backend otherwise (saying so once); 'native' insists; 'ref' is the plain-TS oracle.
 * (The native backend registers itself here once it exists.)
 */
import { JambaUserError } from '../errors.js';
import type { Backend } from './backend.js';
import { RefBackend } from './ref/index.js';

export type BackendKind = 'auto' | 'native' | 'ref';

export function createBackend(kind: BackendKind = 'auto', _threads?: number): Backend {
  switch (kind) {
    case 'ref':
    case 'auto':
      return new RefBackend();
    case 'native':
      throw new JambaUserError('the native backend is not available in this build (use --backend ref or auto)');
  }
}

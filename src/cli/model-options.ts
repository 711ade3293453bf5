/** Turning the common model-running flags (--model, --backend, --threads, --ctx-size) into a loaded model. */
import { JambaUserError } from '../errors.js';
import { createBackend, type BackendKind } from '../backends/index.js';
import { loadModel } from '../model/load.js';
import type { JambaModel } from '../model/jamba.js';
import type { Flags } from './args.js';

export interface RunOptions {
  backend: BackendKind;
  threads: number | undefined;
  ctxSize: number | undefined;
}

export function runOptions(f: Flags): RunOptions {
  const b = f.string('backend') ?? 'auto';
  if (b !== 'auto' && b !== 'native' && b !== 'ref') throw new JambaUserError(`--backend must be auto, native or ref, got '${b}'`);
  return { backend: b, threads: f.int('threads', { min: 1, max: 1024 }), ctxSize: f.int('ctx-size', { min: 1 }) };
}

export async function loadModelFromFlags(f: Flags, ref: string): Promise<{ model: JambaModel; opts: RunOptions }> {
  const opts = runOptions(f);
  const backend = createBackend(opts.backend, opts.threads);
  return { model: await loadModel(ref, backend), opts };
}

export function checkCtx(opts: RunOptions, n: number, what: string): void {
  if (opts.ctxSize !== undefined && n > opts.ctxSize) {
    throw new JambaUserError(`${what} needs ${n} tokens, more than --ctx-size ${opts.ctxSize}`);
  }
}

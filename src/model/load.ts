/** Loading a model from a reference (folder or .gguf) onto a backend. */
import type { Backend } from '../backends/backend.js';
import { openCheckpoint } from '../io/checkpoint.js';
import type { Checkpoint } from '../io/source.js';
import { parseConfig } from './config.js';
import { JambaModel } from './jamba.js';
import { loadWeights } from './weights.js';
import { warmJit } from './warmup.js';

export interface LoadOptions {
  /** Run the JIT warm-up (model/warmup.ts) once loaded: default true; it does nothing on the reference backend. */
  warmup?: boolean;
}

export function modelFromCheckpoint(ck: Checkpoint, backend: Backend, opts: LoadOptions = {}): JambaModel {
  const where = ck.folder ? `${ck.folder}/config.json` : ck.tensors.origin;
  const config = parseConfig(ck.config, where);
  let model: JambaModel;
  try {
    model = new JambaModel(config, loadWeights(config, ck.tensors), backend);
  } finally {
    ck.tensors.close?.();
  }
  if (opts.warmup ?? true) warmJit(model);
  return model;
}

export async function loadModel(ref: string, backend: Backend, opts: LoadOptions = {}): Promise<JambaModel> {
  return modelFromCheckpoint(await openCheckpoint(ref), backend, opts);
}

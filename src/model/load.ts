/** Loading a model from a reference (folder or .gguf) onto a backend. */
import type { Backend } from '../backends/backend.js';
import { openCheckpoint } from '../io/checkpoint.js';
import type { Checkpoint } from '../io/source.js';
import { parseConfig } from './config.js';
import { JambaModel } from './jamba.js';
import { loadWeights } from './weights.js';

export function modelFromCheckpoint(ck: Checkpoint, backend: Backend): JambaModel {
  const where = ck.folder ? `${ck.folder}/config.json` : ck.tensors.origin;
  const config = parseConfig(ck.config, where);
  try {
    return new JambaModel(config, loadWeights(config, ck.tensors), backend);
  } finally {
    ck.tensors.close?.();
  }
}

export async function loadModel(ref: string, backend: Backend): Promise<JambaModel> {
  return modelFromCheckpoint(await openCheckpoint(ref), backend);
}

/**
 * Opens a model reference: a local HF-style folder (config.json + safetensors, single or sharded) or a
 * .gguf file. A Hub repo id is first resolved to a snapshot in the local HF cache by io/hub.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JambaUserError } from '../errors.js';
import { SafetensorsFile, SafetensorsSource } from './safetensors.js';
import { looksLikeRepoId, resolveModelRef } from './hub.js';
import type { Checkpoint } from './source.js';
import { openGgufCheckpoint } from './gguf/source.js';

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new JambaUserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new JambaUserError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Opens the safetensors of an HF folder: `model.safetensors.index.json` (sharded) or every `*.safetensors`. */
export function openSafetensorsFolder(folder: string): SafetensorsSource {
  const index = join(folder, 'model.safetensors.index.json');
  if (existsSync(index)) {
    const j = readJson(index) as { weight_map?: Record<string, string> };
    if (!j || typeof j.weight_map !== 'object' || j.weight_map === null) throw new JambaUserError(`${index}: missing 'weight_map'`);
    const shardNames = [...new Set(Object.values(j.weight_map))].sort();
    const files = shardNames.map((s) => new SafetensorsFile(join(folder, s)));
    const src = new SafetensorsSource(folder, files);
    for (const [name, shard] of Object.entries(j.weight_map)) {
      if (!src.info(name)) throw new JambaUserError(`${index}: tensor ${name} is listed in ${shard} but not found there`);
    }
    return src;
  }
  const single = join(folder, 'model.safetensors');
  if (!existsSync(single)) throw new JambaUserError(`${folder}: no model.safetensors or model.safetensors.index.json`);
  return new SafetensorsSource(folder, [new SafetensorsFile(single)]);
}

/** An HF model folder: config.json plus its safetensors (single or sharded). */
export function openFolderCheckpoint(folder: string): Checkpoint {
  const cfgPath = join(folder, 'config.json');
  if (!existsSync(cfgPath)) throw new JambaUserError(`${folder}: no config.json (not a Hugging Face model folder)`);
  const config = readJson(cfgPath);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new JambaUserError(`${cfgPath}: expected a JSON object`);
  return { config: config as Record<string, unknown>, tensors: openSafetensorsFolder(folder), folder };
}

export type CheckpointOpener = (ref: string) => Promise<Checkpoint> | Checkpoint;

/** Openers for other formats register here (GGUF in io/gguf), keyed by file extension. */
export const FILE_OPENERS = new Map<string, CheckpointOpener>();
FILE_OPENERS.set('.gguf', openGgufCheckpoint);

export async function openCheckpoint(ref: string): Promise<Checkpoint> {
  if (!existsSync(ref) && looksLikeRepoId(ref)) ref = await resolveModelRef(ref); // Hub repo id → cached snapshot
  if (!existsSync(ref)) throw new JambaUserError(`model not found: ${ref} (expected a model folder or a .gguf file)`);
  if (statSync(ref).isDirectory()) return openFolderCheckpoint(ref);
  const ext = ref.slice(ref.lastIndexOf('.')).toLowerCase();
  const opener = FILE_OPENERS.get(ext);
  if (!opener) throw new JambaUserError(`${ref}: unsupported model file (expected a folder or a .gguf file)`);
  return opener(ref);
}

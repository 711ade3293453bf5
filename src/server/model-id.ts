/**
 * The served model's id (the `jamba serve` contract, docs/architecture.md): `--model-id` when given,
 * else the folder or file name of `--model` without its extension. A folder keeps its whole name
 * (`Jamba-v0.1` stays `Jamba-v0.1`); a file loses only its last extension (`tiny.q8_0.gguf` →
 * `tiny.q8_0`); a Hub repo id gives its repository name.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';

export function modelIdFor(ref: string, explicit?: string): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const trimmed = ref.replace(/[\\/]+$/, '');
  const name = basename(trimmed) || trimmed;
  const isFile = existsSync(trimmed) ? statSync(trimmed).isFile() : /\.(gguf|safetensors|bin)$/i.test(name);
  return isFile && extname(name) ? name.slice(0, -extname(name).length) : name;
}

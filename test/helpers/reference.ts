/** Access to the golden outputs of HF transformers in ../shared/reference (read in place, never copied). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (tests run from dist/test/...). */
export const REPO_ROOT = resolve(here, '..', '..', '..');
export const SHARED = resolve(REPO_ROOT, '..', 'shared');
export const REFERENCE = join(SHARED, 'reference');
export const REFERENCE_CONFIGS = ['hybrid-moe', 'jamba-v0.1-layout', 'dense-tied', 'bf16-weights'];

export interface RefFile { file: string; shape: number[]; dtype: string }
export interface RefCase {
  name: string;
  batch: number;
  seq_len: number;
  input_ids: number[][];
  max_new_tokens: number;
  generated_ids: number[][];
  logits: RefFile;
  step_logits: RefFile;
  hidden_states?: RefFile;
}

export function referenceDir(config: string): string {
  const d = join(REFERENCE, config);
  if (!existsSync(d)) throw new Error(`reference data not found at ${d}: the tests need ../shared beside the repository`);
  return d;
}

export function referenceCases(config: string): RefCase[] {
  return JSON.parse(readFileSync(join(referenceDir(config), 'cases.json'), 'utf8')).cases as RefCase[];
}

export function readF32(config: string, f: RefFile): Float32Array {
  const b = readFileSync(join(referenceDir(config), f.file));
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function argmax(a: ArrayLike<number>, off = 0, n = a.length): number {
  let best = off;
  for (let i = off + 1; i < off + n; i++) if (a[i]! > a[best]!) best = i;
  return best - off;
}

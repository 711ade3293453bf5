/**
 * A GGUF model that may be split over several files (llama.cpp's gguf-split convention): files named
 * `<prefix>-00001-of-0000N.gguf` … `<prefix>-0000N-of-0000N.gguf`, each carrying `split.no` (u16, 0-based),
 * `split.count` (u16) and `split.tensors.count` (i32); the first file holds the model metadata. Opening
 * any part opens all of them.
 */
import { existsSync } from 'node:fs';
import { JambaUserError } from '../../errors.js';
import { GgufFile, type GgufTensorInfo } from './reader.js';
import type { GgufMetadata } from './values.js';

const SPLIT_RE = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

/** llama.cpp's llama_split_path: `<prefix>-%05d-of-%05d.gguf` with a 1-based index. */
export function splitPath(prefix: string, index: number, count: number): string {
  return `${prefix}-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.gguf`;
}

function num(meta: GgufMetadata, key: string): number | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (typeof v.value === 'number') return v.value;
  if (typeof v.value === 'bigint') return Number(v.value);
  return undefined;
}

export class GgufModelFiles {
  readonly files: GgufFile[] = [];
  readonly tensors = new Map<string, GgufTensorInfo>();

  constructor(readonly path: string) {
    let first: GgufFile;
    const m = SPLIT_RE.exec(path);
    if (m && Number(m[2]) !== 1) {
      const firstPath = splitPath(m[1]!, 1, Number(m[3]));
      if (!existsSync(firstPath)) throw new JambaUserError(`${path} is part ${Number(m[2])} of a split model, but the first part ${firstPath} is missing`);
      first = new GgufFile(firstPath);
    } else {
      first = new GgufFile(path);
    }
    this.files.push(first);
    try {
      const count = num(first.metadata, 'split.count') ?? 1;
      if (count > 1) {
        const mm = SPLIT_RE.exec(first.path);
        if (!mm) throw new JambaUserError(`${first.path}: split.count is ${count}, but the name does not end in -00001-of-${String(count).padStart(5, '0')}.gguf, so the other parts cannot be found`);
        for (let i = 2; i <= count; i++) {
          const p = splitPath(mm[1]!, i, count);
          if (!existsSync(p)) throw new JambaUserError(`${first.path}: split part ${i} of ${count} is missing (${p})`);
          const part = new GgufFile(p);
          this.files.push(part);
          const no = num(part.metadata, 'split.no');
          if (no !== undefined && no !== i - 1) throw new JambaUserError(`${p}: split.no is ${no}, expected ${i - 1}`);
        }
      }
      for (const f of this.files) {
        for (const t of f.tensors) {
          if (this.tensors.has(t.name)) throw new JambaUserError(`${f.path}: tensor ${t.name} appears in more than one split part`);
          this.tensors.set(t.name, t);
        }
      }
      const declared = num(first.metadata, 'split.tensors.count');
      if (count > 1 && declared !== undefined && declared !== this.tensors.size) {
        throw new JambaUserError(`${first.path}: split.tensors.count is ${declared}, but the ${count} parts hold ${this.tensors.size} tensors`);
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** The model metadata (the first file's). */
  get metadata(): GgufMetadata { return this.files[0]!.metadata; }

  read(t: GgufTensorInfo): Uint8Array { return t.file.read(t); }

  close(): void {
    for (const f of this.files) f.close();
  }
}

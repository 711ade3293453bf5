/**
 * A GGUF model that may be split over several files (llama.cpp's gguf-split convention): files named
 * `<prefix>-00001-of-0000N.gguf` … `<prefix>-0000N-of-0000N.gguf`, each carrying `split.no` (u16, 0-based),
 * `split.count` (u16) and `split.tensors.count` (i32); the first file holds the model metadata. Opening
 * any part opens all of them.
 *
 * Writing (writeSplitGguf) follows llama.cpp's gguf-split: tensors stay in order and whole; a new file
 * starts when the next tensor would pass `maxTensors`, or `maxBytes` of tensor data (each tensor padded
 * to the alignment; header and metadata not counted, so it is a soft limit on the file size). A tensor
 * larger than `maxBytes` gets a file of its own (gguf-split stops with an error there instead). The
 * first file carries all metadata plus the split keys, the others only the split keys.
 */
import { existsSync } from 'node:fs';
import { JambaUserError } from '../../errors.js';
import { GGUF_DEFAULT_ALIGNMENT } from './constants.js';
import { GgufFile, type GgufTensorInfo } from './reader.js';
import { gv, type GgufMetadata } from './values.js';
import { tensorBytes, writeGgufFiles, type GgufTensorSpec, type WriteOptions } from './writer.js';

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

export interface SplitLimits {
  /** Most bytes of (padded) tensor data per file. */
  maxBytes?: number;
  /** Most tensors per file. */
  maxTensors?: number;
}

/** The tensor indices of each file, given each tensor's byte size. */
export function planSplit(sizes: readonly number[], limits: SplitLimits, alignment = GGUF_DEFAULT_ALIGNMENT): number[][] {
  const groups: number[][] = [];
  let cur: number[] = [];
  let bytes = 0;
  sizes.forEach((size, i) => {
    const padded = Math.ceil(size / alignment) * alignment;
    const full = (limits.maxTensors !== undefined && cur.length + 1 > limits.maxTensors)
      || (limits.maxBytes !== undefined && bytes + padded > limits.maxBytes);
    if (cur.length > 0 && full) {
      groups.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(i);
    bytes += padded;
  });
  if (cur.length > 0 || groups.length === 0) groups.push(cur);
  return groups;
}

/** The file names a split write of `out` produces: `<out without .gguf>-0000i-of-0000N.gguf`. */
export function splitPaths(out: string, count: number): string[] {
  const prefix = out.replace(/\.gguf$/i, '');
  return Array.from({ length: count }, (_, i) => splitPath(prefix, i + 1, count));
}

/** Writes `tensors` over as many files as `limits` need (always named as a split set); returns the paths. */
export function writeSplitGguf(out: string, metadata: GgufMetadata, tensors: GgufTensorSpec[], limits: SplitLimits, opts: WriteOptions = {}): string[] {
  const groups = planSplit(tensors.map((t) => tensorBytes(t.dtype, t.ne)), limits);
  if (groups.length > 0xffff) throw new JambaUserError(`splitting ${out} would need ${groups.length} files; GGUF split files allow at most 65535 (raise the limits)`);
  const paths = splitPaths(out, groups.length);
  writeGgufFiles(groups.map((g, i) => {
    const meta: GgufMetadata = i === 0 ? new Map(metadata) : new Map();
    meta.set('split.no', gv.u16(i));
    meta.set('split.count', gv.u16(groups.length));
    meta.set('split.tensors.count', gv.i32(tensors.length));
    return { path: paths[i]!, metadata: meta, tensors: g.map((j) => tensors[j]!) };
  }), opts);
  return paths;
}

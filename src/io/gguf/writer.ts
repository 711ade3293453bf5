/**
 * GGUF writer (version 3, little-endian; the layout in reader.ts). The header is built in memory, then
 * each tensor's bytes are produced one at a time and streamed to disk, each padded to the alignment as
 * llama.cpp's gguf writer does. The file is written under a temporary name and renamed when complete,
 * so a failed conversion never leaves a half-written .gguf behind; a set of files (a split model) is
 * renamed only once every file of the set is complete.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufType } from './constants.js';
import { TYPED_ARRAYS, type ArrayData, type GgufArray, type GgufMetadata, type GgufValue } from './values.js';

export interface GgufTensorSpec {
  name: string;
  dtype: DType;
  /** ggml order, fastest dimension first. */
  ne: number[];
  /** Produces the tensor's bytes (exactly its size, in one or more pieces), called once, in order. */
  data: () => Iterable<Uint8Array>;
}

export interface WriteOptions {
  /** Called after each tensor is written; `index` counts over all files of a set. */
  onTensor?: (index: number, spec: GgufTensorSpec, bytes: number) => void;
}

/** One file of a set written by writeGgufFiles. */
export interface GgufFileSpec {
  path: string;
  metadata: GgufMetadata;
  tensors: GgufTensorSpec[];
}

/** Byte size of a tensor of `ne` in `dtype`. */
export function tensorBytes(dtype: DType, ne: readonly number[]): number {
  const { blockSize, blockBytes } = DTYPES[dtype];
  if (ne[0]! % blockSize !== 0) throw new Error(`rows of ${ne[0]} values are not whole ${dtype} blocks`);
  return ne.slice(1).reduce((a, b) => a * b, (ne[0]! / blockSize) * blockBytes);
}

const utf8 = new TextEncoder();

class Sink {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  len = 0;

  /** The view after making room for n more bytes (written at this.len − n): a view read before a
   * growing room() call would be the old, too-short buffer's. */
  private at(n: number): DataView {
    this.room(n);
    return this.view;
  }

  private room(n: number): number {
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  u8(v: number): void { this.at(1).setUint8(this.len - 1, v); }
  u32(v: number): void { this.at(4).setUint32(this.len - 4, v, true); }
  u64(v: number | bigint): void { this.at(8).setBigUint64(this.len - 8, BigInt(v), true); }
  bytes(b: Uint8Array): void { const o = this.room(b.length); this.buf.set(b, o); }
  string(s: string): void { const b = utf8.encode(s); this.u64(b.length); this.bytes(b); }

  scalar(type: GgufType, v: unknown): void {
    switch (type) {
      case GgufType.U8: this.at(1).setUint8(this.len - 1, v as number); break;
      case GgufType.I8: this.at(1).setInt8(this.len - 1, v as number); break;
      case GgufType.U16: this.at(2).setUint16(this.len - 2, v as number, true); break;
      case GgufType.I16: this.at(2).setInt16(this.len - 2, v as number, true); break;
      case GgufType.U32: this.at(4).setUint32(this.len - 4, v as number, true); break;
      case GgufType.I32: this.at(4).setInt32(this.len - 4, v as number, true); break;
      case GgufType.F32: this.at(4).setFloat32(this.len - 4, v as number, true); break;
      case GgufType.F64: this.at(8).setFloat64(this.len - 8, v as number, true); break;
      case GgufType.U64: this.at(8).setBigUint64(this.len - 8, v as bigint, true); break;
      case GgufType.I64: this.at(8).setBigInt64(this.len - 8, v as bigint, true); break;
      case GgufType.BOOL: this.u8(v ? 1 : 0); break;
      case GgufType.STRING: this.string(v as string); break;
      default: throw new Error(`cannot write GGUF value type ${type} as a scalar`);
    }
  }

  array(a: GgufArray): void {
    this.u32(a.itemType);
    const items = a.value as ArrayLike<unknown>;
    this.u64(items.length);
    if (a.itemType === GgufType.ARRAY) {
      for (const x of a.value as GgufArray[]) this.array(x);
    } else if (TYPED_ARRAYS[a.itemType] && a.value instanceof TYPED_ARRAYS[a.itemType]!) {
      const t = a.value as Exclude<ArrayData, unknown[]>;
      this.bytes(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
    } else {
      for (let i = 0; i < items.length; i++) this.scalar(a.itemType, items[i]);
    }
  }

  value(v: GgufValue): void {
    this.u32(v.type);
    if (v.type === GgufType.ARRAY) this.array(v);
    else this.scalar(v.type, v.value);
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let done = 0;
  while (done < b.length) done += writeSync(fd, b, done, b.length - done);
}

/** Writes a GGUF v3 file. `general.alignment` in `metadata` (a u32) sets the alignment, else 32. */
export function writeGguf(path: string, metadata: GgufMetadata, tensors: GgufTensorSpec[], opts: WriteOptions = {}): void {
  writeGgufFiles([{ path, metadata, tensors }], opts);
}

/**
 * Writes several GGUF files, in order, each under a temporary name; renames them all once every one is
 * complete. On any failure no file of the set is left behind (temporary or renamed).
 */
export function writeGgufFiles(files: readonly GgufFileSpec[], opts: WriteOptions = {}): void {
  const tmps: string[] = [];
  let renamed = 0;
  let ok = false;
  try {
    let base = 0;
    for (const f of files) {
      const tmp = `${f.path}.partial-${process.pid}`;
      tmps.push(tmp);
      writeOne(tmp, f.metadata, f.tensors, base, opts);
      base += f.tensors.length;
    }
    for (; renamed < files.length; renamed++) renameSync(tmps[renamed]!, files[renamed]!.path);
    ok = true;
  } finally {
    if (!ok) {
      for (let i = 0; i < tmps.length; i++) rmSync(i < renamed ? files[i]!.path : tmps[i]!, { force: true });
    }
  }
}

function writeOne(path: string, metadata: GgufMetadata, tensors: GgufTensorSpec[], base: number, opts: WriteOptions): void {
  const al = metadata.get('general.alignment');
  const alignment = al && al.type === GgufType.U32 ? al.value : GGUF_DEFAULT_ALIGNMENT;
  if (alignment === 0 || (alignment & (alignment - 1)) !== 0) throw new Error(`alignment ${alignment} is not a power of two`);
  const pad = (n: number) => Math.ceil(n / alignment) * alignment;

  const h = new Sink();
  h.u32(GGUF_MAGIC);
  h.u32(3);
  h.u64(tensors.length);
  h.u64(metadata.size);
  for (const [k, v] of metadata) { h.string(k); h.value(v); }
  const sizes = tensors.map((t) => tensorBytes(t.dtype, t.ne));
  let offset = 0;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    h.string(t.name);
    h.u32(t.ne.length);
    for (const n of t.ne) h.u64(n);
    h.u32(DTYPES[t.dtype].ggmlType);
    h.u64(offset);
    offset += pad(sizes[i]!);
  }
  const headerLen = pad(h.len);
  const zeros = new Uint8Array(alignment);

  const fd = openSync(path, 'w');
  try {
    writeAll(fd, h.buf.subarray(0, h.len));
    writeAll(fd, zeros.subarray(0, headerLen - h.len));
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      let n = 0;
      for (const piece of t.data()) {
        n += piece.length;
        if (n > sizes[i]!) break;
        writeAll(fd, piece);
      }
      if (n !== sizes[i]) throw new Error(`tensor ${t.name}: produced ${n} bytes, expected ${sizes[i]} for ${t.dtype} {${t.ne.join(', ')}}`);
      writeAll(fd, zeros.subarray(0, pad(n) - n));
      opts.onTensor?.(base + i, t, n);
    }
  } finally {
    closeSync(fd);
  }
}

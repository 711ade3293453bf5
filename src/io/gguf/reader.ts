/**
 * GGUF reader for one file (llama.cpp ggml/src/gguf.cpp layout, versions 2 and 3, little-endian):
 *
 *   u32 magic "GGUF" · u32 version · u64 n_tensors · u64 n_kv
 *   n_kv × (string key · u32 value type · value)        string = u64 length + UTF-8 bytes;
 *                                                        array = u32 item type + u64 count + items
 *   n_tensors × (string name · u32 n_dims · n_dims × u64 ne · u32 ggml type · u64 offset)
 *   padding to `general.alignment` (u32, default 32) · tensor data (offsets relative to here)
 *
 * Only the header is read when a file is opened; tensor bytes are read by offset on demand. Every
 * malformed or unsupported input is a JambaUserError naming the file and the problem.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { JambaUserError } from '../../errors.js';
import { allocBytes } from '../../memory/pages.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import { GGML_MAX_DIMS, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_TYPE_NAMES, GgufType, dtypeOfGgml, ggmlTypeName } from './constants.js';
import { HeaderReader } from './header-reader.js';
import { TYPED_ARRAYS, scalarSize, type ArrayData, type GgufArray, type GgufMetadata, type GgufValue } from './values.js';

export interface GgufTensorInfo {
  readonly name: string;
  readonly ggmlType: number;
  readonly dtype: DType;
  /** ggml order, fastest dimension first. */
  readonly ne: readonly number[];
  /** Absolute byte position of the data in its file. */
  readonly position: number;
  readonly bytes: number;
  readonly file: GgufFile;
}

function readValue(r: HeaderReader, type: number, what: string, depth = 0): GgufValue {
  switch (type) {
    case GgufType.U8: return { type, value: r.u8(what) };
    case GgufType.I8: return { type, value: r.i8(what) };
    case GgufType.U16: return { type, value: r.u16(what) };
    case GgufType.I16: return { type, value: r.i16(what) };
    case GgufType.U32: return { type, value: r.u32(what) };
    case GgufType.I32: return { type, value: r.i32(what) };
    case GgufType.F32: return { type, value: r.f32(what) };
    case GgufType.F64: return { type, value: r.f64(what) };
    case GgufType.U64: return { type, value: r.u64(what) };
    case GgufType.I64: return { type, value: r.i64(what) };
    case GgufType.BOOL: {
      const b = r.u8(what);
      if (b > 1) throw new JambaUserError(`${r.path}: ${what} is a bool with value ${b} (corrupt GGUF header?)`);
      return { type, value: b === 1 };
    }
    case GgufType.STRING: return { type, value: r.string(what) };
    case GgufType.ARRAY: return readArray(r, what, depth);
    default: throw new JambaUserError(`${r.path}: ${what} has unknown GGUF value type ${type}`);
  }
}

function readArray(r: HeaderReader, what: string, depth: number): GgufArray {
  if (depth > 8) throw new JambaUserError(`${r.path}: ${what} nests arrays too deeply`);
  const itemType = r.u32(`item type of ${what}`);
  if (!(itemType in GGUF_TYPE_NAMES)) throw new JambaUserError(`${r.path}: ${what} is an array of unknown GGUF value type ${itemType}`);
  const size = scalarSize(itemType);
  const n = r.count(`length of ${what}`, Math.floor(r.remaining / (size ?? 8)));
  let value: ArrayData;
  const Typed = TYPED_ARRAYS[itemType as GgufType];
  if (Typed) {
    const arr = new Typed(n);
    r.bytesInto(n * size!, new Uint8Array((arr as Uint8Array).buffer), 0, what);
    value = arr;
  } else if (itemType === GgufType.BOOL) {
    value = Array.from({ length: n }, (_, i) => readValue(r, itemType, `${what}[${i}]`).value as boolean);
  } else if (itemType === GgufType.STRING) {
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = r.string(`${what}[${i}]`);
    value = out;
  } else {
    const out = new Array<GgufArray>(n);
    for (let i = 0; i < n; i++) out[i] = readArray(r, `${what}[${i}]`, depth + 1);
    value = out;
  }
  return { type: GgufType.ARRAY, itemType, value };
}

/** One opened .gguf file: its metadata, tensor infos and a file descriptor for reading data. */
export class GgufFile {
  readonly version: number;
  readonly metadata: GgufMetadata = new Map();
  readonly tensors: GgufTensorInfo[] = [];
  readonly alignment: number;
  /** Absolute position of the data section. */
  readonly dataOffset: number;
  readonly size: number;
  private fd: number | null;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new JambaUserError(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      this.size = fstatSync(this.fd).size;
      const r = new HeaderReader(this.fd, path, this.size);
      if (this.size < 4 || r.u32('magic') !== GGUF_MAGIC) throw new JambaUserError(`${path}: not a GGUF file (bad magic; expected the bytes "GGUF")`);
      this.version = r.u32('version');
      if (this.version === 0x02000000 || this.version === 0x03000000) throw new JambaUserError(`${path}: big-endian GGUF files are not supported`);
      if (this.version !== 2 && this.version !== 3) throw new JambaUserError(`${path}: GGUF version ${this.version} is not supported (only versions 2 and 3)`);
      // Each tensor info takes at least 8+4+8+4+8 bytes, each key/value at least 8+4+1.
      const nTensors = r.count('tensor count', Math.floor(this.size / 32));
      const nKv = r.count('metadata key count', Math.floor(this.size / 13));
      for (let i = 0; i < nKv; i++) {
        const key = r.string(`key of metadata entry ${i}`);
        if (this.metadata.has(key)) throw new JambaUserError(`${path}: duplicate metadata key ${key}`);
        const type = r.u32(`value type of ${key}`);
        this.metadata.set(key, readValue(r, type, key));
      }
      this.alignment = this.readAlignment();
      const infos: { name: string; ne: number[]; ggmlType: number; offset: number }[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < nTensors; i++) {
        const name = r.string(`name of tensor ${i}`);
        if (seen.has(name)) throw new JambaUserError(`${path}: duplicate tensor name ${name}`);
        seen.add(name);
        const nDims = r.u32(`dimension count of tensor ${name}`);
        if (nDims < 1 || nDims > GGML_MAX_DIMS) throw new JambaUserError(`${path}: tensor ${name} has ${nDims} dimensions (1 to ${GGML_MAX_DIMS} allowed)`);
        const ne: number[] = [];
        for (let d = 0; d < nDims; d++) ne.push(r.count(`dimension ${d} of tensor ${name}`, Number.MAX_SAFE_INTEGER));
        const ggmlType = r.u32(`type of tensor ${name}`);
        const offset = r.count(`data offset of tensor ${name}`, Number.MAX_SAFE_INTEGER);
        infos.push({ name, ne, ggmlType, offset });
      }
      this.dataOffset = Math.ceil(r.pos / this.alignment) * this.alignment;
      for (const t of infos) this.tensors.push(this.checkTensor(t.name, t.ne, t.ggmlType, t.offset));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private readAlignment(): number {
    const a = this.metadata.get('general.alignment');
    if (a === undefined) return GGUF_DEFAULT_ALIGNMENT;
    if (a.type !== GgufType.U32) throw new JambaUserError(`${this.path}: general.alignment must be a u32, got ${GGUF_TYPE_NAMES[a.type]}`);
    const v = a.value;
    if (v === 0 || (v & (v - 1)) !== 0) throw new JambaUserError(`${this.path}: general.alignment ${v} is not a power of two`);
    return v;
  }

  private checkTensor(name: string, ne: number[], ggmlType: number, offset: number): GgufTensorInfo {
    const dtype = dtypeOfGgml(ggmlType);
    if (!dtype) {
      const known = ggmlTypeName(ggmlType);
      throw new JambaUserError(known.startsWith('unknown')
        ? `${this.path}: tensor ${name} has unknown tensor type ${ggmlType}`
        : `${this.path}: tensor ${name} has type ${known} (ggml type ${ggmlType}), which jamba-ts cannot read`);
    }
    const { blockSize, blockBytes } = DTYPES[dtype];
    if (ne[0]! % blockSize !== 0) throw new JambaUserError(`${this.path}: tensor ${name} has rows of ${ne[0]} values, not a whole number of ${dtype} blocks (${blockSize})`);
    let bytes = (ne[0]! / blockSize) * blockBytes;
    for (let d = 1; d < ne.length; d++) bytes *= ne[d]!;
    if (!Number.isSafeInteger(bytes)) throw new JambaUserError(`${this.path}: tensor ${name} is impossibly large`);
    if (offset % this.alignment !== 0) throw new JambaUserError(`${this.path}: tensor ${name} data offset ${offset} is not a multiple of the alignment ${this.alignment}`);
    const position = this.dataOffset + offset;
    if (position + bytes > this.size) {
      throw new JambaUserError(`${this.path}: tensor ${name} needs bytes ${position}..${position + bytes} but the file has ${this.size} (truncated?)`);
    }
    return { name, ggmlType, dtype, ne, position, bytes, file: this };
  }

  /** Reads a tensor's bytes into a fresh buffer (64-byte aligned, on huge pages where possible: memory/pages.ts). */
  read(t: GgufTensorInfo): Uint8Array {
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    const out = allocBytes(t.bytes);
    const CHUNK = 1 << 30;
    let done = 0;
    while (done < out.byteLength) {
      const n = readSync(this.fd, out, done, Math.min(CHUNK, out.byteLength - done), t.position + done);
      if (n === 0) throw new JambaUserError(`${this.path}: file ends inside tensor ${t.name} (truncated?)`);
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

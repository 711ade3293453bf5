/**
 * safetensors reader: single files and sharded checkpoints (model.safetensors.index.json).
 *
 * Format: u64 little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the data; offsets count
 * from the first byte after the header. Only the header is read up front; each tensor's bytes are read
 * by offset when asked for, so checkpoints larger than memory can be inspected and files over 2 GB load.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { JambaUserError } from '../errors.js';
import { allocBytes } from '../memory/pages.js';
import type { DType } from '../tensor/dtype.js';
import { byteSize, makeWeight, numel, type Weight } from '../tensor/weight.js';
import type { TensorInfo, TensorSource } from './source.js';

const DTYPE_MAP: Record<string, DType> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };
const KNOWN_UNSUPPORTED = ['F64', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'F8_E4M3', 'F8_E5M2'];

interface Entry extends TensorInfo {
  file: SafetensorsFile;
  begin: number; // absolute byte position in the file
  bytes: number;
}

/** Reads up to `length` bytes at `position`, in chunks (a single read is limited to 2 GB). */
function readFully(fd: number, out: Uint8Array, position: number, what: string): void {
  const CHUNK = 1 << 30;
  let done = 0;
  while (done < out.byteLength) {
    const n = readSync(fd, out, done, Math.min(CHUNK, out.byteLength - done), position + done);
    if (n === 0) throw new JambaUserError(`${what}: file ends early (truncated?)`);
    done += n;
  }
}

export class SafetensorsFile {
  readonly entries = new Map<string, Entry>();
  readonly metadata: Record<string, string> = {};
  private fd: number | null;
  readonly size: number;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new JambaUserError(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    this.size = fstatSync(this.fd).size;
    try {
      this.parseHeader();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private parseHeader(): void {
    const fd = this.fd!;
    if (this.size < 8) throw new JambaUserError(`${this.path}: not a safetensors file (only ${this.size} bytes)`);
    const lenBuf = new Uint8Array(8);
    readFully(fd, lenBuf, 0, this.path);
    const n = Number(new DataView(lenBuf.buffer).getBigUint64(0, true));
    if (n < 2 || 8 + n > this.size) throw new JambaUserError(`${this.path}: header length ${n} does not fit in a file of ${this.size} bytes (corrupt or truncated)`);
    const hdr = new Uint8Array(n);
    readFully(fd, hdr, 8, this.path);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hdr));
    } catch {
      throw new JambaUserError(`${this.path}: header is not valid JSON (corrupt file?)`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new JambaUserError(`${this.path}: header is not a JSON object`);
    const dataStart = 8 + n;
    const dataLen = this.size - dataStart;
    const spans: [number, number, string][] = [];
    for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (v && typeof v === 'object') Object.assign(this.metadata, v);
        continue;
      }
      const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof t !== 'object' || t === null) throw new JambaUserError(`${this.path}: tensor ${name}: malformed header entry`);
      if (typeof t.dtype !== 'string') throw new JambaUserError(`${this.path}: tensor ${name}: missing dtype`);
      const dtype = DTYPE_MAP[t.dtype];
      if (!dtype) {
        const known = KNOWN_UNSUPPORTED.includes(t.dtype) ? 'unsupported' : 'unknown';
        throw new JambaUserError(`${this.path}: tensor ${name}: ${known} dtype ${t.dtype} (supported: F32, F16, BF16)`);
      }
      if (!Array.isArray(t.shape) || !t.shape.every((s) => Number.isInteger(s) && s >= 0)) throw new JambaUserError(`${this.path}: tensor ${name}: malformed shape ${JSON.stringify(t.shape)}`);
      const off = t.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isInteger(x) && x >= 0)) throw new JambaUserError(`${this.path}: tensor ${name}: malformed data_offsets`);
      const [b, e] = off as [number, number];
      const shape = t.shape as number[];
      const need = byteSize(dtype, shape);
      if (e < b || e - b !== need) throw new JambaUserError(`${this.path}: tensor ${name}: data_offsets [${b}, ${e}] hold ${e - b} bytes, but ${t.dtype}[${shape.join(', ')}] needs ${need}`);
      if (e > dataLen) throw new JambaUserError(`${this.path}: tensor ${name}: data_offsets end ${e} is past the end of the data (${dataLen} bytes; truncated file?)`);
      spans.push([b, e, name]);
      this.entries.set(name, { dtype, shape, file: this, begin: dataStart + b, bytes: need });
    }
    spans.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i]![0] < spans[i - 1]![1]) throw new JambaUserError(`${this.path}: tensors ${spans[i - 1]![2]} and ${spans[i]![2]} overlap (header offsets lie)`);
    }
  }

  read(name: string): Weight {
    const e = this.entries.get(name);
    if (!e) throw new JambaUserError(`${this.path}: no tensor ${name}`);
    if (this.fd === null) throw new Error(`${this.path} is closed`);
    const data = allocBytes(e.bytes);
    readFully(this.fd, data, e.begin, `${this.path}: tensor ${name}`);
    return makeWeight(name, e.dtype, e.shape, data);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** A TensorSource over one or more safetensors files (the shards of one checkpoint). */
export class SafetensorsSource implements TensorSource {
  private readonly map = new Map<string, Entry>();

  constructor(readonly origin: string, private readonly files: SafetensorsFile[]) {
    for (const f of files) {
      for (const [name, e] of f.entries) {
        if (this.map.has(name)) throw new JambaUserError(`${origin}: tensor ${name} appears in two shards (${this.map.get(name)!.file.path} and ${f.path})`);
        this.map.set(name, e);
      }
    }
  }

  names(): string[] { return [...this.map.keys()]; }

  info(name: string): TensorInfo | undefined {
    const e = this.map.get(name);
    return e ? { dtype: e.dtype, shape: e.shape } : undefined;
  }

  load(name: string): Weight {
    const e = this.map.get(name);
    if (!e) throw new JambaUserError(`${this.origin}: missing tensor ${name}`);
    return e.file.read(name);
  }

  close(): void { for (const f of this.files) f.close(); }
}

export { numel };

/**
 * A sequence's hybrid memory: a KV cache per attention layer and a recurrent state per Mamba layer,
 * plus the number of tokens consumed. Snapshots are deep copies (the whole state at that point, KV rows
 * included) and can be restored into this or any sequence of the same layout; `serialize` writes a
 * self-describing binary blob that `deserialize` reads back exactly.
 *
 * memory/ knows the layer layout only as plain data and never imports model/.
 */
import { JambaUserError } from '../errors.js';
import { KVCache } from './kv-cache.js';
import { RecurrentState } from './recurrent.js';

export type LayerMemoryLayout =
  | { kind: 'attention'; nKV: number; d: number }
  | { kind: 'mamba'; E: number; N: number; K: number };

export interface MemoryLayout {
  layers: LayerMemoryLayout[];
}

export type LayerMemory = KVCache | RecurrentState;

/** An immutable deep copy of a sequence's memory. */
export interface Snapshot {
  readonly length: number;
  readonly layers: readonly LayerMemory[];
}

function fresh(l: LayerMemoryLayout): LayerMemory {
  return l.kind === 'attention' ? new KVCache(l.nKV * l.d) : new RecurrentState(l.E, l.N, l.K);
}

function copyLayer(m: LayerMemory): LayerMemory {
  return m.copy();
}

const MAGIC = 0x4a4d454d; // 'JMEM'
const VERSION = 1;

export class SequenceMemory {
  /** Tokens consumed so far (= KV length of every attention layer). */
  length = 0;
  readonly layers: LayerMemory[];

  constructor(readonly layout: MemoryLayout) {
    this.layers = layout.layers.map(fresh);
  }

  kv(i: number): KVCache {
    const m = this.layers[i];
    if (!(m instanceof KVCache)) throw new Error(`layer ${i} has no KV cache`);
    return m;
  }

  recurrent(i: number): RecurrentState {
    const m = this.layers[i];
    if (!(m instanceof RecurrentState)) throw new Error(`layer ${i} has no recurrent state`);
    return m;
  }

  /** Makes room for `tokens` positions in every KV cache now, so that appends up to there allocate nothing. */
  reserve(tokens: number): void {
    for (const m of this.layers) if (m instanceof KVCache) m.reserve(tokens);
  }

  /** Back to an empty sequence. */
  reset(): void {
    this.length = 0;
    for (const m of this.layers) {
      if (m instanceof KVCache) m.length = 0;
      else m.reset();
    }
  }

  snapshot(): Snapshot {
    return { length: this.length, layers: this.layers.map(copyLayer) };
  }

  /** Restores a snapshot (taken from any sequence with the same layout). */
  restore(s: Snapshot): void {
    if (s.layers.length !== this.layers.length) throw new Error('snapshot layout does not match this sequence');
    for (let i = 0; i < this.layers.length; i++) {
      const dst = this.layers[i]!;
      const src = s.layers[i]!;
      if (dst instanceof KVCache && src instanceof KVCache) {
        if (dst.rowSize !== src.rowSize) throw new Error(`snapshot layer ${i}: KV row size differs`);
        dst.length = 0;
        dst.append(src.k, src.v, src.length);
      } else if (dst instanceof RecurrentState && src instanceof RecurrentState) {
        if (dst.conv.length !== src.conv.length || dst.ssm.length !== src.ssm.length) throw new Error(`snapshot layer ${i}: state size differs`);
        dst.copyFrom(src);
      } else {
        throw new Error(`snapshot layer ${i}: layer kind differs`);
      }
    }
    this.length = s.length;
  }

  clone(): SequenceMemory {
    const c = new SequenceMemory(this.layout);
    c.restore(this.snapshot());
    return c;
  }

  /** Bytes held: KV (grows with length) and recurrent (fixed). */
  bytes(): { kv: number; recurrent: number } {
    let kv = 0, recurrent = 0;
    for (const m of this.layers) {
      if (m instanceof KVCache) kv += m.bytes;
      else recurrent += m.bytes;
    }
    return { kv, recurrent };
  }

  /**
   * Binary form: u32 magic, u32 version, u32 JSON length, JSON {layout, length}, padding to 4 bytes,
   * then per layer the float32 data (KV: keys then values of `length` rows; Mamba: conv then ssm).
   */
  serialize(): Uint8Array {
    const header = new TextEncoder().encode(JSON.stringify({ layout: this.layout, length: this.length }));
    const headLen = 12 + header.length;
    const pad = (4 - (headLen % 4)) % 4;
    let floats = 0;
    for (const m of this.layers) floats += m instanceof KVCache ? 2 * m.length * m.rowSize : m.conv.length + m.ssm.length;
    const out = new Uint8Array(headLen + pad + 4 * floats);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint32(4, VERSION, true);
    dv.setUint32(8, header.length, true);
    out.set(header, 12);
    const f = new Float32Array(out.buffer, headLen + pad, floats);
    let o = 0;
    for (const m of this.layers) {
      if (m instanceof KVCache) {
        const n = m.length * m.rowSize;
        f.set(m.k.subarray(0, n), o); o += n;
        f.set(m.v.subarray(0, n), o); o += n;
      } else {
        f.set(m.conv, o); o += m.conv.length;
        f.set(m.ssm, o); o += m.ssm.length;
      }
    }
    return out;
  }

  /** Reads `serialize`'s output; `expected` (the model's layout) must match. `what` names the source. */
  static deserialize(bytes: Uint8Array, expected: MemoryLayout, what = 'state'): SequenceMemory {
    const bad = (m: string): never => { throw new JambaUserError(`${what}: ${m}`); };
    if (bytes.byteLength < 12) bad('too short to be a saved sequence state');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint32(0, true) !== MAGIC) bad('not a jamba-ts sequence state (bad magic)');
    if (dv.getUint32(4, true) !== VERSION) bad(`unsupported state version ${dv.getUint32(4, true)}`);
    const hl = dv.getUint32(8, true);
    if (12 + hl > bytes.byteLength) bad('truncated header');
    let head: { layout: MemoryLayout; length: number };
    try {
      head = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hl)));
    } catch {
      return bad('corrupt header');
    }
    if (JSON.stringify(head.layout) !== JSON.stringify(expected)) bad('saved for a model with a different layer layout');
    const mem = new SequenceMemory(expected);
    const start = 12 + hl + ((4 - ((12 + hl) % 4)) % 4);
    const dataBytes = bytes.byteLength - start;
    let need = 0;
    for (const l of expected.layers) need += l.kind === 'attention' ? 2 * head.length * l.nKV * l.d : l.E * (l.K - 1) + l.E * l.N;
    if (dataBytes !== 4 * need) bad(`expected ${4 * need} bytes of state data, found ${dataBytes} (truncated or corrupt)`);
    const copy = new Uint8Array(dataBytes);
    copy.set(bytes.subarray(start));
    const f = new Float32Array(copy.buffer);
    let o = 0;
    for (const m of mem.layers) {
      if (m instanceof KVCache) {
        const n = head.length * m.rowSize;
        m.append(f.subarray(o, o + n), f.subarray(o + n, o + 2 * n), head.length);
        o += 2 * n;
      } else {
        m.conv.set(f.subarray(o, o + m.conv.length)); o += m.conv.length;
        m.ssm.set(f.subarray(o, o + m.ssm.length)); o += m.ssm.length;
      }
    }
    mem.length = head.length;
    return mem;
  }
}

/**
 * KV cache of one attention layer for one sequence: keys and values of every position so far, stored
 * un-repeated (nKV heads), row-major [S, nKV·d]. Grows by doubling; appends never move earlier rows'
 * values, so truncating to a shorter length and re-appending is exact. Large buffers sit on huge pages
 * (pages.ts): attention at long context streams them every token.
 */
import { allocFloats } from './pages.js';

export class KVCache {
  k: Float32Array;
  v: Float32Array;
  length = 0;

  constructor(readonly rowSize: number, capacity = 16) {
    this.k = allocFloats(rowSize * capacity);
    this.v = allocFloats(rowSize * capacity);
  }

  get capacity(): number { return this.k.length / this.rowSize; }

  /** Makes room for `n` positions in total (amortised doubling). */
  reserve(n: number): void {
    if (n <= this.capacity) return;
    let cap = Math.max(16, this.capacity);
    while (cap < n) cap *= 2;
    const k = allocFloats(cap * this.rowSize);
    const v = allocFloats(cap * this.rowSize);
    k.set(this.k.subarray(0, this.length * this.rowSize));
    v.set(this.v.subarray(0, this.length * this.rowSize));
    this.k = k;
    this.v = v;
  }

  /** Appends T rows of keys and values ([T, rowSize] each). */
  append(k: Float32Array, v: Float32Array, T: number): void {
    this.reserve(this.length + T);
    const n = T * this.rowSize;
    this.k.set(k.length === n ? k : k.subarray(0, n), this.length * this.rowSize);
    this.v.set(v.length === n ? v : v.subarray(0, n), this.length * this.rowSize);
    this.length += T;
  }

  /** Bytes in use (keys + values, float32). */
  get bytes(): number { return 2 * 4 * this.length * this.rowSize; }

  copy(): KVCache {
    const c = new KVCache(this.rowSize, Math.max(1, this.length));
    c.k.set(this.k.subarray(0, this.length * this.rowSize));
    c.v.set(this.v.subarray(0, this.length * this.rowSize));
    c.length = this.length;
    return c;
  }
}

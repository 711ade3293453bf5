/**
 * Scratch buffers for one forward pass, reused across calls: a buffer grows when a call needs more
 * than any earlier one and is never freed, so the steady-state decode loop allocates nothing.
 */
export class Workspace {
  private readonly bufs = new Map<string, Float32Array>();

  /** A buffer of at least `n` floats (contents undefined), as an exact-length view. */
  get(name: string, n: number): Float32Array {
    let b = this.bufs.get(name);
    if (!b || b.length < n) {
      b = new Float32Array(Math.max(n, b ? b.length * 2 : 0));
      this.bufs.set(name, b);
    }
    return b.length === n ? b : b.subarray(0, n);
  }

  /** An Int32Array of at least n entries, exact-length view. */
  private readonly ints = new Map<string, Int32Array>();
  getInt(name: string, n: number): Int32Array {
    let b = this.ints.get(name);
    if (!b || b.length < n) {
      b = new Int32Array(Math.max(n, b ? b.length * 2 : 0));
      this.ints.set(name, b);
    }
    return b.length === n ? b : b.subarray(0, n);
  }

  private readonly f64 = new Map<string, Float64Array>();
  getF64(name: string, n: number): Float64Array {
    let b = this.f64.get(name);
    if (!b || b.length < n) { b = new Float64Array(n); this.f64.set(name, b); }
    return b.length === n ? b : b.subarray(0, n);
  }
}

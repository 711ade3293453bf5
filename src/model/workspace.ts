/**
 * Scratch buffers for one forward pass, reused across calls: a buffer grows when a call needs more
 * than any earlier one and is never freed, so the steady-state decode loop allocates nothing.
 */
type Typed = Float32Array | Float64Array | Int32Array;

export class Workspace {
  private readonly bufs = new Map<string, Typed>();

  private take<A extends Typed>(name: string, n: number, make: (n: number) => A): A {
    let b = this.bufs.get(name) as A | undefined;
    if (!b || b.length < n) {
      b = make(Math.max(n, b ? b.length * 2 : 0));
      this.bufs.set(name, b);
    }
    return (b.length === n ? b : b.subarray(0, n)) as A;
  }

  /** A float32 buffer of exactly `n` entries (contents undefined). */
  get(name: string, n: number): Float32Array { return this.take(name, n, (k) => new Float32Array(k)); }
  getInt(name: string, n: number): Int32Array { return this.take(name, n, (k) => new Int32Array(k)); }
  getF64(name: string, n: number): Float64Array { return this.take(name, n, (k) => new Float64Array(k)); }
}

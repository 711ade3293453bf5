/**
 * Scratch buffers for one forward pass, reused across calls: a buffer grows when a call needs more
 * than any earlier one and is never freed, so the steady-state decode loop allocates nothing.
 */
type Typed = Float32Array | Float64Array | Int32Array;

export class Workspace {
  /** Per name: the backing buffer and the last view handed out (reused while the size repeats). */
  private readonly bufs = new Map<string, { buf: Typed; view: Typed }>();

  private take<A extends Typed>(name: string, n: number, make: (n: number) => A): A {
    const e = this.bufs.get(name);
    if (e && e.view.length === n) return e.view as A;
    let buf = e?.buf as A | undefined;
    if (!buf || buf.length < n) buf = make(Math.max(n, buf ? buf.length * 2 : 0));
    const view = (buf.length === n ? buf : buf.subarray(0, n)) as A;
    this.bufs.set(name, { buf, view });
    return view;
  }

  /** A float32 buffer of exactly `n` entries (contents undefined). */
  get(name: string, n: number): Float32Array { return this.take(name, n, (k) => new Float32Array(k)); }
  getInt(name: string, n: number): Int32Array { return this.take(name, n, (k) => new Int32Array(k)); }
  getF64(name: string, n: number): Float64Array { return this.take(name, n, (k) => new Float64Array(k)); }
}

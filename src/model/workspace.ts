/**
 * Scratch buffers for one forward pass, reused across calls: a buffer grows when a call needs more
 * than any earlier one and is never freed; `sub` hands out cached views and `ops` reused argument
 * objects, so a steady-state decode step allocates nothing on the JS heap.
 */
type Typed = Float32Array | Float64Array | Int32Array;

const VIEWS_PER_ARRAY = 32;

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

  /** Views handed out by `sub`, per array: the last VIEWS_PER_ARRAY distinct ranges asked for. */
  private readonly views = new WeakMap<Float32Array, Float32Array[]>();

  /**
   * a[start, end) as a view that is reused while the same array and range are asked for again (every
   * decode step asks for the same ones); `a` itself for its whole range. Like subarray, never a copy.
   */
  sub(a: Float32Array, start: number, end = a.length): Float32Array {
    if (start === 0 && end === a.length) return a;
    let list = this.views.get(a);
    if (list === undefined) { list = []; this.views.set(a, list); }
    const off = a.byteOffset + 4 * start, n = end - start;
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      if (v.byteOffset === off && v.length === n) return v;
    }
    const v = a.subarray(start, end);
    if (list.length >= VIEWS_PER_ARRAY) list.shift();
    list.push(v);
    return v;
  }

  /** A reusable array of `n` argument objects made by `make` (their fields are the caller's to set). */
  ops<O>(name: string, n: number, make: () => O): O[] {
    let list = this.opLists.get(name) as O[] | undefined;
    if (list === undefined) { list = []; this.opLists.set(name, list); }
    while (list.length < n) list.push(make());
    const view = this.opViews.get(name) as O[] | undefined;
    if (view !== undefined && view.length === n) return view;
    const out = list.slice(0, n);
    this.opViews.set(name, out);
    return out;
  }
  private readonly opLists = new Map<string, unknown[]>();
  private readonly opViews = new Map<string, unknown[]>();

  /** A float32 buffer of exactly `n` entries (contents undefined). */
  get(name: string, n: number): Float32Array { return this.take(name, n, makeF32); }
  getInt(name: string, n: number): Int32Array { return this.take(name, n, makeI32); }
  getF64(name: string, n: number): Float64Array { return this.take(name, n, makeF64); }
}

// module-level makers: a closure written at the call site would be a new object on every call
const makeF32 = (k: number): Float32Array => new Float32Array(k);
const makeI32 = (k: number): Int32Array => new Int32Array(k);
const makeF64 = (k: number): Float64Array => new Float64Array(k);

/**
 * A weight tensor: a typed view over bytes that stay in their stored type.
 *
 * Axis order is row-major, outermost first (PyTorch order). A 2-D weight `[rows, cols]` is a linear
 * layer's `[out, in]`; each row is `rowBytes(dtype, cols)` bytes. GGUF's `ne[]` is the reverse of
 * `shape` and is converted once in io/.
 */
import { DType, rowBytes } from './dtype.js';

export interface Weight {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Raw bytes in `dtype`, exactly `byteSize(dtype, shape)` long. */
  readonly data: Uint8Array;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Bytes taken by a tensor of `shape` in `dtype` (rows are the innermost axis). */
export function byteSize(dtype: DType, shape: readonly number[]): number {
  if (shape.length === 0) return rowBytes(dtype, 1);
  const cols = shape[shape.length - 1]!;
  return rowBytes(dtype, cols) * (numel(shape) / cols);
}

export function makeWeight(name: string, dtype: DType, shape: readonly number[], data: Uint8Array): Weight {
  const need = byteSize(dtype, shape);
  if (data.byteLength !== need) {
    throw new Error(`weight ${name}: ${data.byteLength} bytes for ${dtype}[${shape.join(', ')}], expected ${need}`);
  }
  return { name, dtype, shape: [...shape], data };
}

/** A float32 weight from values (copied). */
export function f32Weight(name: string, shape: readonly number[], values: ArrayLike<number>): Weight {
  const a = Float32Array.from(values);
  return makeWeight(name, 'f32', shape, new Uint8Array(a.buffer));
}

/**
 * Sub-tensor `index` along the outermost axis, as a view (no copy): expert `e` of a stacked
 * `[nE, rows, cols]` tensor is `slice0(w, e)` with shape `[rows, cols]`.
 */
export function slice0(w: Weight, index: number, name = `${w.name}[${index}]`): Weight {
  const inner = w.shape.slice(1);
  const size = byteSize(w.dtype, inner);
  const data = w.data.subarray(index * size, (index + 1) * size);
  return { name, dtype: w.dtype, shape: inner, data };
}

const f32Cache = new WeakMap<Uint8Array, Float32Array>();

/**
 * The values of an f32 weight as a Float32Array view. Views need 4-byte alignment; a misaligned
 * buffer is copied once and the copy cached. Throws for other dtypes (use `toF32`).
 */
export function f32View(w: Weight): Float32Array {
  if (w.dtype !== 'f32') throw new Error(`weight ${w.name} is ${w.dtype}, not f32`);
  const d = w.data;
  if (d.byteOffset % 4 === 0) return new Float32Array(d.buffer, d.byteOffset, d.byteLength / 4);
  let c = f32Cache.get(d);
  if (!c) {
    c = new Float32Array(d.byteLength / 4);
    new Uint8Array(c.buffer).set(d);
    f32Cache.set(d, c);
  }
  return c;
}

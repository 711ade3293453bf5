/**
 * Shared helpers of the op conformance tests: a seeded generator, random inputs and weights in each
 * stored type, the native backend (or a skip reason when the addon is not built), the instruction
 * sets this CPU offers, and tolerant / bit-exact comparisons against the reference backend.
 */
import assert from 'node:assert/strict';
import { f32ToBf16, f32ToF16, type DType } from '../../src/tensor/dtype.js';
import { makeWeight, type Weight } from '../../src/tensor/weight.js';
import { loadNativeBackend, nativeLoadError, NativeBackend } from '../../src/backends/native/index.js';
import { loadAddon } from '../../src/backends/native/addon.js';
import type { QuantDot } from '../../src/tensor/quant/act.js';

/** Deterministic xorshift32 → uniform [0, 1). */
export function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** n values uniform in [lo, hi). */
export function rand(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/**
 * A [rows, cols] weight of `dtype` from random values, its bytes placed at byte offset `misalign`
 * inside a larger buffer (so kernels must cope with unaligned rows).
 */
export function randWeight(r: () => number, dtype: DType, rows: number, cols: number, misalign = 0): Weight {
  const vals = rand(r, rows * cols, -0.5, 0.5);
  const es = dtype === 'f32' ? 4 : 2;
  const buf = new Uint8Array(rows * cols * es + misalign);
  const data = buf.subarray(misalign);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < vals.length; i++) {
    if (dtype === 'f32') dv.setFloat32(4 * i, vals[i]!, true);
    else if (dtype === 'f16') dv.setUint16(2 * i, f32ToF16(vals[i]!), true);
    else if (dtype === 'bf16') dv.setUint16(2 * i, f32ToBf16(vals[i]!), true);
    else throw new Error(`randWeight: ${dtype} not supported here`);
  }
  return makeWeight(`w_${dtype}_${rows}x${cols}`, dtype, [rows, cols], data);
}

let native: NativeBackend | null | undefined;
const byQuantDot = new Map<QuantDot, NativeBackend>();

/**
 * The native backend on 2 threads, or null (then `skipReason` says why); with `quantDot`, one that
 * uses that quantised-matmul scheme whatever $JAMBA_QUANT_DOT says (ISA and threads are process-wide).
 */
export function nativeBackend(quantDot?: QuantDot): NativeBackend | null {
  if (native === undefined) native = loadNativeBackend(2);
  if (!native || quantDot === undefined) return native;
  let b = byQuantDot.get(quantDot);
  if (!b) byQuantDot.set(quantDot, b = new NativeBackend(loadAddon()!, { threads: 2, quantDot }));
  return b;
}

/** Why native tests skip here, or false when they run; with JAMBA_REQUIRE_NATIVE=1 (CI) a missing addon throws. */
export function skipReason(): string | false {
  if (nativeBackend()) return false;
  const why = `native addon not built (${nativeLoadError()}); run 'npm run build:native'`;
  if (process.env.JAMBA_REQUIRE_NATIVE === '1') throw new Error(why);
  return why;
}

/** Instruction sets this build and CPU run, best last. */
export function isas(): string[] {
  const b = nativeBackend();
  if (!b) return [];
  const out: string[] = [];
  for (const isa of ['generic', 'avx2', 'avx512', 'avx512vnni']) {
    try { b.configure({ threads: 2, isa }); out.push(isa); } catch { /* not on this CPU */ }
  }
  b.configure({ threads: 2 });
  return out;
}

/** Runs fn once per available instruction set with the backend configured for it (2 threads). */
export function forEachIsa(fn: (b: NativeBackend, isa: string) => void, quantDot?: QuantDot): void {
  const b = nativeBackend()!, use = nativeBackend(quantDot)!;
  try {
    for (const isa of isas()) {
      b.configure({ threads: 2, isa });
      fn(use, isa);
    }
  } finally {
    b.configure({ threads: 2 });
  }
}

/**
 * |got − want| ≤ rtol·(|want| + scale) element-wise, where scale is `scale[i]` if given (e.g. Σ|x·w| of
 * a dot product) or else the root mean square of `want` (so near-zero entries are judged against the
 * size of the whole output, not against themselves).
 */
export function assertClose(got: Float32Array, want: Float32Array, what: string, rtol = 1e-5, scale?: Float32Array | Float64Array): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let ss = 0;
  for (let i = 0; i < want.length; i++) ss += want[i]! * want[i]!;
  const rms = Math.sqrt(ss / Math.max(1, want.length));
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    const tol = rtol * (Math.abs(w) + (scale ? scale[i]! : rms));
    if (!(Math.abs(g - w) <= tol)) {
      assert.fail(`${what}: element ${i} is ${g}, reference ${w} (|diff| ${Math.abs(g - w)} > tol ${tol})`);
    }
  }
}

/** Bit-for-bit equality (NaN-safe, -0 ≠ +0). */
export function assertBitEqual(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) assert.fail(`${what}: element ${i} differs: ${got[i]} vs ${want[i]}`);
  }
}

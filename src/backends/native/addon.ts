/**
 * Loading the native addon (build/Release/jamba_native.node, built from kernels/ by node-gyp during
 * `npm install`) and the shape of what it exports. Loading never throws: a missing or broken addon is
 * reported as a reason string so the caller can fall back to the reference backend.
 *
 * JAMBA_NATIVE_ADDON overrides the addon's path (tests use it to simulate a missing build).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Functions exported by kernels/binding.c; argument order as documented there. */
export interface NativeAddon {
  matmul(y: Float32Array, x: Float32Array, w: Uint8Array, dtype: number, rows: number, cols: number, T: number, bias: Float32Array | null, qdot?: number): void;
  /** matmulMany(qdot, n, then per matmul: y, x, w, dtype, rows, cols, T, bias | null): the first n (≤ 16) as one job. */
  matmulMany(qdot: number, n: number, ...ops: (Float32Array | Uint8Array | number | null)[]): void;
  rmsNorm(out: Float32Array, x: Float32Array, w: Float32Array, T: number, n: number, eps: number, stride: number): void;
  embed(out: Float32Array, ids: Int32Array, table: Uint8Array, dtype: number, cols: number): void;
  gatedAct(out: Float32Array, gate: Float32Array, up: Float32Array, n: number, act: number): void;
  add(x: Float32Array, y: Float32Array, n: number): void;
  attention(q: Float32Array, k: Float32Array, v: Float32Array, T: number, past: number, nH: number, nKV: number, d: number, scale: number, out: Float32Array): void;
  conv1d(u: Float32Array, uStride: number, state: Float32Array, w: Float32Array, bias: Float32Array | null, T: number, E: number, K: number, act: number, out: Float32Array): void;
  scan(u: Float32Array, dt: Float32Array, A: Float32Array, B: Float32Array, C: Float32Array, bOffset: number, cOffset: number, bcStride: number,
    D: Float32Array, z: Float32Array, zOffset: number, zStride: number, h: Float32Array, T: number, E: number, N: number, act: number, out: Float32Array): void;
  /** Sets the thread count (≥ 1) and instruction set ('generic' | 'avx2' | 'avx512' | 'avx512vnni' | null for the best). */
  configure(threads: number, isa: string | null): NativeInfo;
  info(): NativeInfo;
  /** Σ x, streamed on all threads: the benchmark's memory-bandwidth probe. */
  streamSum(x: Float32Array): number;
  /** Index in [0, n) of the largest of x[off..off+n): ties to the lowest, NaNs passed over, a NaN first value gives 0. */
  argmax(x: Float32Array, off: number, n: number): number;
  /** Programs (kernels/binding_program.c): a handle, recording into it (null stops), its length, replaying ops [from, to) at position P. */
  programCreate?(): object;
  programRecord?(handle: object | null): void;
  programLength?(handle: object): number;
  programRun?(handle: object, from: number, to: number, P: number, live: number): void;
  /** One token's attention at position P (−1 while recording: the program's run-time position). */
  attendStep?(q: Float32Array, kNew: Float32Array, vNew: Float32Array, kCache: Float32Array, vCache: Float32Array,
    nH: number, nKV: number, d: number, scale: number, out: Float32Array, P: number): void;
  /** experts(x, sel, wts, k, act, g, u, y, out, H, I, qdot, nE, then (w, dtype) for every gate, every up, every down). */
  experts?(...args: (Float32Array | Int32Array | Uint8Array | number)[]): void;
  /** A zero-filled buffer of `bytes` on 2 MB pages (Linux), or null where the platform cannot (src/memory/pages.ts). */
  allocHuge(bytes: number): ArrayBuffer | null;
}

export interface NativeInfo {
  isa: string;
  threads: number;
}

let cached: { addon: NativeAddon | null; error: string | null } | undefined;

/** Default location, relative to this compiled file (dist/src/backends/native/). */
export function addonPath(): string {
  return process.env.JAMBA_NATIVE_ADDON ?? fileURLToPath(new URL('../../../../build/Release/jamba_native.node', import.meta.url));
}

/** The addon, or null with `nativeLoadError()` saying why. Loaded once per process. */
export function loadAddon(): NativeAddon | null {
  if (!cached) {
    const path = addonPath();
    try {
      const mod = createRequire(import.meta.url)(path) as NativeAddon;
      if (typeof mod.matmul !== 'function' || typeof mod.configure !== 'function') throw new Error('it does not export the expected functions');
      cached = { addon: mod, error: null };
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      cached = { addon: null, error: `cannot load ${path}: ${msg}` };
    }
  }
  return cached.addon;
}

/**
 * One of the addon's functions for code outside the backend (the greedy pick, huge-page buffers), or
 * null when the addon is missing or older than the function; such callers keep a plain-JS path.
 */
export function addonFunction<K extends 'argmax' | 'allocHuge'>(name: K): NativeAddon[K] | null {
  const addon = loadAddon();
  return addon && typeof addon[name] === 'function' ? addon[name] : null;
}

export function nativeLoadError(): string | null {
  loadAddon();
  return cached!.error;
}

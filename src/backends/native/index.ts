/**
 * The native backend: every Backend op runs in the C kernels of kernels/ through the N-API addon
 * (vectorised with AVX-512 / AVX2 chosen at run time, multithreaded on a persistent pool). Weights
 * are passed as their stored bytes (f32, f16, bf16 and llama.cpp's block types decoded in the matmul
 * inner loop); a weight type the kernels do not know runs on the reference op instead.
 *
 * Results follow the Backend contract: float32 accumulation in a fixed order per row, so a row's
 * output does not depend on T, the other rows or the thread count (test/ops checks it bit for bit).
 */
import { availableParallelism } from 'node:os';
import type { Act, AttentionArgs, Backend, ConvArgs, MatmulOp, OpRecorder, ScanArgs } from '../backend.js';
import { RefBackend } from '../ref/index.js';
import type { Weight } from '../../tensor/weight.js';
import type { DType } from '../../tensor/dtype.js';
import { loadAddon, type NativeAddon, type NativeInfo } from './addon.js';
import { defaultQuantDot, type QuantDot } from '../../tensor/quant/act.js';
import { NativeRecorder, programAddon } from './recorder.js';

export { nativeLoadError } from './addon.js';

/** Weight types the kernels decode directly, with the code kernels/jt.h gives them. */
const DTYPE_CODE: Partial<Record<DType, number>> = {
  f32: 0, f16: 1, bf16: 2, q8_0: 3, q4_0: 4, q4_1: 5, q5_0: 6, q5_1: 7, q4_k: 8, q5_k: 9, q6_k: 10,
};
const ACT_CODE: Record<Act, number> = { silu: 0, gelu: 1, relu: 2 };
/** Most matmuls in one addon.matmulMany call (kernels/binding.c's MANY). */
const MANY_MAX = 16;

/** The ids an embed gets during a dry run (see dryRun). */
const NO_IDS = new Int32Array(0);

export interface NativeOptions {
  /** Worker threads including the caller (default: all cores). */
  threads?: number;
  /** Force an instruction set: 'generic' | 'avx2' | 'avx512' | 'avx512vnni' (default: the best this CPU runs, or $JAMBA_ISA). */
  isa?: string;
  /** Quantised weights: 'int8' activations as llama.cpp (default, or $JAMBA_QUANT_DOT), or 'exact' float32. */
  quantDot?: QuantDot;
}

export class NativeBackend implements Backend {
  readonly name = 'native';
  /** Reference ops for weight types without a native kernel yet. */
  private readonly fallback: RefBackend;
  readonly quantDot: QuantDot;
  /** matmulMany's argument list, one fixed-length array reused by every call (qdot, n, 8 per matmul). */
  private readonly manyArgs: unknown[] = new Array<unknown>(2 + 8 * MANY_MAX).fill(null);
  /** 1, or 0 during dryRun: every op's sizes go to the kernels multiplied by it. */
  private live = 1;
  /** Set while a recorder records: ops are appended to a program, so none may fall back to JS. */
  private recording = false;
  private rec: NativeRecorder | null | undefined;

  constructor(private readonly addon: NativeAddon, opts: NativeOptions = {}) {
    this.quantDot = opts.quantDot ?? defaultQuantDot();
    this.fallback = new RefBackend({ quantDot: this.quantDot });
    this.configure(opts);
  }

  /** Changes threads and/or instruction set (process-wide: the pool and kernel table are global). */
  configure(opts: NativeOptions): NativeInfo {
    const threads = opts.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`);
    return this.addon.configure(threads, opts.isa ?? process.env.JAMBA_ISA ?? null);
  }

  /** The instruction set and thread count in use. */
  get info(): NativeInfo {
    return this.addon.info();
  }

  /** Σ x over all threads (a memory-read probe for the benchmark; summation order unspecified). */
  streamSum(x: Float32Array): number {
    return this.addon.streamSum(x);
  }

  /** Whether matmul/embed run natively on weights of this type (else the reference op runs). */
  supports(dtype: DType): boolean {
    return DTYPE_CODE[dtype] !== undefined;
  }

  matmul(y: Float32Array, x: Float32Array, w: Weight, T: number, bias?: Float32Array | null): void {
    const code = DTYPE_CODE[w.dtype];
    if (code === undefined) return this.fallback.matmul(y, x, w, T * this.noFallback(w), bias);
    const [rows, cols] = w.shape as [number, number];
    this.addon.matmul(y, x, w.data, code, rows, cols, T * this.live, bias ?? null, this.quantDot === 'int8' ? 1 : 0);
  }

  /** Up to MANY_MAX ops per native call (kernels/binding.c's MANY); the argument list is reused. */
  matmulMany(ops: readonly MatmulOp[]): void {
    const args = this.manyArgs;
    args[0] = this.quantDot === 'int8' ? 1 : 0;
    let n = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const code = DTYPE_CODE[op.w.dtype];
      if (code === undefined) { this.fallback.matmul(op.y, op.x, op.w, op.T * this.noFallback(op.w), op.bias); continue; }
      const o = 2 + 8 * n;
      args[o] = op.y; args[o + 1] = op.x; args[o + 2] = op.w.data; args[o + 3] = code;
      args[o + 4] = op.w.shape[0]; args[o + 5] = op.w.shape[1]; args[o + 6] = op.T * this.live; args[o + 7] = op.bias ?? null;
      if (++n === MANY_MAX) { this.runMany(n); n = 0; }
    }
    if (n > 0) this.runMany(n);
  }

  /** Runs the first n groups of manyArgs, then drops their array references. */
  private runMany(n: number): void {
    const args = this.manyArgs;
    args[1] = n;
    try {
      this.addon.matmulMany.apply(this.addon, args as Parameters<NativeAddon['matmulMany']>);
    } finally {
      for (let i = 2; i < 2 + 8 * n; i++) args[i] = null;
    }
  }

  rmsNorm(out: Float32Array, x: Float32Array, w: Float32Array, T: number, n: number, eps: number, stride = n): void {
    this.addon.rmsNorm(out, x, w, T * this.live, n, eps, stride);
  }

  embed(out: Float32Array, ids: Int32Array, table: Weight): void {
    const code = DTYPE_CODE[table.dtype];
    const use = this.live ? ids : NO_IDS;
    if (code === undefined) { this.noFallback(table); return this.fallback.embed(out, use, table); }
    this.addon.embed(out, use, table.data, code, table.shape[table.shape.length - 1]!);
  }

  gatedAct(out: Float32Array, gate: Float32Array, up: Float32Array, n: number, act: Act): void {
    this.addon.gatedAct(out, gate, up, n * this.live, ACT_CODE[act]);
  }

  add(x: Float32Array, y: Float32Array, n: number): void {
    this.addon.add(x, y, n * this.live);
  }

  attention(a: AttentionArgs): void {
    this.addon.attention(a.q, a.k, a.v, a.T * this.live, a.past, a.nH, a.nKV, a.d, a.scale, a.out);
  }

  conv1d(a: ConvArgs): void {
    this.addon.conv1d(a.u, a.uStride, a.state, a.w, a.bias, a.T * this.live, a.E, a.K, ACT_CODE[a.act], a.out);
  }

  scan(a: ScanArgs): void {
    this.addon.scan(a.u, a.dt, a.A, a.B, a.C, a.bOffset, a.cOffset, a.bcStride, a.D, a.z, a.zOffset, a.zStride,
      a.h, a.T * this.live, a.E, a.N, ACT_CODE[a.act], a.out);
  }

  /**
   * Runs `fn` with every op doing no work: each op still calls into the addon, but with its sizes
   * (T, n, the ids) multiplied by zero, which the kernels accept and skip. So the model's JavaScript and
   * these wrappers run exactly as they do for real, with the same objects and call targets, and V8
   * optimises them for real use (model/warmup.ts), while nothing is computed or written.
   */
  dryRun(fn: () => void): void {
    this.live = 0;
    try {
      fn();
    } finally {
      this.live = 1;
    }
  }

  /** `live`, or an error while recording: a reference op would run now instead of being recorded. */
  private noFallback(w: { name: string; dtype: DType }): number {
    if (this.recording) throw new Error(`weight ${w.name} (${w.dtype}) has no native kernel, so its op cannot be recorded`);
    return this.live;
  }

  /** The recorder of one-token steps (backend.ts OpRecorder), or null when the addon is older than programs. */
  recorder(): OpRecorder | null {
    if (this.rec === undefined) {
      const a = programAddon(this.addon);
      this.rec = a && new NativeRecorder(a, {
        recording: (fn) => {
          const live = this.live;
          this.live = 1; this.recording = true; // a dry run records real sizes: the program outlives it
          try { fn(); } finally { this.live = live; this.recording = false; }
        },
        live: () => this.live,
        qdot: () => (this.quantDot === 'int8' ? 1 : 0),
        code: (w) => DTYPE_CODE[w.dtype],
        actCode: (act) => ACT_CODE[act],
      });
    }
    return this.rec;
  }

  /** Stops the worker threads; later calls still work, on one thread. */
  dispose(): void {
    this.addon.configure(1, null);
  }
}

/** The native backend, or null when the addon cannot be loaded (`nativeLoadError()` says why). */
export function loadNativeBackend(threads?: number, isa?: string): NativeBackend | null {
  const addon = loadAddon();
  if (!addon) return null;
  return new NativeBackend(addon, { threads, isa });
}

/**
 * Loader of the optional training kernels (kernels/train/, addon jamba_train.node): the float32 scan
 * and attention forward/backward in C with pthreads. When the addon is not built, or arrays are
 * float64, the TypeScript ops run instead (they are the reference the kernels are tested against).
 * Looked for in build/Release (once the root binding.gyp builds it) and kernels/train/build/Release
 * (`node-gyp rebuild --directory kernels/train`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TrainAddon {
  scanFwd(B: number, T: number, E: number, N: number, threads: number, v: Float32Array, dtr: Float32Array, Alog: Float32Array,
    Bm: Float32Array, Cm: Float32Array, D: Float32Array, y: Float32Array, delta: Float32Array): void;
  scanBwd(B: number, T: number, E: number, N: number, threads: number, v: Float32Array, dtr: Float32Array, delta: Float32Array, Alog: Float32Array,
    Bm: Float32Array, Cm: Float32Array, D: Float32Array, dy: Float32Array, dv: Float32Array, ddtr: Float32Array, dAlog: Float32Array,
    dB: Float32Array, dC: Float32Array, dD: Float32Array): void;
  attnFwd(B: number, T: number, nH: number, nKV: number, d: number, threads: number, q: Float32Array, k: Float32Array, v: Float32Array, o: Float32Array, P: Float32Array): void;
  attnBwd(B: number, T: number, nH: number, nKV: number, d: number, threads: number, q: Float32Array, k: Float32Array, v: Float32Array,
    P: Float32Array, dO: Float32Array, dq: Float32Array, dk: Float32Array, dv: Float32Array): void;
  convFwd(B: number, T: number, E: number, K: number, uStride: number, threads: number, u: Float32Array, w: Float32Array, bias: Float32Array | null, c: Float32Array): void;
  convBwd(B: number, T: number, E: number, K: number, uStride: number, threads: number, u: Float32Array, w: Float32Array, dc: Float32Array,
    du: Float32Array, dw: Float32Array, db: Float32Array | null): void;
  linearBwdWeight(M: number, nIn: number, nOut: number, threads: number, dy: Float32Array, x: Float32Array, dW: Float32Array, db: Float32Array | null): void;
  linearBwdInput(M: number, nIn: number, nOut: number, threads: number, dy: Float32Array, W: Float32Array, dx: Float32Array): void;
  siluGluFwd(M: number, E: number, zOff: number, zStride: number, out: Float32Array, a: Float32Array, z: Float32Array): void;
  siluGluBwd(M: number, E: number, zOff: number, zStride: number, da: Float32Array, dz: Float32Array, g: Float32Array, a: Float32Array, z: Float32Array): void;
  rmsFwd(M: number, n: number, eps: number, threads: number, x: Float32Array, xOff: number, xStride: number, w: Float32Array,
    y: Float32Array, yOff: number, yStride: number, rstd: Float32Array): void;
  rmsBwd(M: number, n: number, threads: number, dx: Float32Array, dxOff: number, dxStride: number, dw: Float32Array,
    dy: Float32Array, dyOff: number, dyStride: number, x: Float32Array, xOff: number, xStride: number, w: Float32Array, rstd: Float32Array): void;
  adamw(theta: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number, beta2: number, eps: number, decay: number, c1: number, c2: number): void;
  /** Summed loss over rows with a target; writes scale·∂(mean loss)/∂logits when dlogits is given. */
  crossEntropy(M: number, V: number, threads: number, logits: Float32Array, targets: Int32Array, dlogits: Float32Array | null, scale: number, count: number): number;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let addon: TrainAddon | null | undefined;
let enabled = true;
let threadCount = availableParallelism();

export function trainAddon(): TrainAddon | null {
  if (!enabled) return null;
  if (addon === undefined) {
    addon = null;
    const req = createRequire(import.meta.url);
    for (const p of [join(ROOT, 'build', 'Release', 'jamba_train.node'), join(ROOT, 'kernels', 'train', 'build', 'Release', 'jamba_train.node')]) {
      if (!existsSync(p)) continue;
      try { addon = req(p) as TrainAddon; break; } catch { /* try the next place */ }
    }
  }
  return addon;
}

/** Turns the kernels off (tests compare both paths) and sets their thread count. */
export function configureTrainKernels(opts: { enabled?: boolean; threads?: number }): void {
  if (opts.enabled !== undefined) enabled = opts.enabled;
  if (opts.threads !== undefined) threadCount = Math.max(1, opts.threads);
}

export function trainThreads(): number {
  return threadCount;
}

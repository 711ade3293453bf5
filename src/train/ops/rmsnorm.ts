/**
 * RMSNorm (spec §4) over rows of length n, with strided rows so the Mamba dt/B/C norms can read their
 * slices of x_proj's output in place:  y = w ⊙ x·r,  r = (mean(x²) + eps)^-½.
 * Backward, with g = dy ⊙ w:  dx = r·g − r³·x·(Σ g·x)/n,  dw += dy ⊙ x·r.
 * The training forward keeps full precision (no float32 rounding of x·r as HF/ref do); in float32 the
 * two agree to rounding.
 */
import { trainAddon, trainThreads } from '../native.js';
import type { Arr } from '../tensor.js';

export interface Rows { a: Arr; off: number; stride: number }

export const rows = (a: Arr, off = 0, stride = 0): Rows => ({ a, off, stride });

/** y rows ← RMSNorm(x rows); rstd[t] ← r. */
export function rmsFwd(y: Rows, x: Rows, w: Arr, rstd: Arr, M: number, n: number, eps: number): void {
  const xs = x.stride || n, ys = y.stride || n;
  const kn = trainAddon();
  if (kn && x.a instanceof Float32Array && y.a instanceof Float32Array && w instanceof Float32Array && rstd instanceof Float32Array) {
    kn.rmsFwd(M, n, eps, trainThreads(), x.a, x.off, xs, w, y.a, y.off, ys, rstd);
    return;
  }
  for (let t = 0; t < M; t++) {
    const xo = x.off + t * xs, yo = y.off + t * ys;
    let ss = 0;
    for (let i = 0; i < n; i++) { const v = x.a[xo + i]!; ss += v * v; }
    const r = 1 / Math.sqrt(ss / n + eps);
    rstd[t] = r;
    for (let i = 0; i < n; i++) y.a[yo + i] = w[i]! * (x.a[xo + i]! * r);
  }
}

/** dx rows += ∂/∂x; dw += ∂/∂w, given dy rows, the forward input x and rstd. */
export function rmsBwd(dx: Rows, dw: Arr, dy: Rows, x: Rows, w: Arr, rstd: Arr, M: number, n: number): void {
  const xs = x.stride || n, ys = dy.stride || n, ds = dx.stride || n;
  const kn = trainAddon();
  if (kn && [dx.a, dw, dy.a, x.a, w, rstd].every((a) => a instanceof Float32Array)) {
    const f = (a: Arr) => a as Float32Array;
    kn.rmsBwd(M, n, trainThreads(), f(dx.a), dx.off, ds, f(dw), f(dy.a), dy.off, ys, f(x.a), x.off, xs, f(w), f(rstd));
    return;
  }
  for (let t = 0; t < M; t++) {
    const xo = x.off + t * xs, yo = dy.off + t * ys, dO = dx.off + t * ds;
    const r = rstd[t]!;
    let dot = 0;
    for (let i = 0; i < n; i++) {
      const g = dy.a[yo + i]!;
      const xv = x.a[xo + i]!;
      dw[i] += g * xv * r;
      dot += g * w[i]! * xv;
    }
    const c = (r * r * r * dot) / n;
    for (let i = 0; i < n; i++) dx.a[dO + i] += r * dy.a[yo + i]! * w[i]! - c * x.a[xo + i]!;
  }
}

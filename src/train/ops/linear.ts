/**
 * Linear layer y = x·Wᵀ (+ b) with W stored [out, in] as PyTorch does (spec §2), and its backward:
 *   dx[t, i] += Σ_o dy[t, o]·W[o, i]      dW[o, i] += Σ_t dy[t, o]·x[t, i]      db[o] += Σ_t dy[t, o]
 * Rows are processed four at a time so each weight row is read once per four tokens. Backward
 * functions accumulate (+=) into their outputs, so residual branches and tied weights just add up.
 */
import type { Backend } from '../../backends/backend.js';
import type { Weight } from '../../tensor/weight.js';
import { trainAddon, trainThreads } from '../native.js';
import type { Arr } from '../tensor.js';

// ---- optional fast path: float32 matmuls on an inference Backend (the native kernels)

let fast: Backend | null = null;

/**
 * Routes float32 linear forwards through `be.matmul` (y = x·Wᵀ), and the backward too when the training
 * kernels (native.ts) are not built, through transposed copies: dx = dy·(Wᵀ)ᵀ, dW = (dyᵀ)·(xᵀ)ᵀ.
 * With the training kernels the backward products run in place there. Float64 arrays always take
 * the loops below.
 */
export function useMatmulBackend(be: Backend | null): void {
  fast = be;
}

const asWeight = (a: Float32Array, rows: number, cols: number): Weight =>
  ({ name: 'train', dtype: 'f32', shape: [rows, cols], data: new Uint8Array(a.buffer, a.byteOffset, rows * cols * 4) });

/** out[c, r] = a[r, c] for a [rows, cols]. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const BS = 32;
  for (let r0 = 0; r0 < rows; r0 += BS) {
    const r1 = Math.min(rows, r0 + BS);
    for (let c0 = 0; c0 < cols; c0 += BS) {
      const c1 = Math.min(cols, c0 + BS);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = a[r * cols + c]!;
    }
  }
  return out;
}

function f32s(...a: (Arr | null)[]): boolean {
  return fast !== null && a.every((x) => x === null || x instanceof Float32Array);
}

/** y[M, nOut] = x[M, nIn]·W[nOut, nIn]ᵀ (+ b[nOut]). Overwrites y. */
export function linearFwd(y: Arr, x: Arr, W: Arr, b: Arr | null, M: number, nIn: number, nOut: number): void {
  if (f32s(y, x, W, b) && M > 0) {
    fast!.matmul(y.subarray(0, M * nOut) as Float32Array, x as Float32Array, asWeight(W as Float32Array, nOut, nIn), M, b as Float32Array | null);
    return;
  }
  let t = 0;
  for (; t + 4 <= M; t += 4) {
    const x0 = t * nIn, x1 = x0 + nIn, x2 = x1 + nIn, x3 = x2 + nIn;
    const y0 = t * nOut;
    for (let o = 0; o < nOut; o++) {
      const wo = o * nIn;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let i = 0; i < nIn; i++) {
        const w = W[wo + i]!;
        s0 += x[x0 + i]! * w; s1 += x[x1 + i]! * w; s2 += x[x2 + i]! * w; s3 += x[x3 + i]! * w;
      }
      const bb = b ? b[o]! : 0;
      y[y0 + o] = s0 + bb; y[y0 + nOut + o] = s1 + bb; y[y0 + 2 * nOut + o] = s2 + bb; y[y0 + 3 * nOut + o] = s3 + bb;
    }
  }
  for (; t < M; t++) {
    const xo = t * nIn;
    for (let o = 0; o < nOut; o++) {
      const wo = o * nIn;
      let s = 0;
      for (let i = 0; i < nIn; i++) s += x[xo + i]! * W[wo + i]!;
      y[t * nOut + o] = s + (b ? b[o]! : 0);
    }
  }
}

/** dx[M, nIn] += dy[M, nOut]·W[nOut, nIn]. */
export function linearBwdInput(dx: Arr, dy: Arr, W: Arr, M: number, nIn: number, nOut: number): void {
  const kn = trainAddon();
  if (kn && dx instanceof Float32Array && dy instanceof Float32Array && W instanceof Float32Array) {
    kn.linearBwdInput(M, nIn, nOut, trainThreads(), dy, W, dx);
    return;
  }
  if (f32s(dx, dy, W) && M > 0) {
    const tmp = new Float32Array(M * nIn);
    fast!.matmul(tmp, dy as Float32Array, asWeight(transpose(W as Float32Array, nOut, nIn), nIn, nOut), M);
    for (let i = 0; i < M * nIn; i++) dx[i] += tmp[i]!;
    return;
  }
  let t = 0;
  for (; t + 4 <= M; t += 4) {
    const d0 = t * nIn, d1 = d0 + nIn, d2 = d1 + nIn, d3 = d2 + nIn;
    const g0 = t * nOut;
    for (let o = 0; o < nOut; o++) {
      const a0 = dy[g0 + o]!, a1 = dy[g0 + nOut + o]!, a2 = dy[g0 + 2 * nOut + o]!, a3 = dy[g0 + 3 * nOut + o]!;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const wo = o * nIn;
      for (let i = 0; i < nIn; i++) {
        const w = W[wo + i]!;
        dx[d0 + i] += a0 * w; dx[d1 + i] += a1 * w; dx[d2 + i] += a2 * w; dx[d3 + i] += a3 * w;
      }
    }
  }
  for (; t < M; t++) {
    const d = t * nIn;
    for (let o = 0; o < nOut; o++) {
      const a = dy[t * nOut + o]!;
      if (a === 0) continue;
      const wo = o * nIn;
      for (let i = 0; i < nIn; i++) dx[d + i] += a * W[wo + i]!;
    }
  }
}

/** dW[nOut, nIn] += dy[M, nOut]ᵀ·x[M, nIn]; db[nOut] += Σ_t dy[t]. */
export function linearBwdWeight(dW: Arr, db: Arr | null, dy: Arr, x: Arr, M: number, nIn: number, nOut: number): void {
  const kn = trainAddon();
  if (kn && dW instanceof Float32Array && dy instanceof Float32Array && x instanceof Float32Array && (db === null || db instanceof Float32Array)) {
    kn.linearBwdWeight(M, nIn, nOut, trainThreads(), dy, x, dW, db);
    return;
  }
  if (f32s(dW, db, dy, x) && M > 0) {
    const dyT = transpose(dy as Float32Array, M, nOut), xT = transpose(x as Float32Array, M, nIn);
    const tmp = new Float32Array(nOut * nIn);
    fast!.matmul(tmp, dyT, asWeight(xT, nIn, M), nOut);
    for (let i = 0; i < nOut * nIn; i++) dW[i] += tmp[i]!;
    if (db) for (let o = 0; o < nOut; o++) { let s = 0; for (let t = 0; t < M; t++) s += dyT[o * M + t]!; db[o] += s; }
    return;
  }
  for (let o = 0; o < nOut; o++) {
    const wo = o * nIn;
    let t = 0;
    for (; t + 4 <= M; t += 4) {
      const a0 = dy[t * nOut + o]!, a1 = dy[(t + 1) * nOut + o]!, a2 = dy[(t + 2) * nOut + o]!, a3 = dy[(t + 3) * nOut + o]!;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const x0 = t * nIn, x1 = x0 + nIn, x2 = x1 + nIn, x3 = x2 + nIn;
      for (let i = 0; i < nIn; i++) dW[wo + i] += a0 * x[x0 + i]! + a1 * x[x1 + i]! + a2 * x[x2 + i]! + a3 * x[x3 + i]!;
    }
    for (; t < M; t++) {
      const a = dy[t * nOut + o]!;
      if (a === 0) continue;
      const xo = t * nIn;
      for (let i = 0; i < nIn; i++) dW[wo + i] += a * x[xo + i]!;
    }
    if (db) {
      let s = 0;
      for (let t2 = 0; t2 < M; t2++) s += dy[t2 * nOut + o]!;
      db[o] += s;
    }
  }
}

/** Both halves of the backward: dx (if given) and dW / db. */
export function linearBwd(dx: Arr | null, dW: Arr, db: Arr | null, dy: Arr, x: Arr, W: Arr, M: number, nIn: number, nOut: number): void {
  if (dx) linearBwdInput(dx, dy, W, M, nIn, nOut);
  linearBwdWeight(dW, db, dy, x, M, nIn, nOut);
}

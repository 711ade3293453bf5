/**
 * Mamba's causal depthwise conv (spec §6.1 step 3) over B sequences of T tokens, each starting from
 * zero history: c[t, e] = b[e] + Σ_j w[e, j]·u[t−K+1+j, e], tap K−1 on the current token (no flip).
 * u is read with a row stride (it is the first half of in_proj's [M, 2E] output).
 * Backward: dw[e, j] += Σ_t dc[t, e]·u[t−K+1+j, e];  db[e] += Σ_t dc[t, e];  du[τ, e] += Σ_j dc[τ+K−1−j, e]·w[e, j].
 */
import { trainAddon, trainThreads } from '../native.js';
import type { Arr } from '../tensor.js';

export interface ConvShape { B: number; T: number; E: number; K: number; uStride: number }

/** c [B·T, E] (pre-activation) from u rows (stride uStride). */
export function convFwd(c: Arr, u: Arr, w: Arr, bias: Arr | null, s: ConvShape): void {
  const { B, T, E, K, uStride } = s;
  const kn = trainAddon();
  if (kn && [c, u, w].every((a) => a instanceof Float32Array) && (bias === null || bias instanceof Float32Array)) {
    kn.convFwd(B, T, E, K, uStride, trainThreads(), u as Float32Array, w as Float32Array, bias as Float32Array | null, c as Float32Array);
    return;
  }
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = b * T + t, co = row * E;
      for (let e = 0; e < E; e++) c[co + e] = bias ? bias[e]! : 0;
      for (let j = 0; j < K; j++) {
        const src = t - K + 1 + j;
        if (src < 0) continue;
        const uo = (b * T + src) * uStride;
        for (let e = 0; e < E; e++) c[co + e] += w[e * K + j]! * u[uo + e]!;
      }
    }
  }
}

/** du rows (stride uStride) +=, dw +=, db += given dc [B·T, E]. */
export function convBwd(du: Arr, dw: Arr, db: Arr | null, dc: Arr, u: Arr, w: Arr, s: ConvShape): void {
  const { B, T, E, K, uStride } = s;
  const kn = trainAddon();
  if (kn && [du, dw, dc, u, w].every((a) => a instanceof Float32Array) && (db === null || db instanceof Float32Array)) {
    kn.convBwd(B, T, E, K, uStride, trainThreads(), u as Float32Array, w as Float32Array, dc as Float32Array, du as Float32Array, dw as Float32Array, db as Float32Array | null);
    return;
  }
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const co = (b * T + t) * E;
      if (db) for (let e = 0; e < E; e++) db[e] += dc[co + e]!;
      for (let j = 0; j < K; j++) {
        const src = t - K + 1 + j;
        if (src < 0) continue;
        const uo = (b * T + src) * uStride;
        for (let e = 0; e < E; e++) {
          const g = dc[co + e]!;
          dw[e * K + j] += g * u[uo + e]!;
          du[uo + e] += g * w[e * K + j]!;
        }
      }
    }
  }
}

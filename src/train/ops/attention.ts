/**
 * Causal grouped-query attention (spec §5) over B sequences of T tokens each, no positional encoding,
 * scale 1/√d; query head h reads KV head ⌊h / (nH/nKV)⌋. The forward keeps the probabilities
 * P [B, nH, T, T] (lower triangle) for the backward:
 *   dP_j = dO·v_j,  dS_j = P_j (dP_j − Σ_i P_i dP_i),  dq += scale Σ_j dS_j k_j,  dk_j += scale dS_j q,  dv_j += P_j dO
 */
import type { Arr } from '../tensor.js';
import { like } from '../tensor.js';
import { trainAddon, trainThreads } from '../native.js';

export interface AttnShape { B: number; T: number; nH: number; nKV: number; d: number }

/** o [B·T, nH·d] from q [B·T, nH·d], k, v [B·T, nKV·d]; returns P. */
export function attnFwd(o: Arr, q: Arr, k: Arr, v: Arr, s: AttnShape): Arr {
  const { B, T, nH, nKV, d } = s;
  const G = nH / nKV, qRow = nH * d, kRow = nKV * d, scale = 1 / Math.sqrt(d);
  const P = like(q, B * nH * T * T);
  const kn = trainAddon();
  if (kn && [o, q, k, v].every((a) => a instanceof Float32Array)) {
    kn.attnFwd(B, T, nH, nKV, d, trainThreads(), q as Float32Array, k as Float32Array, v as Float32Array, o as Float32Array, P as Float32Array);
    return P;
  }
  for (let b = 0; b < B; b++) {
    const base = b * T;
    for (let h = 0; h < nH; h++) {
      const kh = Math.floor(h / G);
      for (let t = 0; t < T; t++) {
        const qo = (base + t) * qRow + h * d;
        const po = ((b * nH + h) * T + t) * T;
        let max = -Infinity;
        for (let j = 0; j <= t; j++) {
          const ko = (base + j) * kRow + kh * d;
          let acc = 0;
          for (let i = 0; i < d; i++) acc += q[qo + i]! * k[ko + i]!;
          acc *= scale;
          P[po + j] = acc;
          if (acc > max) max = acc;
        }
        let sum = 0;
        for (let j = 0; j <= t; j++) { const e = Math.exp(P[po + j]! - max); P[po + j] = e; sum += e; }
        const inv = 1 / sum;
        for (let i = 0; i < d; i++) o[qo + i] = 0;
        for (let j = 0; j <= t; j++) {
          const p = P[po + j]! * inv;
          P[po + j] = p;
          const vo = (base + j) * kRow + kh * d;
          for (let i = 0; i < d; i++) o[qo + i] += p * v[vo + i]!;
        }
      }
    }
  }
  return P;
}

/** dq, dk, dv += gradients given dO [B·T, nH·d]. */
export function attnBwd(dq: Arr, dk: Arr, dv: Arr, dO: Arr, q: Arr, k: Arr, v: Arr, P: Arr, s: AttnShape): void {
  const { B, T, nH, nKV, d } = s;
  const G = nH / nKV, qRow = nH * d, kRow = nKV * d, scale = 1 / Math.sqrt(d);
  const kn = trainAddon();
  if (kn && [dq, dk, dv, dO, q, k, v, P].every((a) => a instanceof Float32Array)) {
    const f = (a: Arr) => a as Float32Array;
    kn.attnBwd(B, T, nH, nKV, d, trainThreads(), f(q), f(k), f(v), f(P), f(dO), f(dq), f(dk), f(dv));
    return;
  }
  const dp = like(q, T);
  for (let b = 0; b < B; b++) {
    const base = b * T;
    for (let h = 0; h < nH; h++) {
      const kh = Math.floor(h / G);
      for (let t = 0; t < T; t++) {
        const qo = (base + t) * qRow + h * d;
        const po = ((b * nH + h) * T + t) * T;
        let dot = 0;
        for (let j = 0; j <= t; j++) {
          const vo = (base + j) * kRow + kh * d;
          const p = P[po + j]!;
          let acc = 0;
          for (let i = 0; i < d; i++) { const g = dO[qo + i]!; acc += g * v[vo + i]!; dv[vo + i] += p * g; }
          dp[j] = acc;
          dot += p * acc;
        }
        for (let j = 0; j <= t; j++) {
          const ds = P[po + j]! * (dp[j]! - dot) * scale;
          if (ds === 0) continue;
          const ko = (base + j) * kRow + kh * d;
          for (let i = 0; i < d; i++) { dq[qo + i] += ds * k[ko + i]!; dk[ko + i] += ds * q[qo + i]!; }
        }
      }
    }
  }
}

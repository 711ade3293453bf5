/**
 * Selective scan (spec §6.1 steps 8–11) over B sequences of T tokens, each from a zero state:
 *   Δ = softplus(dtr) (pass-through above 20),  A = −exp(A_log)
 *   h_t = exp(Δ_t·A)·h_{t−1} + Δ_t·B_t·v_t,   y_t = Σ_n h_t·C_t + D·v_t
 * B, C are [M, N] (shared by every channel at a step), everything per channel is [M, E].
 *
 * The forward keeps only its inputs. The backward recomputes each sequence's states h and decays
 * exp(Δ·A) into a [T, E, N] scratch, then runs the reverse-time recurrence
 *   ∂h_t = dy_t·C_t + exp(Δ_{t+1}·A)·∂h_{t+1}
 * and reads every gradient off it:
 *   dΔ_t += Σ_n ∂h_t·(A·exp(Δ_t A)·h_{t−1} + B_t v_t)    dA += ∂h_t·Δ_t·exp(Δ_t A)·h_{t−1}
 *   dB_t += Σ_e ∂h_t·Δ_t v_t     dv_t += Σ_n ∂h_t·Δ_t B_t + dy_t·D     dC_t += Σ_e dy_t·h_t     dD += dy_t·v_t
 * so memory is O(T·E·N) for one sequence, not for the whole batch and every layer.
 */
import type { Arr } from '../tensor.js';
import { like } from '../tensor.js';
import { trainAddon, trainThreads } from '../native.js';
import { softplus, softplusGrad } from './act.js';

export interface ScanShape { B: number; T: number; E: number; N: number }

/** y [M, E] (before the gate) and delta [M, E] = softplus(dtr). */
export function scanFwd(y: Arr, delta: Arr, v: Arr, dtr: Arr, Alog: Arr, Bm: Arr, Cm: Arr, D: Arr, s: ScanShape): void {
  const { B, T, E, N } = s;
  const k = trainAddon();
  if (k && N <= 256 && [y, delta, v, dtr, Alog, Bm, Cm, D].every((a) => a instanceof Float32Array)) {
    const f = (a: Arr) => a as Float32Array;
    k.scanFwd(B, T, E, N, trainThreads(), f(v), f(dtr), f(Alog), f(Bm), f(Cm), f(D), f(y), f(delta));
    return;
  }
  const A = like(Alog);
  for (let i = 0; i < A.length; i++) A[i] = -Math.exp(Alog[i]!);
  for (let i = 0; i < B * T * E; i++) delta[i] = softplus(dtr[i]!);
  const h = like(Alog, E * N);
  for (let b = 0; b < B; b++) {
    h.fill(0);
    for (let t = 0; t < T; t++) {
      const row = b * T + t, ro = row * E, bo = row * N;
      for (let e = 0; e < E; e++) {
        const dl = delta[ro + e]!, x = v[ro + e]!, dx = dl * x;
        let acc = 0;
        const ho = e * N;
        for (let n = 0; n < N; n++) {
          const hv = Math.exp(dl * A[ho + n]!) * h[ho + n]! + dx * Bm[bo + n]!;
          h[ho + n] = hv;
          acc += hv * Cm[bo + n]!;
        }
        y[ro + e] = acc + D[e]! * x;
      }
    }
  }
}

export interface ScanGrads { dv: Arr; ddtr: Arr; dAlog: Arr; dB: Arr; dC: Arr; dD: Arr }

/** Accumulates the gradients of `g` given dy [M, E]. */
export function scanBwd(g: ScanGrads, dy: Arr, v: Arr, dtr: Arr, delta: Arr, Alog: Arr, Bm: Arr, Cm: Arr, D: Arr, s: ScanShape): void {
  const { B, T, E, N } = s;
  const k = trainAddon();
  if (k && N <= 256 && [dy, v, dtr, delta, Alog, Bm, Cm, D, g.dv, g.ddtr, g.dAlog, g.dB, g.dC, g.dD].every((a) => a instanceof Float32Array)) {
    const f = (a: Arr) => a as Float32Array;
    k.scanBwd(B, T, E, N, trainThreads(), f(v), f(dtr), f(delta), f(Alog), f(Bm), f(Cm), f(D), f(dy), f(g.dv), f(g.ddtr), f(g.dAlog), f(g.dB), f(g.dC), f(g.dD));
    return;
  }
  const A = like(Alog);
  for (let i = 0; i < A.length; i++) A[i] = -Math.exp(Alog[i]!);
  const H = like(Alog, T * E * N);   // [T, E, N] states of one sequence
  const Da = like(Alog, T * E * N);  // [T, E, N] decays exp(Δ·A)
  const dh = like(Alog, E * N);
  const dA = like(Alog, E * N);
  const EN = E * N;
  for (let b = 0; b < B; b++) {
    // ---- recompute the states of sequence b
    for (let t = 0; t < T; t++) {
      const row = b * T + t, ro = row * E, bo = row * N, so = t * EN;
      for (let e = 0; e < E; e++) {
        const dl = delta[ro + e]!, dx = dl * v[ro + e]!;
        const ho = so + e * N;
        for (let n = 0; n < N; n++) {
          const da = Math.exp(dl * A[e * N + n]!);
          const prev = t > 0 ? H[ho - EN + n]! : 0;
          Da[ho + n] = da;
          H[ho + n] = da * prev + dx * Bm[bo + n]!;
        }
      }
    }
    // ---- reverse-time recurrence
    dh.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const row = b * T + t, ro = row * E, bo = row * N, so = t * EN;
      for (let e = 0; e < E; e++) {
        const gy = dy[ro + e]!, x = v[ro + e]!, dl = delta[ro + e]!;
        g.dD[e] += gy * x;
        let dvt = gy * D[e]!;
        let ddl = 0;
        const ho = so + e * N, ao = e * N;
        for (let n = 0; n < N; n++) {
          const hc = H[ho + n]!;
          g.dC[bo + n] += gy * hc;
          const dhn = dh[ao + n]! + gy * Cm[bo + n]!;
          if (dhn === 0) { dh[ao + n] = 0; continue; }
          const prev = t > 0 ? H[ho - EN + n]! : 0;
          const da = Da[ho + n]!;
          const bn = Bm[bo + n]!;
          const dpa = dhn * da * prev;
          ddl += A[ao + n]! * dpa + dhn * bn * x;
          dA[ao + n] += dpa * dl;
          g.dB[bo + n] += dhn * dl * x;
          dvt += dhn * dl * bn;
          dh[ao + n] = dhn * da;
        }
        g.dv[ro + e] += dvt;
        g.ddtr[ro + e] += ddl * softplusGrad(dtr[ro + e]!);
      }
    }
  }
  // A = −exp(A_log) ⇒ ∂A/∂A_log = A
  for (let i = 0; i < dA.length; i++) g.dAlog[i] += dA[i]! * A[i]!;
}

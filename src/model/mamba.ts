/**
 * Mamba mixer (spec §6), Mamba-1 with Jamba's three extra RMSNorms.
 *
 * Glossary (paper ↔ HF ↔ GGUF):
 *   Δ (time step)   dt           ssm_dt (+ .bias), softplus applied in the scan (pass-through > 20)
 *   A = -exp(A_log) A_log        ssm_a (stored already negated)
 *   B, C            x_proj split ssm_x; normalised by b_layernorm / c_layernorm (ssm_b_norm / ssm_c_norm)
 *   D (skip)        D            ssm_d
 *   d_inner = E = expand·H, d_state = N, d_conv = K, dt_rank = R
 *
 * Per token: [u | z] = in_proj(a); v = act(conv(u)); [δ | B | C] = x_proj(v), each RMS-normalised;
 * Δ = softplus(dt_proj(δ) + b); h = exp(Δ·A)·h + Δ·B·v; y = (h·C + D·v)·act(z); out = out_proj(y).
 * The conv state carries over between calls (llama.cpp semantics), so chunked prefill is exact.
 */
import type { Backend } from '../backends/backend.js';
import type { Dims } from './config.js';
import type { Segment } from './batch.js';
import type { MambaWeights } from './weights.js';
import type { Workspace } from './workspace.js';

export function mambaMixer(
  be: Backend, ws: Workspace, w: MambaWeights, dm: Dims, layer: number, eps: number, act: 'silu' | 'gelu' | 'relu',
  a: Float32Array, // [T, H]
  out: Float32Array, // [T, H]
  segs: readonly Segment[], T: number,
): void {
  const { E, N, K, R } = dm;
  const P = R + 2 * N;
  const xz = ws.get('mamba.xz', T * 2 * E);  // [T, 2E]: u = [:, :E], z = [:, E:]
  const v = ws.get('mamba.v', T * E);        // [T, E] conv output after activation
  const xdb = ws.get('mamba.xdb', T * P);    // [T, R + 2N]: δ | B | C
  const dtIn = ws.get('mamba.dtin', T * R);  // [T, R]
  const dt = ws.get('mamba.dt', T * E);      // [T, E] dt_proj(δ) + bias
  const y = ws.get('mamba.y', T * E);        // [T, E]

  be.matmul(xz, a, w.inProj, T, w.inBias);
  for (const s of segs) {
    const st = s.memory.recurrent(layer);
    be.conv1d({
      u: xz.subarray(s.offset * 2 * E), uStride: 2 * E,
      state: st.conv, w: w.convW, bias: w.convB, T: s.T, E, K, act,
      out: v.subarray(s.offset * E, (s.offset + s.T) * E),
    });
  }
  be.matmul(xdb, v, w.xProj, T);
  be.rmsNorm(xdb, xdb, w.dtNorm, T, R, eps, P);
  be.rmsNorm(xdb.subarray(R), xdb.subarray(R), w.bNorm, T, N, eps, P);
  be.rmsNorm(xdb.subarray(R + N), xdb.subarray(R + N), w.cNorm, T, N, eps, P);
  for (let t = 0; t < T; t++) dtIn.set(xdb.subarray(t * P, t * P + R), t * R);
  be.matmul(dt, dtIn, w.dtProj, T, w.dtBias);
  for (const s of segs) {
    const st = s.memory.recurrent(layer);
    const o = s.offset;
    be.scan({
      u: v.subarray(o * E), dt: dt.subarray(o * E), A: w.A,
      B: xdb.subarray(o * P), C: xdb.subarray(o * P), bOffset: R, cOffset: R + N, bcStride: P,
      D: w.D, z: xz.subarray(o * 2 * E), zOffset: E, zStride: 2 * E,
      h: st.ssm, T: s.T, E, N, act,
      out: y.subarray(o * E, (o + s.T) * E),
    });
  }
  be.matmul(out, y, w.outProj, T, w.outBias);
}

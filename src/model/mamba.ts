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
import type { Backend, ConvArgs, ScanArgs } from '../backends/backend.js';
import { newConvArgs, newScanArgs } from './ops.js';
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
  // dt_proj's input [T, R]: δ, the first R of each xdb row (one token: the row itself, no copy)
  const dtIn = T === 1 ? ws.sub(xdb, 0, R) : ws.get('mamba.dtin', T * R);
  const dt = ws.get('mamba.dt', T * E);      // [T, E] dt_proj(δ) + bias
  const y = ws.get('mamba.y', T * E);        // [T, E]

  be.matmul(xz, a, w.inProj, T, w.inBias);
  const conv = ws.ops<ConvArgs>('mamba.conv', 1, newConvArgs)[0]!;
  for (const s of segs) {
    const st = s.memory.recurrent(layer);
    conv.u = ws.sub(xz, s.offset * 2 * E); conv.uStride = 2 * E;
    conv.state = st.conv; conv.w = w.convW; conv.bias = w.convB; conv.T = s.T; conv.E = E; conv.K = K; conv.act = act;
    conv.out = ws.sub(v, s.offset * E, (s.offset + s.T) * E);
    be.conv1d(conv);
  }
  be.matmul(xdb, v, w.xProj, T);
  be.rmsNorm(xdb, xdb, w.dtNorm, T, R, eps, P);
  const bc = ws.sub(xdb, R), c = ws.sub(xdb, R + N);
  be.rmsNorm(bc, bc, w.bNorm, T, N, eps, P);
  be.rmsNorm(c, c, w.cNorm, T, N, eps, P);
  if (T > 1) for (let t = 0; t < T; t++) dtIn.set(ws.sub(xdb, t * P, t * P + R), t * R);
  be.matmul(dt, dtIn, w.dtProj, T, w.dtBias);
  const scan = ws.ops<ScanArgs>('mamba.scan', 1, newScanArgs)[0]!;
  for (const s of segs) {
    const st = s.memory.recurrent(layer);
    const o = s.offset;
    scan.u = ws.sub(v, o * E); scan.dt = ws.sub(dt, o * E); scan.A = w.A;
    scan.B = scan.C = ws.sub(xdb, o * P); scan.bOffset = R; scan.cOffset = R + N; scan.bcStride = P;
    scan.D = w.D; scan.z = ws.sub(xz, o * 2 * E); scan.zOffset = E; scan.zStride = 2 * E;
    scan.h = st.ssm; scan.T = s.T; scan.E = E; scan.N = N; scan.act = act;
    scan.out = ws.sub(y, o * E, (o + s.T) * E);
    be.scan(scan);
  }
  be.matmul(out, y, w.outProj, T, w.outBias);
}

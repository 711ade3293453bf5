/**
 * Feed-forward blocks (spec §7): the dense SwiGLU MLP and the sparse MoE.
 *
 * MoE: router logits → softmax over all experts (float32) → top-k → weights NOT renormalised. Tokens are
 * grouped by expert so each chosen expert runs once on all its tokens; a token's output is summed in
 * ascending expert order (as HF's index_add_ loop does), so it never depends on the rest of the batch.
 */
import type { Act, Backend } from '../backends/backend.js';
import type { Dims } from './config.js';
import type { DenseWeights, MoeWeights } from './weights.js';
import type { Workspace } from './workspace.js';

export function denseFfn(be: Backend, ws: Workspace, w: DenseWeights, dm: Dims, act: Act, x: Float32Array, out: Float32Array, T: number): void {
  const g = ws.get('ffn.g', T * dm.I);
  const u = ws.get('ffn.u', T * dm.I);
  be.matmul(g, x, w.gate, T);
  be.matmul(u, x, w.up, T);
  be.gatedAct(g, g, u, T * dm.I, act);
  be.matmul(out, g, w.down, T);
}

/**
 * Router: fills `sel[t*k + j]` with the j-th chosen expert of token t (by descending probability, ties
 * to the lower index) and `wts` with its float32 softmax probability.
 */
export function route(logits: Float32Array, T: number, nE: number, k: number, sel: Int32Array, wts: Float32Array, p: Float64Array = new Float64Array(nE)): void {
  for (let t = 0; t < T; t++) {
    const r = logits.subarray(t * nE, (t + 1) * nE);
    let max = -Infinity;
    for (let e = 0; e < nE; e++) if (r[e]! > max) max = r[e]!;
    let sum = 0;
    for (let e = 0; e < nE; e++) { p[e] = Math.exp(r[e]! - max); sum += p[e]!; }
    for (let e = 0; e < nE; e++) p[e] = Math.fround(p[e]! / sum);
    for (let j = 0; j < k; j++) {
      let best = -1;
      for (let e = 0; e < nE; e++) {
        if (p[e]! < 0) continue; // taken
        if (best < 0 || p[e]! > p[best]!) best = e;
      }
      sel[t * k + j] = best;
      wts[t * k + j] = p[best]!;
      p[best] = -1;
    }
  }
}

export function moeFfn(be: Backend, ws: Workspace, w: MoeWeights, dm: Dims, act: Act, x: Float32Array, out: Float32Array, T: number): void {
  const { H, I, nE, k } = dm;
  const logits = ws.get('moe.logits', T * nE);
  be.matmul(logits, x, w.router, T);
  const sel = ws.getInt('moe.sel', T * k);
  const wts = ws.get('moe.wts', T * k);
  route(logits, T, nE, k, sel, wts, ws.getF64('moe.p', nE));
  out.fill(0, 0, T * H);
  const rows = ws.getInt('moe.rows', T);
  const rowW = ws.get('moe.roww', T);
  const xin = ws.get('moe.x', T * H);
  const g = ws.get('moe.g', T * I);
  const u = ws.get('moe.u', T * I);
  const y = ws.get('moe.y', T * H);
  for (let e = 0; e < nE; e++) {
    let n = 0;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < k; j++) {
        if (sel[t * k + j] === e) { rows[n] = t; rowW[n] = wts[t * k + j]!; n++; }
      }
    }
    if (n === 0) continue;
    for (let r = 0; r < n; r++) xin.set(x.subarray(rows[r]! * H, rows[r]! * H + H), r * H);
    be.matmul(g, xin, w.gate[e]!, n);
    be.matmul(u, xin, w.up[e]!, n);
    be.gatedAct(g, g, u, n * I, act);
    be.matmul(y, g, w.down[e]!, n);
    for (let r = 0; r < n; r++) {
      const o = rows[r]! * H, wt = rowW[r]!;
      for (let i = 0; i < H; i++) out[o + i] = out[o + i]! + wt * y[r * H + i]!;
    }
  }
}

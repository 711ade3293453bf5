/**
 * Feed-forward blocks (spec §7): the dense SwiGLU MLP and the sparse MoE.
 *
 * MoE: router logits → softmax over all experts (float32) → top-k → weights NOT renormalised. Tokens are
 * grouped by expert so each chosen expert runs once on all its tokens; a token's output is summed in
 * ascending expert order (as HF's index_add_ loop does), so it never depends on the rest of the batch.
 */
import type { Act, Backend, MatmulOp } from '../backends/backend.js';
import type { Dims } from './config.js';
import type { DenseWeights, MoeWeights } from './weights.js';
import type { Workspace } from './workspace.js';
import { newOp, setOp } from './ops.js';

export function denseFfn(be: Backend, ws: Workspace, w: DenseWeights, dm: Dims, act: Act, x: Float32Array, out: Float32Array, T: number): void {
  const g = ws.get('ffn.g', T * dm.I);
  const u = ws.get('ffn.u', T * dm.I);
  const gu = ws.ops<MatmulOp>('ffn.gu', 2, newOp);
  setOp(gu[0]!, g, x, w.gate, T); setOp(gu[1]!, u, x, w.up, T);
  be.matmulMany(gu);
  be.gatedAct(g, g, u, T * dm.I, act);
  be.matmul(out, g, w.down, T);
}

/**
 * Router: fills `sel[t*k + j]` with the j-th chosen expert of token t (by descending probability, ties
 * to the lower index) and `wts` with its float32 softmax probability.
 */
export function route(logits: Float32Array, T: number, nE: number, k: number, sel: Int32Array, wts: Float32Array, p: Float64Array = new Float64Array(nE)): void {
  for (let t = 0; t < T; t++) {
    const r = t * nE;
    let max = -Infinity;
    for (let e = 0; e < nE; e++) if (logits[r + e]! > max) max = logits[r + e]!;
    let sum = 0;
    for (let e = 0; e < nE; e++) { p[e] = Math.exp(logits[r + e]! - max); sum += p[e]!; }
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

/**
 * Each chosen expert's tokens are gathered into its own rows of `moe.x` (experts in ascending order),
 * so all gate and up projections run as one `matmulMany`, the activation as one call and all down
 * projections as another; the outputs are then added per token in ascending expert order.
 */
export function moeFfn(be: Backend, ws: Workspace, w: MoeWeights, dm: Dims, act: Act, x: Float32Array, out: Float32Array, T: number): void {
  const { H, I, nE, k } = dm;
  const logits = ws.get('moe.logits', T * nE);
  be.matmul(logits, x, w.router, T);
  const sel = ws.getInt('moe.sel', T * k);
  const wts = ws.get('moe.wts', T * k);
  route(logits, T, nE, k, sel, wts, ws.getF64('moe.p', nE));
  const R = T * k; // rows over all experts: each token once per chosen expert
  const rows = ws.getInt('moe.rows', R);      // token of each row
  const rowW = ws.get('moe.roww', R);         // its routing weight
  const start = ws.getInt('moe.start', nE + 1); // expert e's rows: [start[e], start[e+1])
  const xin = ws.get('moe.x', R * H);
  const g = ws.get('moe.g', R * I);
  const u = ws.get('moe.u', R * I);
  const y = ws.get('moe.y', R * H);
  let n = 0;
  for (let e = 0; e < nE; e++) {
    start[e] = n;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < k; j++) {
        if (sel[t * k + j] === e) {
          rows[n] = t; rowW[n] = wts[t * k + j]!;
          xin.set(ws.sub(x, t * H, t * H + H), n * H);
          n++;
        }
      }
    }
  }
  start[nE] = n;
  let used = 0;
  for (let e = 0; e < nE; e++) if (start[e + 1]! > start[e]!) used++;
  const up = ws.ops<MatmulOp>('moe.up', 2 * used, newOp), down = ws.ops<MatmulOp>('moe.down', used, newOp);
  for (let e = 0, i = 0; e < nE; e++) {
    const a = start[e]!, m = start[e + 1]! - a;
    if (m === 0) continue;
    const xe = ws.sub(xin, a * H, (a + m) * H), ge = ws.sub(g, a * I, (a + m) * I);
    setOp(up[2 * i]!, ge, xe, w.gate[e]!, m);
    setOp(up[2 * i + 1]!, ws.sub(u, a * I, (a + m) * I), xe, w.up[e]!, m);
    setOp(down[i]!, ws.sub(y, a * H, (a + m) * H), ge, w.down[e]!, m);
    i++;
  }
  be.matmulMany(up);
  be.gatedAct(g, g, u, R * I, act);
  be.matmulMany(down);
  out.fill(0, 0, T * H);
  for (let r = 0; r < R; r++) { // rows are in ascending expert order: each token's sum runs in that order
    const o = rows[r]! * H, wt = rowW[r]!;
    for (let i = 0; i < H; i++) out[o + i] = out[o + i]! + wt * y[r * H + i]!;
  }
}

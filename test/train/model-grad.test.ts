/**
 * The whole training model's gradient (spec §3: embedding, every layer kind, final norm, lm_head tied
 * and untied, cross-entropy plus router_aux_loss_coef·aux of §7.3) against central finite differences
 * in float64, on tiny hybrid configs with odd sizes. Every parameter tensor is sampled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JambaConfig } from '../../src/model/config.js';
import { TrainModel } from '../../src/train/model.js';
import { ParamSet } from '../../src/train/params.js';
import { gradCheck, randomizeParams, tinyConfig } from './helpers.js';
import { rng } from '../../src/model/random.js';

function check(cfg: JambaConfig, seed: number, withPad = false): void {
  const ps = new ParamSet(cfg, 'f64');
  randomizeParams(ps, seed);
  const model = new TrainModel(ps);
  const B = 2, T = 6, M = B * T, V = cfg.vocabSize;
  const u = rng(seed);
  const ids = new Int32Array(M), targets = new Int32Array(M);
  for (let i = 0; i < M; i++) ids[i] = 1 + Math.floor(u() * (V - 1));
  if (withPad) ids[3] = cfg.padTokenId!;
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) targets[b * T + t] = t + 1 < T ? ids[b * T + t + 1]! : -1;
  const r = model.forward(ids, targets, B, T);
  assert.ok(Number.isFinite(r.loss) && r.aux >= 0);
  ps.zeroGrad();
  model.backward();
  const loss = () => model.forward(ids, targets, B, T).loss;
  for (const p of ps.list) gradCheck(p.name, p.data, p.grad, loss, { samples: 6, seed: seed + p.data.length });
  if (withPad) {
    const E = ps.get('model.embed_tokens.weight'), H = cfg.hiddenSize, pad = cfg.padTokenId!;
    if (cfg.tieWordEmbeddings) assert.ok(E.grad.subarray(pad * H, pad * H + H).some((v) => v !== 0), 'tied pad row gets the lm_head gradient');
    else assert.ok(E.grad.subarray(pad * H, pad * H + H).every((v) => v === 0), 'pad row gets no lookup gradient');
  }
}

test('full model gradient: untied, d_conv 3, MoE top-2, GQA', () => {
  check(tinyConfig(), 11, true);
});

test('full model gradient: tied embeddings, MoE top-1, d_conv 2, projection biases, no conv bias', () => {
  check(tinyConfig({ tie_word_embeddings: true, num_experts_per_tok: 1, mamba_d_conv: 2, mamba_proj_bias: true, mamba_conv_bias: false }), 12, true);
});

test('full model gradient: d_conv 4, gelu, attention and MoE on the same layer', () => {
  check(tinyConfig({ mamba_d_conv: 4, hidden_act: 'gelu', num_hidden_layers: 3, attn_layer_period: 3, attn_layer_offset: 2, expert_layer_period: 2, expert_layer_offset: 0 }), 13);
});

/** Shared helpers for the training tests: tiny configs, seeded fills and a central finite-difference checker. */
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/model/config.js';
import type { JambaConfig } from '../../src/model/config.js';
import { gaussian, rng } from '../../src/model/random.js';
import type { Arr } from '../../src/train/tensor.js';

/** A tiny hybrid config with odd sizes; override any HF field. */
export function tinyConfig(over: Record<string, unknown> = {}): JambaConfig {
  return parseConfig({
    vocab_size: 23, hidden_size: 12, intermediate_size: 7, num_hidden_layers: 4,
    num_attention_heads: 6, num_key_value_heads: 2, attn_layer_period: 2, attn_layer_offset: 1,
    expert_layer_period: 2, expert_layer_offset: 0, num_experts: 3, num_experts_per_tok: 2,
    mamba_d_state: 5, mamba_d_conv: 3, mamba_expand: 2, mamba_dt_rank: 3,
    router_aux_loss_coef: 0.05, pad_token_id: 0, bos_token_id: 1, eos_token_id: 2, ...over,
  });
}

export function randn(seed: number): () => number {
  return gaussian(rng(seed));
}

export function fill(a: Arr, g: () => number, scale = 1, shift = 0): Arr {
  for (let i = 0; i < a.length; i++) a[i] = shift + scale * g();
  return a;
}

export function dot(a: Arr, b: Arr): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Compares analytic gradient `grad` of `loss` with respect to `data` against central differences at
 * up to `samples` indices (every index when the tensor is small). Fails naming the tensor and index.
 */
export function gradCheck(name: string, data: Arr, grad: Arr, loss: () => number, opts: { samples?: number; h?: number; tol?: number; seed?: number } = {}): number {
  const h = opts.h ?? 1e-5, tol = opts.tol ?? 1e-6;
  const n = data.length, samples = opts.samples ?? 12;
  const idx: number[] = [];
  if (n <= samples) for (let i = 0; i < n; i++) idx.push(i);
  else { const u = rng(opts.seed ?? 7); for (let j = 0; j < samples; j++) idx.push(Math.floor(u() * n)); }
  let worst = 0;
  for (const i of idx) {
    const v = data[i]!;
    data[i] = v + h; const lp = loss();
    data[i] = v - h; const lm = loss();
    data[i] = v;
    const num = (lp - lm) / (2 * h), ana = grad[i]!;
    const err = Math.abs(num - ana) / Math.max(1, Math.abs(num), Math.abs(ana));
    worst = Math.max(worst, err);
    assert.ok(err < tol, `${name}[${i}]: analytic ${ana} vs numeric ${num} (rel err ${err.toExponential(2)})`);
  }
  return worst;
}

/** Fills every parameter with values in the spirit of the reference fixtures (not the HF init, whose zeros hide bugs). */
export function randomizeParams(ps: import('../../src/train/params.js').ParamSet, seed: number, std = 0.3): void {
  const g = randn(seed);
  const N = ps.config.mambaDState;
  for (const p of ps.list) {
    const d = p.data, n = d.length, name = p.name;
    if (name.endsWith('layernorm.weight')) fill(d, g, 0.2, 1);
    else if (name.endsWith('.A_log')) for (let i = 0; i < n; i++) d[i] = Math.log(1 + (i % N)) + 0.2 * g();
    else if (name.endsWith('.D')) fill(d, g, 0.3, 1);
    else if (name.endsWith('dt_proj.bias')) fill(d, g, 0.7, -1);
    else if (name.endsWith('.bias')) fill(d, g, 0.1);
    else fill(d, g, std);
  }
}

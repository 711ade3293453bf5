/** Config parsing: defaults, "auto" dt rank, null KV heads, legacy names, validation naming the field, layer plan. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerPlan, parseConfig } from '../../src/model/config.js';
import { JambaUserError } from '../../src/errors.js';

test('defaults reproduce Jamba-v0.1 and its layer plan', () => {
  const c = parseConfig({ model_type: 'jamba' });
  assert.equal(c.hiddenSize, 4096);
  assert.equal(c.mambaDtRank, 256);
  assert.equal(c.numKeyValueHeads, 8);
  assert.deepEqual(c.eosTokenIds, [2]);
  const plan = layerPlan(c);
  assert.deepEqual(plan.filter((p) => p.mixer === 'attention').map((p) => p.index), [4, 12, 20, 28]);
  assert.deepEqual(plan.filter((p) => p.ffn === 'moe').map((p) => p.index), Array.from({ length: 16 }, (_, i) => 2 * i + 1));
});

test('auto dt rank, null KV heads, eos list, legacy names', () => {
  const c = parseConfig({ hidden_size: 2560, num_attention_heads: 20, mamba_dt_rank: 'auto', num_key_value_heads: null, eos_token_id: [2, 518], num_local_experts: 1, num_experts_per_token: 1, layer_norm_epsilon: 1e-5, n_ctx: 1024 });
  assert.equal(c.mambaDtRank, 160);
  assert.equal(c.numKeyValueHeads, 20);
  assert.deepEqual(c.eosTokenIds, [2, 518]);
  assert.equal(c.numExperts, 1);
  assert.equal(c.rmsNormEps, 1e-5);
  assert.equal(c.maxPositionEmbeddings, 1024);
  assert.ok(layerPlan(c).every((p) => p.ffn === 'dense'));
});

test('reasoning-3B schedule: attention at 7 and 21 of 28, all dense', () => {
  const c = parseConfig({ hidden_size: 2560, num_attention_heads: 20, num_key_value_heads: 1, num_hidden_layers: 28, attn_layer_period: 14, attn_layer_offset: 7, num_experts: 1, num_experts_per_tok: 1 });
  assert.deepEqual(layerPlan(c).filter((p) => p.mixer === 'attention').map((p) => p.index), [7, 21]);
});

const bad: [string, Record<string, unknown>, RegExp][] = [
  ['offset >= period', { attn_layer_period: 4, attn_layer_offset: 4 }, /attn_layer_offset \(4\) must be less than attn_layer_period \(4\)/],
  ['expert offset', { expert_layer_period: 2, expert_layer_offset: 3 }, /expert_layer_offset/],
  ['hidden not divisible by heads', { hidden_size: 100, num_attention_heads: 3 }, /hidden_size \(100\) must be divisible by num_attention_heads \(3\)/],
  ['heads not divisible by kv', { num_attention_heads: 32, num_key_value_heads: 5 }, /num_key_value_heads \(5\)/],
  ['zero size', { hidden_size: 0 }, /'hidden_size' must be at least 1/],
  ['negative layers', { num_hidden_layers: -2 }, /'num_hidden_layers'/],
  ['not an integer', { intermediate_size: 12.5 }, /'intermediate_size' must be an integer/],
  ['unknown activation', { hidden_act: 'swooshy' }, /'hidden_act'.*swooshy/],
  ['top-k above experts', { num_experts: 2, num_experts_per_tok: 3 }, /num_experts_per_tok/],
  ['wrong model type', { model_type: 'llama' }, /model_type is 'llama'/],
  ['eos outside vocab', { vocab_size: 10, eos_token_id: 12, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2 }, /eos_token_id 12/],
];
for (const [what, raw, msg] of bad) {
  test(`rejects ${what}`, () => {
    assert.throws(() => parseConfig(raw, 'my/config.json'), (e: unknown) => e instanceof JambaUserError && msg.test(e.message) && e.message.startsWith('my/config.json'));
  });
}

/** Small random-weight models with shapes no reference fixture has, written once per test process. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomModel } from '../../src/model/random.js';

const base = {
  model_type: 'jamba', hidden_size: 48, intermediate_size: 72, num_hidden_layers: 4,
  num_attention_heads: 4, num_key_value_heads: 1, vocab_size: 300, mamba_d_state: 8, mamba_d_conv: 2,
  mamba_expand: 2, mamba_dt_rank: 'auto', num_experts: 3, num_experts_per_tok: 1,
  attn_layer_period: 3, attn_layer_offset: 0, expert_layer_period: 1, expert_layer_offset: 0,
  initializer_range: 0.15, rms_norm_eps: 1e-6,
};

/** Configs that stress what the fixtures do not: attention at layer 0, one KV head, top-1, MoE everywhere, d_conv 2, odd vocab. */
export const GENERATED_CONFIGS: Record<string, Record<string, unknown>> = {
  'attn0-top1-moe-every-layer': base,
  'top2-dconv3-gqa2': { ...base, num_key_value_heads: 2, num_experts: 4, num_experts_per_tok: 2, mamba_d_conv: 3, attn_layer_period: 4, attn_layer_offset: 2, expert_layer_period: 2, expert_layer_offset: 1, vocab_size: 263, tie_word_embeddings: true },
};

let root: string | null = null;
const made = new Map<string, string>();

export function generatedModel(name: string): string {
  if (!root) root = mkdtempSync(join(tmpdir(), 'jamba-test-models-'));
  let dir = made.get(name);
  if (!dir) {
    dir = join(root, name);
    writeRandomModel(dir, GENERATED_CONFIGS[name]!, { seed: 7 });
    made.set(name, dir);
  }
  return dir;
}

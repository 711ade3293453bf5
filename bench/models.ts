/**
 * The benchmark's models, generated deterministically (seed 0) and cached on disk:
 *  - bench-small: the real Jamba proportions at small size (issue 3): hidden 512, 16 layers, attention
 *    at layers 4 and 12 (period 8, offset 4), 8 query / 2 KV heads, FFN 1024, 16 experts top-2 on odd
 *    layers, vocab 65536, d_state 16, d_conv 4, expand 2, dt_rank 32, conv bias, untied lm_head —
 *    about 306M parameters, 87M active per token;
 *  - bench-small-attn: the same shapes with attention in every layer (the Transformer baseline);
 *  - a smaller "quick" pair (4 layers, vocab 8192) for --quick.
 * Each is written as an HF folder (f32 safetensors) and converted by jamba-ts's own GGUF writer to every
 * weight type benchmarked; both engines then read the same GGUF file.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { convertCheckpoint } from '../src/io/convert.js';
import type { ConvertType } from '../src/io/convert-types.js';
import { openCheckpoint } from '../src/io/checkpoint.js';
import { writeRandomModel } from '../src/model/random.js';

export type BenchModel = 'bench-small' | 'bench-small-attn';

export function benchConfig(model: BenchModel, quick: boolean): Record<string, unknown> {
  const layers = quick ? 4 : 16;
  return {
    model_type: 'jamba', hidden_size: 512, intermediate_size: 1024, num_hidden_layers: layers,
    num_attention_heads: 8, num_key_value_heads: 2, vocab_size: quick ? 8192 : 65536,
    mamba_d_state: 16, mamba_d_conv: 4, mamba_expand: 2, mamba_dt_rank: 32, mamba_conv_bias: true, mamba_proj_bias: false,
    num_experts: 16, num_experts_per_tok: 2, expert_layer_period: 2, expert_layer_offset: 1,
    attn_layer_period: model === 'bench-small' ? (quick ? 4 : 8) : 1,
    attn_layer_offset: model === 'bench-small' ? (quick ? 2 : 4) : 0,
    rms_norm_eps: 1e-6, tie_word_embeddings: false, hidden_act: 'silu', initializer_range: 0.02,
    bos_token_id: 1, eos_token_id: 2, pad_token_id: 0,
  };
}

/** Path of `model` as a GGUF of `type`, generating and converting it first if it is not cached. */
export async function benchGguf(cacheDir: string, model: BenchModel, type: ConvertType, quick: boolean, log: (s: string) => void): Promise<string> {
  const tag = `${model}${quick ? '-quick' : ''}`;
  const out = join(cacheDir, `${tag}-${type}.gguf`);
  if (existsSync(out)) return out;
  const hf = join(cacheDir, tag);
  if (!existsSync(join(hf, 'model.safetensors'))) {
    log(`generating ${tag} (seed 0) in ${hf}`);
    mkdirSync(cacheDir, { recursive: true });
    writeRandomModel(hf + '.tmp', benchConfig(model, quick), { seed: 0 });
    rmSync(hf, { recursive: true, force: true });
    renameSync(hf + '.tmp', hf);
  }
  log(`converting ${tag} to ${type}`);
  const ck = await openCheckpoint(hf);
  try {
    convertCheckpoint(ck, out + '.tmp', type);
  } finally {
    ck.tensors.close?.();
  }
  renameSync(out + '.tmp', out);
  return out;
}

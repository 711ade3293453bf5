/**
 * GGUF metadata of a `jamba` model → HF config.json object (spec §10.1, the reverse of
 * convert_hf_to_gguf.py JambaModel.set_gguf_parameters):
 * - attention vs Mamba per layer comes from the per-layer `jamba.attention.head_count_kv` (0 = Mamba);
 *   HF describes it with attn_layer_period/offset, so we find the period/offset that reproduces it;
 * - MoE layers are those with a `blk.i.ffn_gate_inp.weight` tensor → expert_layer_period/offset;
 * - mamba_expand = ssm.inner_size / embedding_length; conv bias = presence of ssm_conv1d.bias;
 * - the vocabulary size is the row count of token_embd; lm_head is tied when output.weight is absent;
 * - llama.cpp's Jamba always uses SiLU, and has no in/out projection biases.
 */
import { JambaUserError } from '../../errors.js';
import type { GgufTensorInfo } from './reader.js';
import type { GgufMetadata, GgufValue } from './values.js';

/**
 * The period P and offset o (o < P) with `pattern[i] == (i % P == o)` for every layer; the largest such
 * P ≤ L (so a single matching layer keeps a period as long as the model), or P = L + 1, o = L when no
 * layer matches. Undefined when no period/offset reproduces the pattern.
 */
export function findPeriod(pattern: readonly boolean[]): { period: number; offset: number } | undefined {
  const L = pattern.length;
  if (!pattern.some((x) => x)) return { period: L + 1, offset: L };
  const first = pattern.indexOf(true);
  for (let P = L; P >= 1; P--) {
    if (first >= P) continue;
    if (pattern.every((x, i) => x === (i % P === first))) return { period: P, offset: first };
  }
  return undefined;
}

/** The shortest decimal that rounds to the same float32 (GGUF stores eps as f32: 1e-6 reads back as 1e-6). */
export function shortestF32(v: number): number {
  for (let p = 1; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === Math.fround(v)) return d;
  }
  return v;
}

function numbers(v: GgufValue): number[] | undefined {
  if (typeof v.value === 'number') return [v.value];
  if (typeof v.value === 'bigint') return [Number(v.value)];
  if (v.type === 9 && ArrayBuffer.isView(v.value)) return Array.from(v.value as ArrayLike<number | bigint>, Number);
  return undefined;
}

class Keys {
  constructor(private readonly meta: GgufMetadata, private readonly origin: string) {}

  /** A number-valued key (integer or float); per-layer arrays are accepted when all entries are equal. */
  int(key: string, def?: number): number {
    const v = this.meta.get(key);
    if (v === undefined) {
      if (def === undefined) throw new JambaUserError(`${this.origin}: GGUF key ${key} is missing`);
      return def;
    }
    const ns = numbers(v);
    if (!ns || ns.length === 0) throw new JambaUserError(`${this.origin}: GGUF key ${key} should be a number`);
    if (ns.some((n) => n !== ns[0])) throw new JambaUserError(`${this.origin}: GGUF key ${key} differs between layers (${ns.join(', ')}); HF Jamba has one value`);
    return ns[0]!;
  }

  /** A per-layer key: an array of L numbers, or one number for every layer. */
  perLayer(key: string, L: number): number[] {
    const v = this.meta.get(key);
    if (v === undefined) throw new JambaUserError(`${this.origin}: GGUF key ${key} is missing`);
    const ns = numbers(v);
    if (!ns) throw new JambaUserError(`${this.origin}: GGUF key ${key} should be a number or an array of numbers`);
    if (ns.length === 1 && v.type !== 9) return Array<number>(L).fill(ns[0]!);
    if (ns.length !== L) throw new JambaUserError(`${this.origin}: GGUF key ${key} has ${ns.length} entries for ${L} layers`);
    return ns;
  }

  optInt(key: string): number | undefined {
    return this.meta.has(key) ? this.int(key) : undefined;
  }
}

/** The HF config.json object of the jamba model described by GGUF metadata and tensor names. */
export function hfConfigFromGguf(meta: GgufMetadata, tensors: ReadonlyMap<string, GgufTensorInfo>, origin: string): Record<string, unknown> {
  const arch = meta.get('general.architecture');
  if (!arch) throw new JambaUserError(`${origin}: GGUF key general.architecture is missing`);
  if (arch.value !== 'jamba') throw new JambaUserError(`${origin} is a '${String(arch.value)}' model; jamba-ts reads only 'jamba' GGUF files`);
  const k = new Keys(meta, origin);
  const L = k.int('jamba.block_count');
  const H = k.int('jamba.embedding_length');
  const nH = k.int('jamba.attention.head_count');
  const kv = k.perLayer('jamba.attention.head_count_kv', L);
  const kvs = [...new Set(kv.filter((x) => x !== 0))];
  if (kvs.length > 1) throw new JambaUserError(`${origin}: attention layers have different key/value head counts (${kvs.join(', ')}); HF Jamba has one num_key_value_heads`);
  const attn = findPeriod(kv.map((x) => x !== 0));
  if (!attn) {
    const layers = kv.flatMap((x, i) => (x ? [i] : [])).join(', ');
    throw new JambaUserError(`${origin}: the attention layers (${layers}) do not follow a period and offset, which HF Jamba's config needs`);
  }
  const moeLayers = Array.from({ length: L }, (_, i) => tensors.has(`blk.${i}.ffn_gate_inp.weight`));
  const nExpertsKey = k.int('jamba.expert_count', 0);
  let nExperts = 1;
  let expertSchedule = { period: 1, offset: 0 };
  let used = 1;
  if (moeLayers.some((x) => x)) {
    const s = findPeriod(moeLayers);
    if (!s) throw new JambaUserError(`${origin}: the MoE layers (those with ffn_gate_inp) do not follow a period and offset, which HF Jamba's config needs`);
    expertSchedule = s;
    const router = tensors.get(`blk.${moeLayers.indexOf(true)}.ffn_gate_inp.weight`)!;
    nExperts = router.ne[1] ?? 1;
    if (nExpertsKey && nExpertsKey !== nExperts) throw new JambaUserError(`${origin}: jamba.expert_count is ${nExpertsKey} but ffn_gate_inp has ${nExperts} rows`);
    used = k.int('jamba.expert_used_count');
  }
  const embd = tensors.get('token_embd.weight');
  if (!embd) throw new JambaUserError(`${origin}: missing tensor token_embd.weight`);
  const E = k.int('jamba.ssm.inner_size');
  if (E % H !== 0) throw new JambaUserError(`${origin}: jamba.ssm.inner_size (${E}) is not a multiple of jamba.embedding_length (${H})`);
  const mambaLayers = kv.flatMap((x, i) => (x === 0 ? [i] : []));
  const convBias = mambaLayers.length === 0 || mambaLayers.some((i) => tensors.has(`blk.${i}.ssm_conv1d.bias`));

  const config: Record<string, unknown> = {
    architectures: ['JambaForCausalLM'],
    model_type: 'jamba',
    vocab_size: embd.ne[1] ?? 1,
    tie_word_embeddings: !tensors.has('output.weight'),
    hidden_size: H,
    intermediate_size: k.int('jamba.feed_forward_length'),
    num_hidden_layers: L,
    num_attention_heads: nH,
    num_key_value_heads: kvs[0] ?? nH,
    hidden_act: 'silu',
    rms_norm_eps: shortestF32(k.int('jamba.attention.layer_norm_rms_epsilon')),
    num_experts: nExperts,
    num_experts_per_tok: used,
    expert_layer_period: expertSchedule.period,
    expert_layer_offset: expertSchedule.offset,
    attn_layer_period: attn.period,
    attn_layer_offset: attn.offset,
    mamba_d_state: k.int('jamba.ssm.state_size'),
    mamba_d_conv: k.int('jamba.ssm.conv_kernel'),
    mamba_expand: E / H,
    mamba_dt_rank: k.int('jamba.ssm.time_step_rank'),
    mamba_conv_bias: convBias,
    mamba_proj_bias: false,
    use_mamba_kernels: false,
  };
  const ctx = k.optInt('jamba.context_length');
  if (ctx !== undefined) config.max_position_embeddings = ctx;
  const ids: [string, string][] = [['bos_token_id', 'tokenizer.ggml.bos_token_id'], ['eos_token_id', 'tokenizer.ggml.eos_token_id'], ['pad_token_id', 'tokenizer.ggml.padding_token_id']];
  for (const [hf, key] of ids) {
    const v = k.optInt(key);
    if (v !== undefined) config[hf] = v;
  }
  return config;
}

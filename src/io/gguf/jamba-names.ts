/**
 * Jamba tensor names, HF ↔ GGUF (spec §10.2; llama.cpp convert_hf_to_gguf.py JambaModel and
 * gguf-py tensor_mapping.py). HF names are the canonical ones of io/source.ts; `mamba.A` stands for
 * GGUF's `ssm_a`, which holds −exp(A_log). Stacked expert tensors map to one HF name per expert.
 */

/** Names outside the layers: [HF, GGUF]. */
export const GLOBAL_NAMES: readonly (readonly [string, string])[] = [
  ['model.embed_tokens.weight', 'token_embd.weight'],
  ['model.final_layernorm.weight', 'output_norm.weight'],
  ['lm_head.weight', 'output.weight'],
];

/** Per-layer names without the prefixes `model.layers.i.` / `blk.i.`: [HF, GGUF]. */
export const LAYER_NAMES: readonly (readonly [string, string])[] = [
  ['input_layernorm.weight', 'attn_norm.weight'],
  ['pre_ff_layernorm.weight', 'ffn_norm.weight'],
  ['self_attn.q_proj.weight', 'attn_q.weight'],
  ['self_attn.k_proj.weight', 'attn_k.weight'],
  ['self_attn.v_proj.weight', 'attn_v.weight'],
  ['self_attn.o_proj.weight', 'attn_output.weight'],
  ['mamba.in_proj.weight', 'ssm_in.weight'],
  ['mamba.conv1d.weight', 'ssm_conv1d.weight'],
  ['mamba.conv1d.bias', 'ssm_conv1d.bias'],
  ['mamba.x_proj.weight', 'ssm_x.weight'],
  ['mamba.dt_layernorm.weight', 'ssm_dt_norm.weight'],
  ['mamba.dt_proj.weight', 'ssm_dt.weight'],
  ['mamba.dt_proj.bias', 'ssm_dt.bias'],
  ['mamba.b_layernorm.weight', 'ssm_b_norm.weight'],
  ['mamba.c_layernorm.weight', 'ssm_c_norm.weight'],
  ['mamba.A', 'ssm_a'],
  ['mamba.D', 'ssm_d'],
  ['mamba.out_proj.weight', 'ssm_out.weight'],
  ['feed_forward.router.weight', 'ffn_gate_inp.weight'],
  ['feed_forward.gate_proj.weight', 'ffn_gate.weight'],
  ['feed_forward.up_proj.weight', 'ffn_up.weight'],
  ['feed_forward.down_proj.weight', 'ffn_down.weight'],
];

/** Stacked experts: HF `feed_forward.experts.E.<proj>.weight` ↔ GGUF `<name>` of ne {in, out, nE}. */
export const EXPERT_NAMES: readonly (readonly [string, string])[] = [
  ['gate_proj', 'ffn_gate_exps.weight'],
  ['up_proj', 'ffn_up_exps.weight'],
  ['down_proj', 'ffn_down_exps.weight'],
];

export interface GgufNameTarget {
  /** HF names this GGUF tensor provides (one per expert for stacked experts). */
  hf: string[];
  stacked: boolean;
}

const LAYER_RE = /^blk\.(\d+)\.(.+)$/;

/** The HF name(s) a GGUF tensor provides, or undefined when it is not part of the Jamba layout. */
export function hfNamesOf(gguf: string, nExperts: number): GgufNameTarget | undefined {
  for (const [hf, g] of GLOBAL_NAMES) if (g === gguf) return { hf: [hf], stacked: false };
  const m = LAYER_RE.exec(gguf);
  if (!m) return undefined;
  const pre = `model.layers.${m[1]}.`;
  for (const [hf, g] of LAYER_NAMES) if (g === m[2]) return { hf: [pre + hf], stacked: false };
  for (const [proj, g] of EXPERT_NAMES) {
    if (g === m[2]) return { hf: Array.from({ length: nExperts }, (_, e) => `${pre}feed_forward.experts.${e}.${proj}.weight`), stacked: true };
  }
  return undefined;
}

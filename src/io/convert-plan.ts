/**
 * The tensors of a llama.cpp Jamba GGUF for a model config, each with the HF tensors it is made from
 * (spec §10.2; convert_hf_to_gguf.py JambaModel.modify_tensors): renames, experts stacked in expert
 * order on a new outermost axis, conv1d [E,1,K] squeezed to ne {K, E}, A_log turned into
 * ssm_a = −exp(A_log). Shapes are checked against the config; a missing or unexpected HF tensor is a
 * JambaUserError naming it.
 */
import { JambaUserError } from '../errors.js';
import { dims, layerPlan, type JambaConfig } from '../model/config.js';
import { numel } from '../tensor/weight.js';
import type { TensorSource } from './source.js';

export interface PlannedTensor {
  /** GGUF name. */
  name: string;
  /** ggml order, fastest first. */
  ne: number[];
  /** HF tensors, concatenated in this order (one per expert for stacked experts). */
  sources: string[];
  /** ssm_a from A_log needs −exp; everything else is a byte-preserving rename/stack. */
  negExp: boolean;
}

export function planJambaTensors(config: JambaConfig, src: TensorSource): PlannedTensor[] {
  const { H, I, V, nH, nKV, d, E, N, K, R, nE } = dims(config);
  const used = new Set<string>();
  const out: PlannedTensor[] = [];
  const need = (hf: string, shape: number[]): string => {
    const info = src.info(hf);
    if (!info) throw new JambaUserError(`${src.origin}: missing tensor ${hf} (expected shape [${shape.join(', ')}])`);
    if (numel(info.shape) !== numel(shape) || info.shape[0] !== shape[0]) {
      throw new JambaUserError(`${src.origin}: tensor ${hf} has shape [${info.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    used.add(hf);
    return hf;
  };
  /** One GGUF tensor from one HF tensor of PyTorch `shape` (ne is its reverse). */
  const one = (name: string, hf: string, shape: number[]) => out.push({ name, ne: [...shape].reverse(), sources: [need(hf, shape)], negExp: false });

  one('token_embd.weight', 'model.embed_tokens.weight', [V, H]);
  for (const p of layerPlan(config)) {
    const b = `blk.${p.index}.`;
    const m = `model.layers.${p.index}.`;
    one(b + 'attn_norm.weight', m + 'input_layernorm.weight', [H]);
    if (p.mixer === 'attention') {
      one(b + 'attn_q.weight', m + 'self_attn.q_proj.weight', [nH * d, H]);
      one(b + 'attn_k.weight', m + 'self_attn.k_proj.weight', [nKV * d, H]);
      one(b + 'attn_v.weight', m + 'self_attn.v_proj.weight', [nKV * d, H]);
      one(b + 'attn_output.weight', m + 'self_attn.o_proj.weight', [H, nH * d]);
    } else {
      const s = m + 'mamba.';
      one(b + 'ssm_in.weight', s + 'in_proj.weight', [2 * E, H]);
      out.push({ name: b + 'ssm_conv1d.weight', ne: [K, E], sources: [need(s + 'conv1d.weight', [E, 1, K])], negExp: false });
      if (config.mambaConvBias) one(b + 'ssm_conv1d.bias', s + 'conv1d.bias', [E]);
      one(b + 'ssm_x.weight', s + 'x_proj.weight', [R + 2 * N, E]);
      one(b + 'ssm_dt_norm.weight', s + 'dt_layernorm.weight', [R]);
      one(b + 'ssm_dt.weight', s + 'dt_proj.weight', [E, R]);
      one(b + 'ssm_dt.bias', s + 'dt_proj.bias', [E]);
      one(b + 'ssm_b_norm.weight', s + 'b_layernorm.weight', [N]);
      one(b + 'ssm_c_norm.weight', s + 'c_layernorm.weight', [N]);
      if (src.info(s + 'A')) one(b + 'ssm_a', s + 'A', [E, N]);
      else out.push({ name: b + 'ssm_a', ne: [N, E], sources: [need(s + 'A_log', [E, N])], negExp: true });
      one(b + 'ssm_d', s + 'D', [E]);
      one(b + 'ssm_out.weight', s + 'out_proj.weight', [H, E]);
    }
    one(b + 'ffn_norm.weight', m + 'pre_ff_layernorm.weight', [H]);
    const f = m + 'feed_forward.';
    if (p.ffn === 'moe') {
      one(b + 'ffn_gate_inp.weight', f + 'router.weight', [nE, H]);
      for (const [proj, g, shape] of [['gate_proj', 'ffn_gate_exps', [I, H]], ['up_proj', 'ffn_up_exps', [I, H]], ['down_proj', 'ffn_down_exps', [H, I]]] as const) {
        const sources = Array.from({ length: nE }, (_, e) => need(`${f}experts.${e}.${proj}.weight`, [...shape]));
        out.push({ name: `${b}${g}.weight`, ne: [shape[1], shape[0], nE], sources, negExp: false });
      }
    } else {
      one(b + 'ffn_gate.weight', f + 'gate_proj.weight', [I, H]);
      one(b + 'ffn_up.weight', f + 'up_proj.weight', [I, H]);
      one(b + 'ffn_down.weight', f + 'down_proj.weight', [H, I]);
    }
  }
  one('output_norm.weight', 'model.final_layernorm.weight', [H]);
  if (!config.tieWordEmbeddings) one('output.weight', 'lm_head.weight', [V, H]);
  else if (src.info('lm_head.weight')) used.add('lm_head.weight'); // a tied copy some tools save anyway

  const unexpected = src.names().filter((n) => !used.has(n));
  if (unexpected.length) {
    const more = unexpected.length > 3 ? ` and ${unexpected.length - 3} more` : '';
    throw new JambaUserError(`${src.origin}: unexpected tensor ${unexpected.slice(0, 3).join(', ')}${more} (not part of this config's layer plan)`);
  }
  return out;
}

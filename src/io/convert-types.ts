/**
 * Which storage type each GGUF tensor gets for a `jamba convert --type`, following llama.cpp:
 *
 * - f32, f16, bf16, q8_0: convert_hf_to_gguf.py's rules: 1-D tensors, `*_norm.weight`, ffn_gate_inp,
 *   ssm_conv1d and names not ending in `.weight` (ssm_a, ssm_d) stay F32; the rest get the type, and a
 *   Q8_0 tensor whose rows are not whole blocks of 32 falls back to F16.
 * - q4_0, q4_1, q5_0, q5_1, q6_k, q4_k(_m), q5_k(_m): llama-quantize's rules (src/llama-quant.cpp
 *   tensor_allows_quantization, llama_tensor_get_type_impl, tensor_type_fallback) applied to that F32
 *   file: only 2-D/3-D `…weight` tensors other than norms, ffn_gate_inp and ssm_conv1d are quantized;
 *   output.weight (token_embd.weight when there is no output.weight) gets Q6_K, or Q8_0 when its rows
 *   are not whole blocks of the base type; Q4_K_M / Q5_K_M give Q6_K to attn_v and ffn_down of the
 *   "use_more_bits" layers; with exactly 8 experts attn_v and attn_k get Q8_0 (and attn_output Q5_K
 *   under Q4_K_M); rows that are not whole 256-blocks fall back Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, and
 *   to F16 when not whole 32-blocks either. q4_k / q5_k are llama-quantize's aliases of Q4_K_M / Q5_K_M.
 *   One departure: where llama-quantize would stop with "no tensor type fallback" (a 32-block type on
 *   rows that are not multiples of 32, e.g. ssm_dt with a small dt_rank), we write F16 and say so.
 */
import { DTYPES, type DType } from '../tensor/dtype.js';
import { LLAMA_FTYPE } from './gguf/constants.js';

export const CONVERT_TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1', 'q4_k', 'q5_k', 'q6_k', 'q4_k_m', 'q5_k_m'] as const;
export type ConvertType = (typeof CONVERT_TYPES)[number];

interface TypeRule { base: DType; ftype: number; quantize: boolean; km: boolean }

export const TYPE_RULES: Record<ConvertType, TypeRule> = {
  f32: { base: 'f32', ftype: LLAMA_FTYPE.ALL_F32, quantize: false, km: false },
  f16: { base: 'f16', ftype: LLAMA_FTYPE.MOSTLY_F16, quantize: false, km: false },
  bf16: { base: 'bf16', ftype: LLAMA_FTYPE.MOSTLY_BF16, quantize: false, km: false },
  q8_0: { base: 'q8_0', ftype: LLAMA_FTYPE.MOSTLY_Q8_0, quantize: false, km: false },
  q4_0: { base: 'q4_0', ftype: LLAMA_FTYPE.MOSTLY_Q4_0, quantize: true, km: false },
  q4_1: { base: 'q4_1', ftype: LLAMA_FTYPE.MOSTLY_Q4_1, quantize: true, km: false },
  q5_0: { base: 'q5_0', ftype: LLAMA_FTYPE.MOSTLY_Q5_0, quantize: true, km: false },
  q5_1: { base: 'q5_1', ftype: LLAMA_FTYPE.MOSTLY_Q5_1, quantize: true, km: false },
  q6_k: { base: 'q6_k', ftype: LLAMA_FTYPE.MOSTLY_Q6_K, quantize: true, km: false },
  q4_k: { base: 'q4_k', ftype: LLAMA_FTYPE.MOSTLY_Q4_K_M, quantize: true, km: true },
  q4_k_m: { base: 'q4_k', ftype: LLAMA_FTYPE.MOSTLY_Q4_K_M, quantize: true, km: true },
  q5_k: { base: 'q5_k', ftype: LLAMA_FTYPE.MOSTLY_Q5_K_M, quantize: true, km: true },
  q5_k_m: { base: 'q5_k', ftype: LLAMA_FTYPE.MOSTLY_Q5_K_M, quantize: true, km: true },
};

export function isConvertType(s: string): s is ConvertType {
  return (CONVERT_TYPES as readonly string[]).includes(s);
}

export interface TensorShape { name: string; ne: readonly number[] }

export interface TypeChoice {
  types: Map<string, DType>;
  /** One line per tensor that could not take its intended type. */
  fallbacks: string[];
}

const fits = (ne: readonly number[], t: DType) => ne[0]! % DTYPES[t].blockSize === 0;

/** convert_hf_to_gguf.py: tensors that are always F32. */
function forcedF32(t: TensorShape): boolean {
  return t.ne.length <= 1 || t.name.endsWith('_norm.weight') || !t.name.endsWith('.weight')
    || t.name.includes('ffn_gate_inp.weight') || t.name.includes('ssm_conv1d');
}

/** llama-quantize: tensor_allows_quantization for the names a Jamba file has. */
function quantizable(t: TensorShape): boolean {
  return t.ne.length >= 2 && t.name.endsWith('weight') && !t.name.includes('_norm.weight')
    && !t.name.includes('ffn_gate_inp.weight') && !t.name.includes('ssm_conv1d');
}

/** llama-quant.cpp use_more_bits: the first and last eighth of the layers, and every third one between. */
function useMoreBits(i: number, n: number): boolean {
  return i < Math.floor(n / 8) || i >= Math.floor((7 * n) / 8) || (i - Math.floor(n / 8)) % 3 === 2;
}

/**
 * Types for every tensor of a Jamba GGUF. `nLayer` is block_count, `nExpert` jamba.expert_count (both as
 * llama.cpp's hparams see them).
 */
export function chooseTypes(target: ConvertType, tensors: readonly TensorShape[], nLayer: number, nExpert: number): TypeChoice {
  const rule = TYPE_RULES[target];
  const types = new Map<string, DType>();
  const fallbacks: string[] = [];
  if (!rule.quantize) {
    for (const t of tensors) {
      let dt: DType = forcedF32(t) ? 'f32' : rule.base;
      if (dt === 'q8_0' && !fits(t.ne, dt)) {
        fallbacks.push(`${t.name}: rows of ${t.ne[0]} are not whole q8_0 blocks → f16`);
        dt = 'f16';
      }
      types.set(t.name, dt);
    }
    return { types, fallbacks };
  }
  // llama-quantize walks the tensors in name order (a std::map); its counters depend on that order.
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const tied = !tensors.some((t) => t.name === 'output.weight');
  const nAttnV = tensors.filter((t) => t.name.includes('attn_v.weight')).length;
  let iAttnV = 0;
  let iFfnDown = 0;
  for (const t of sorted) {
    if (!quantizable(t)) {
      types.set(t.name, 'f32');
      continue;
    }
    let dt: DType = rule.base;
    const layer = Number(/^blk\.(\d+)\./.exec(t.name)?.[1] ?? -1);
    if (t.name === 'output.weight' || (tied && t.name === 'token_embd.weight')) {
      if (!fits(t.ne, rule.base)) dt = 'q8_0';
      else dt = 'q6_k';
    } else if (t.name.includes('attn_v.weight')) {
      if (rule.km && useMoreBits(iAttnV, nAttnV)) dt = 'q6_k';
      if (nExpert === 8) dt = 'q8_0';
      iAttnV++;
    } else if (t.name.includes('attn_k.weight')) {
      if (nExpert === 8) dt = 'q8_0';
    } else if (t.name.includes('ffn_down')) {
      const iLayer = nExpert > 1 ? layer : iFfnDown;
      if (rule.km && useMoreBits(iLayer, nLayer)) dt = 'q6_k';
      iFfnDown++;
    } else if (t.name.includes('attn_output.weight')) {
      if (nExpert === 8 && rule.base === 'q4_k' && rule.km) dt = 'q5_k';
    }
    if (!fits(t.ne, dt)) {
      const fb: Partial<Record<DType, DType>> = { q4_k: 'q5_0', q5_k: 'q5_1', q6_k: 'q8_0' };
      let next: DType = fb[dt] ?? 'f16';
      if (!fits(t.ne, next)) next = 'f16';
      fallbacks.push(`${t.name}: rows of ${t.ne[0]} are not whole ${dt} blocks → ${next}`);
      dt = next;
    }
    types.set(t.name, dt);
  }
  return { types, fallbacks };
}

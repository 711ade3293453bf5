/**
 * Requantizing, as llama-quantize treats it: a tensor already stored in a block-quantised type (Q8_0,
 * Q4_K, …) that would be written in a different quantised type is refused unless the caller allows it
 * (llama-quantize's --allow-requantize), since quantising the dequantised values again loses more
 * quality than quantising the original weights. Allowed without asking: dequantising (to f32, f16 or
 * bf16) and keeping a tensor's type (its bytes are copied). When the source file's general.file_type is
 * the target's (q8_0 → q8_0, q4_k_m → q4_k_m), every quantised tensor keeps the type it has, so a file
 * whose mix differs from ours (another tool, overrides) is copied rather than requantized.
 */
import { JambaUserError } from '../errors.js';
import { DTYPES, type DType } from '../tensor/dtype.js';
import { isQuantized } from '../tensor/quant/index.js';
import type { PlannedTensor } from './convert-plan.js';
import { TYPE_RULES, type ConvertType } from './convert-types.js';
import { ggmlTypeName } from './gguf/constants.js';
import type { TensorSource } from './source.js';

const upper = (t: DType) => ggmlTypeName(DTYPES[t].ggmlType);

/**
 * Adjusts `types` (same file type: keep the source's quantised types) and checks for requantizing.
 * Throws a JambaUserError when a tensor would be requantized and `allow` is false; returns the warning
 * to show when it is allowed, else undefined.
 */
export function checkRequantize(plan: readonly PlannedTensor[], types: Map<string, DType>, src: TensorSource,
  target: ConvertType, sourceFileType: number | undefined, allow: boolean): string | undefined {
  const requant: { name: string; from: DType; to: DType }[] = [];
  for (const p of plan) {
    const from = p.sources.map((s) => src.info(s)?.dtype).find((d): d is DType => d !== undefined && isQuantized(d));
    const to = types.get(p.name)!;
    if (!from || from === to || !isQuantized(to)) continue;
    if (sourceFileType === TYPE_RULES[target].ftype) types.set(p.name, from);
    else requant.push({ name: p.name, from, to });
  }
  if (requant.length === 0) return undefined;
  const found = [...new Set(requant.map((r) => upper(r.from)))].join(', ');
  const first = requant[0]!;
  const what = `${requant.length} tensor${requant.length > 1 ? 's are' : ' is'} already quantised as ${found} (e.g. ${first.name}: ${upper(first.from)} → ${upper(first.to)})`;
  if (!allow) {
    throw new JambaUserError(`${src.origin}: ${what}; --type ${target} would requantize them, which loses more quality than quantising the original weights; pass --allow-requantize to do it anyway, or convert to f32, f16 or bf16`);
  }
  return `requantizing: ${what}; quality will be worse than quantising from the original (f32/f16/bf16) weights`;
}

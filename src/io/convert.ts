/**
 * `jamba convert`: a Jamba checkpoint (HF folder or GGUF) → a llama.cpp-loadable GGUF of a chosen type
 * (architecture.md contract; metadata as convert_hf_to_gguf.py JambaModel.set_gguf_parameters writes it,
 * tensor types as convert-types.ts explains). Refuses, with the reason, models llama.cpp's Jamba cannot
 * express (llama-cpp-peer.md): a Mamba layer without conv bias or with in/out projection biases,
 * d_inner ≠ 2·hidden_size, an activation other than SiLU. Requantizing an already quantised GGUF needs
 * `allowRequantize` (convert-requant.ts); `split` writes a llama.cpp gguf-split set (gguf/split.ts).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { JambaUserError } from '../errors.js';
import { layerPlan, parseConfig, type JambaConfig } from '../model/config.js';
import { f32ToBf16, f32ToF16, type DType } from '../tensor/dtype.js';
import { toF32 } from '../tensor/dequant.js';
import { quantizeRows } from '../tensor/quant/index.js';
import { planJambaTensors, type PlannedTensor } from './convert-plan.js';
import { checkRequantize } from './convert-requant.js';
import { TYPE_RULES, chooseTypes, type ConvertType } from './convert-types.js';
import { folderVocab, placeholderVocab } from './convert-vocab.js';
import { GGML_QNT_VERSION, GgufType } from './gguf/constants.js';
import { GgufTensorSource } from './gguf/source.js';
import { writeSplitGguf, type SplitLimits } from './gguf/split.js';
import { gv, type GgufMetadata } from './gguf/values.js';
import { tensorBytes, writeGguf, type GgufTensorSpec } from './gguf/writer.js';
import type { Checkpoint, TensorSource } from './source.js';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer.model'];

export interface ConvertHooks {
  /** Called once the plan is known: total output bytes of tensor data and tensor count. */
  start?(totalBytes: number, tensors: number): void;
  /** Called after each tensor is written. */
  tensor?(name: string, dtype: DType, bytes: number): void;
  /** Called before writing with a warning the user should see (requantizing). */
  warn?(message: string): void;
}

export interface ConvertOptions extends ConvertHooks {
  /** Write a split set (`<out>-0000i-of-0000N.gguf`) within these limits. */
  split?: SplitLimits;
  /** Requantize tensors that are already in another quantised type (llama-quantize --allow-requantize). */
  allowRequantize?: boolean;
}

export interface ConvertReport {
  tensors: { name: string; dtype: DType; ne: number[] }[];
  fallbacks: string[];
  /** Why a placeholder vocabulary was written, if one was. */
  placeholderVocab?: string;
  /** The folder's tokenizer as written, if it was (e.g. "llama vocabulary of 32000 tokens from tokenizer.model"). */
  vocab?: string;
  /** Where llama.cpp may tokenise differently from the folder's tokenizer. */
  vocabNotes: string[];
  bytes: number;
  /** The files written: `out`, or the parts of a split set. */
  files: string[];
  /** The requantizing warning, when allowRequantize let it happen. */
  requantized?: string;
}

/** Throws a JambaUserError saying why llama.cpp cannot run this model, if it cannot. */
export function checkLlamaCppExpressible(c: JambaConfig, where: string): void {
  const why: string[] = [];
  const hasMamba = layerPlan(c).some((p) => p.mixer === 'mamba');
  if (hasMamba && !c.mambaConvBias) why.push('mamba_conv_bias is false, but llama.cpp\'s Jamba needs a conv1d bias in every Mamba layer');
  if (hasMamba && c.mambaProjBias) why.push('mamba_proj_bias is true, but llama.cpp\'s Jamba has no in_proj/out_proj bias');
  if (c.mambaExpand !== 2) why.push(`mamba_expand is ${c.mambaExpand}, but llama.cpp requires d_inner = 2 × hidden_size`);
  if (c.hiddenAct !== 'silu') why.push(`hidden_act is ${c.hiddenAct}, but llama.cpp's Jamba always uses SiLU`);
  if (why.length) throw new JambaUserError(`${where}: cannot convert to GGUF, llama.cpp cannot express this model: ${why.join('; ')}`);
}

function encode(values: Float32Array, dtype: DType, cols: number): Uint8Array {
  switch (dtype) {
    case 'f32': return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'f16': case 'bf16': {
      const h = new Uint16Array(values.length);
      const conv = dtype === 'f16' ? f32ToF16 : f32ToBf16;
      for (let i = 0; i < values.length; i++) h[i] = conv(values[i]!);
      return new Uint8Array(h.buffer);
    }
    default: return quantizeRows(dtype, values, cols);
  }
}

/** The bytes of one planned tensor in `dtype`, one source tensor (expert) at a time. */
function* produce(p: PlannedTensor, dtype: DType, src: TensorSource): Iterable<Uint8Array> {
  for (const name of p.sources) {
    const w = src.load(name);
    if (w.dtype === dtype && !p.negExp) {
      yield w.data;
      continue;
    }
    let v = toF32(w);
    if (p.negExp) v = v.map((x) => -Math.exp(x));
    yield encode(v, dtype, p.ne[0]!);
  }
}

function hyperparameters(c: JambaConfig, type: ConvertType, meta: GgufMetadata): void {
  const L = c.numHiddenLayers;
  meta.set('jamba.block_count', gv.u32(L));
  meta.set('jamba.context_length', gv.u32(c.maxPositionEmbeddings));
  meta.set('jamba.embedding_length', gv.u32(c.hiddenSize));
  meta.set('jamba.feed_forward_length', gv.u32(c.intermediateSize));
  meta.set('jamba.attention.head_count', gv.u32(c.numAttentionHeads));
  const kv = Int32Array.from(layerPlan(c), (p) => (p.mixer === 'attention' ? c.numKeyValueHeads : 0));
  meta.set('jamba.attention.head_count_kv', gv.arr(GgufType.I32, kv));
  meta.set('jamba.ssm.conv_kernel', gv.u32(c.mambaDConv));
  meta.set('jamba.ssm.inner_size', gv.u32(c.mambaExpand * c.hiddenSize));
  meta.set('jamba.ssm.state_size', gv.u32(c.mambaDState));
  meta.set('jamba.ssm.time_step_rank', gv.u32(c.mambaDtRank));
  meta.set('jamba.attention.layer_norm_rms_epsilon', gv.f32(c.rmsNormEps));
  meta.set('jamba.expert_count', gv.u32(c.numExperts));
  meta.set('jamba.expert_used_count', gv.u32(c.numExpertsPerTok));
  meta.set('general.file_type', gv.u32(TYPE_RULES[type].ftype));
}

/** Writes `ck` as a GGUF of `type` to `out` (or a split set named after it). */
export function convertCheckpoint(ck: Checkpoint, out: string, type: ConvertType, opts: ConvertOptions = {}): ConvertReport {
  const origin = ck.folder ?? ck.tensors.origin;
  const config = parseConfig(ck.config, ck.folder ? `${ck.folder}/config.json` : origin);
  checkLlamaCppExpressible(config, origin);
  const plan = planJambaTensors(config, ck.tensors);
  const { types, fallbacks } = chooseTypes(type, plan, config.numHiddenLayers, config.numExperts);
  const source = ck.tensors instanceof GgufTensorSource ? ck.tensors.model.metadata : undefined;
  const ftype = source?.get('general.file_type')?.value;
  const requantized = checkRequantize(plan, types, ck.tensors, type, typeof ftype === 'number' ? ftype : undefined, opts.allowRequantize === true);

  const meta: GgufMetadata = new Map();
  meta.set('general.architecture', gv.str('jamba'));
  meta.set('general.type', gv.str('model'));
  const name = source?.get('general.name');
  meta.set('general.name', name?.type === GgufType.STRING ? name : gv.str(basename(origin).replace(/\.gguf$/i, '')));
  meta.set('general.quantization_version', gv.u32(GGML_QNT_VERSION));
  hyperparameters(config, type, meta);
  let placeholder: string | undefined;
  let vocab: string | undefined;
  let vocabNotes: string[] = [];
  const tokenizerKeys = source ? [...source].filter(([k]) => k.startsWith('tokenizer.')) : [];
  if (tokenizerKeys.length) {
    for (const [k, v] of tokenizerKeys) meta.set(k, v);
  } else {
    const folder = ck.folder && TOKENIZER_FILES.some((f) => existsSync(join(ck.folder!, f)))
      ? folderVocab(ck.folder, config, ck.config, meta)
      : { placeholder: `${origin} has no tokenizer files` };
    if ('written' in folder) {
      vocab = folder.written;
      vocabNotes = folder.notes;
    } else {
      placeholderVocab(config, meta);
      placeholder = `${folder.placeholder}; wrote a placeholder vocabulary of ${config.vocabSize} tokens (token ids work, text does not)`;
    }
  }

  const specs: GgufTensorSpec[] = plan.map((p) => {
    const dtype = types.get(p.name)!;
    return { name: p.name, dtype, ne: p.ne, data: () => produce(p, dtype, ck.tensors) };
  });
  const total = specs.reduce((a, s) => a + tensorBytes(s.dtype, s.ne), 0);
  if (requantized) opts.warn?.(requantized);
  opts.start?.(total, specs.length);
  const onTensor = (_i: number, s: GgufTensorSpec, bytes: number) => opts.tensor?.(s.name, s.dtype, bytes);
  let files = [out];
  if (opts.split) files = writeSplitGguf(out, meta, specs, opts.split, { onTensor });
  else writeGguf(out, meta, specs, { onTensor });
  return {
    tensors: specs.map((s) => ({ name: s.name, dtype: s.dtype, ne: s.ne })),
    fallbacks,
    placeholderVocab: placeholder,
    vocab,
    vocabNotes,
    bytes: total,
    files,
    requantized,
  };
}

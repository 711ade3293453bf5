/**
 * JambaConfig: the fields of HF's config.json (spec §1.1) with their defaults, validation with messages
 * that name the field, and the derived layer plan (spec §1.2).
 */
import { JambaUserError } from '../errors.js';
import type { Act } from '../backends/backend.js';

export interface JambaConfig {
  vocabSize: number;
  tieWordEmbeddings: boolean;
  hiddenSize: number;          // H
  intermediateSize: number;    // I
  numHiddenLayers: number;     // L
  numAttentionHeads: number;   // nH
  numKeyValueHeads: number;    // nKV
  hiddenAct: Act;
  initializerRange: number;
  rmsNormEps: number;
  outputRouterLogits: boolean;
  routerAuxLossCoef: number;
  padTokenId: number | null;
  bosTokenId: number | null;
  eosTokenIds: number[];
  slidingWindow: number | null;
  maxPositionEmbeddings: number;
  numExpertsPerTok: number;    // k
  numExperts: number;          // nE
  expertLayerPeriod: number;
  expertLayerOffset: number;
  attnLayerPeriod: number;
  attnLayerOffset: number;
  mambaDState: number;         // N
  mambaDConv: number;          // K
  mambaExpand: number;
  mambaDtRank: number;         // R
  mambaConvBias: boolean;
  mambaProjBias: boolean;
  // Fields with no effect on the forward result, kept so a config round-trips.
  useCache: boolean;
  numLogitsToKeep: number;
  attentionDropout: number;
  useMambaKernels: boolean;
}

export type MixerKind = 'attention' | 'mamba';
export type FfnKind = 'dense' | 'moe';
export interface LayerPlan { index: number; mixer: MixerKind; ffn: FfnKind }

/** Derived sizes used everywhere. */
export interface Dims {
  H: number; I: number; L: number; V: number;
  nH: number; nKV: number; d: number;
  E: number; N: number; K: number; R: number;
  nE: number; k: number;
}

export function dims(c: JambaConfig): Dims {
  return {
    H: c.hiddenSize, I: c.intermediateSize, L: c.numHiddenLayers, V: c.vocabSize,
    nH: c.numAttentionHeads, nKV: c.numKeyValueHeads, d: c.hiddenSize / c.numAttentionHeads,
    E: c.mambaExpand * c.hiddenSize, N: c.mambaDState, K: c.mambaDConv, R: c.mambaDtRank,
    nE: c.numExperts, k: c.numExpertsPerTok,
  };
}

/** Attention iff i % period == offset; MoE iff i % period == offset and num_experts > 1 (spec §1.2). */
export function layerPlan(c: JambaConfig): LayerPlan[] {
  const plan: LayerPlan[] = [];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const mixer: MixerKind = i % c.attnLayerPeriod === c.attnLayerOffset ? 'attention' : 'mamba';
    const experts = i % c.expertLayerPeriod === c.expertLayerOffset ? c.numExperts : 1;
    plan.push({ index: i, mixer, ffn: experts > 1 ? 'moe' : 'dense' });
  }
  return plan;
}

const ACTS: Record<string, Act> = { silu: 'silu', swish: 'silu', gelu: 'gelu', relu: 'relu' };

type Raw = Record<string, unknown>;

function pick(raw: Raw, names: string[]): [string, unknown] | undefined {
  for (const n of names) if (raw[n] !== undefined) return [n, raw[n]];
  return undefined;
}

function intField(raw: Raw, names: string[], def: number | undefined, where: string, min = 1): number {
  const p = pick(raw, names);
  if (!p || p[1] === null) {
    if (def === undefined) throw new JambaUserError(`${where}: missing field '${names[0]}'`);
    return def;
  }
  const [n, v] = p;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new JambaUserError(`${where}: field '${n}' must be an integer, got ${JSON.stringify(v)}`);
  if (v < min) throw new JambaUserError(`${where}: field '${n}' must be at least ${min}, got ${v}`);
  return v;
}

function numField(raw: Raw, names: string[], def: number, where: string): number {
  const p = pick(raw, names);
  if (!p || p[1] === null) return def;
  if (typeof p[1] !== 'number' || !Number.isFinite(p[1])) throw new JambaUserError(`${where}: field '${p[0]}' must be a number, got ${JSON.stringify(p[1])}`);
  return p[1];
}

function boolField(raw: Raw, name: string, def: boolean, where: string): boolean {
  const v = raw[name];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') throw new JambaUserError(`${where}: field '${name}' must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function optId(raw: Raw, name: string, def: number | null, where: string): number | null {
  const v = raw[name];
  if (v === undefined) return def;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new JambaUserError(`${where}: field '${name}' must be a token id, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Parses and validates an HF Jamba config.json object. `where` names the file in error messages.
 * Legacy names accepted: num_local_experts, num_experts_per_token, layer_norm_epsilon, n_ctx, mamba_d_model.
 */
export function parseConfig(raw: unknown, where = 'config.json'): JambaConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new JambaUserError(`${where}: expected a JSON object`);
  const r = raw as Raw;
  if (r.model_type !== undefined && r.model_type !== 'jamba') {
    throw new JambaUserError(`${where}: model_type is '${String(r.model_type)}', not 'jamba'`);
  }
  const H = intField(r, ['hidden_size', 'mamba_d_model'], 4096, where);
  const nH = intField(r, ['num_attention_heads'], 32, where);
  let nKV: number;
  if (r.num_key_value_heads === null) nKV = nH;
  else nKV = intField(r, ['num_key_value_heads'], 8, where);

  let R: number;
  const dtr = r.mamba_dt_rank;
  if (dtr === undefined || dtr === 'auto') R = Math.ceil(H / 16);
  else R = intField(r, ['mamba_dt_rank'], undefined, where);

  const actName = r.hidden_act ?? 'silu';
  if (typeof actName !== 'string' || !(actName in ACTS)) {
    throw new JambaUserError(`${where}: field 'hidden_act' is ${JSON.stringify(actName)}; supported: ${Object.keys(ACTS).join(', ')}`);
  }

  let eos: number[];
  const e = r.eos_token_id;
  if (e === undefined) eos = [2];
  else if (e === null) eos = [];
  else if (typeof e === 'number' && Number.isInteger(e) && e >= 0) eos = [e];
  else if (Array.isArray(e) && e.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) eos = e as number[];
  else throw new JambaUserError(`${where}: field 'eos_token_id' must be a token id or a list of ids, got ${JSON.stringify(e)}`);

  const sw = r.sliding_window;
  if (sw !== undefined && sw !== null && (typeof sw !== 'number' || !Number.isInteger(sw) || sw < 1)) {
    throw new JambaUserError(`${where}: field 'sliding_window' must be null or a positive integer`);
  }

  const c: JambaConfig = {
    vocabSize: intField(r, ['vocab_size'], 65536, where),
    tieWordEmbeddings: boolField(r, 'tie_word_embeddings', false, where),
    hiddenSize: H,
    intermediateSize: intField(r, ['intermediate_size'], 14336, where),
    numHiddenLayers: intField(r, ['num_hidden_layers'], 32, where),
    numAttentionHeads: nH,
    numKeyValueHeads: nKV,
    hiddenAct: ACTS[actName]!,
    initializerRange: numField(r, ['initializer_range'], 0.02, where),
    rmsNormEps: numField(r, ['rms_norm_eps', 'layer_norm_epsilon'], 1e-6, where),
    outputRouterLogits: boolField(r, 'output_router_logits', false, where),
    routerAuxLossCoef: numField(r, ['router_aux_loss_coef'], 0.001, where),
    padTokenId: optId(r, 'pad_token_id', 0, where),
    bosTokenId: optId(r, 'bos_token_id', 1, where),
    eosTokenIds: eos,
    slidingWindow: (sw as number | null | undefined) ?? null,
    maxPositionEmbeddings: intField(r, ['max_position_embeddings', 'n_ctx'], 262144, where),
    numExpertsPerTok: intField(r, ['num_experts_per_tok', 'num_experts_per_token'], 2, where),
    numExperts: intField(r, ['num_experts', 'num_local_experts'], 16, where),
    expertLayerPeriod: intField(r, ['expert_layer_period'], 2, where),
    expertLayerOffset: intField(r, ['expert_layer_offset'], 1, where, 0),
    attnLayerPeriod: intField(r, ['attn_layer_period'], 8, where),
    attnLayerOffset: intField(r, ['attn_layer_offset'], 4, where, 0),
    mambaDState: intField(r, ['mamba_d_state'], 16, where),
    mambaDConv: intField(r, ['mamba_d_conv'], 4, where),
    mambaExpand: intField(r, ['mamba_expand'], 2, where),
    mambaDtRank: R,
    mambaConvBias: boolField(r, 'mamba_conv_bias', true, where),
    mambaProjBias: boolField(r, 'mamba_proj_bias', false, where),
    useCache: boolField(r, 'use_cache', true, where),
    numLogitsToKeep: intField(r, ['num_logits_to_keep'], 1, where, 0),
    attentionDropout: numField(r, ['attention_dropout'], 0, where),
    useMambaKernels: boolField(r, 'use_mamba_kernels', true, where),
  };
  validateConfig(c, where);
  return c;
}

/** Cross-field checks (spec §1.1): each message names the fields involved. */
export function validateConfig(c: JambaConfig, where = 'config'): void {
  const fail = (m: string): never => { throw new JambaUserError(`${where}: ${m}`); };
  if (c.expertLayerOffset >= c.expertLayerPeriod) fail(`expert_layer_offset (${c.expertLayerOffset}) must be less than expert_layer_period (${c.expertLayerPeriod})`);
  if (c.attnLayerOffset >= c.attnLayerPeriod) fail(`attn_layer_offset (${c.attnLayerOffset}) must be less than attn_layer_period (${c.attnLayerPeriod})`);
  if (c.hiddenSize % c.numAttentionHeads !== 0) fail(`hidden_size (${c.hiddenSize}) must be divisible by num_attention_heads (${c.numAttentionHeads})`);
  if (c.numAttentionHeads % c.numKeyValueHeads !== 0) fail(`num_attention_heads (${c.numAttentionHeads}) must be divisible by num_key_value_heads (${c.numKeyValueHeads})`);
  if (c.numExpertsPerTok > c.numExperts) fail(`num_experts_per_tok (${c.numExpertsPerTok}) must not exceed num_experts (${c.numExperts})`);
  if (!(c.rmsNormEps > 0)) fail(`rms_norm_eps must be positive, got ${c.rmsNormEps}`);
  for (const [name, id] of [['pad_token_id', c.padTokenId], ['bos_token_id', c.bosTokenId]] as const) {
    if (id !== null && id >= c.vocabSize) fail(`${name} (${id}) is outside the vocabulary (vocab_size ${c.vocabSize})`);
  }
  for (const id of c.eosTokenIds) if (id >= c.vocabSize) fail(`eos_token_id ${id} is outside the vocabulary (vocab_size ${c.vocabSize})`);
}

/** The config as HF's config.json (for writing checkpoints and GGUF round trips). */
export function configToHf(c: JambaConfig): Record<string, unknown> {
  return {
    architectures: ['JambaForCausalLM'],
    model_type: 'jamba',
    vocab_size: c.vocabSize,
    tie_word_embeddings: c.tieWordEmbeddings,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    num_key_value_heads: c.numKeyValueHeads,
    hidden_act: c.hiddenAct,
    initializer_range: c.initializerRange,
    rms_norm_eps: c.rmsNormEps,
    output_router_logits: c.outputRouterLogits,
    router_aux_loss_coef: c.routerAuxLossCoef,
    pad_token_id: c.padTokenId,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
    sliding_window: c.slidingWindow,
    max_position_embeddings: c.maxPositionEmbeddings,
    num_experts_per_tok: c.numExpertsPerTok,
    num_experts: c.numExperts,
    expert_layer_period: c.expertLayerPeriod,
    expert_layer_offset: c.expertLayerOffset,
    attn_layer_period: c.attnLayerPeriod,
    attn_layer_offset: c.attnLayerOffset,
    mamba_d_state: c.mambaDState,
    mamba_d_conv: c.mambaDConv,
    mamba_expand: c.mambaExpand,
    mamba_dt_rank: c.mambaDtRank,
    mamba_conv_bias: c.mambaConvBias,
    mamba_proj_bias: c.mambaProjBias,
    use_cache: c.useCache,
    num_logits_to_keep: c.numLogitsToKeep,
    attention_dropout: c.attentionDropout,
    // jamba-ts never needs HF's CUDA kernels; false lets HF run an exported folder on CPU too.
    use_mamba_kernels: false,
  };
}

/**
 * What a checkpoint is, without loading its weights: config, layer plan, parameter counts (total and
 * active per token) and memory (weights, KV bytes per token, recurrent bytes per sequence).
 */
import type { TensorSource } from '../io/source.js';
import { byteSize, numel } from '../tensor/weight.js';
import { JambaConfig, LayerPlan, dims, layerPlan } from './config.js';

export interface ModelInfo {
  plan: LayerPlan[];
  params: { total: number; activePerToken: number; embedding: number };
  bytes: { weights: number; kvPerToken: number; recurrentPerSequence: number };
  dtypes: Record<string, number>;
}

export function modelInfo(c: JambaConfig, src: TensorSource): ModelInfo {
  const { nE, k, nKV, d, E, N, K } = dims(c);
  const plan = layerPlan(c);
  let total = 0, weights = 0, inactive = 0, embedding = 0;
  const dtypes: Record<string, number> = {};
  for (const name of src.names()) {
    const info = src.info(name)!;
    const n = numel(info.shape);
    total += n;
    weights += byteSize(info.dtype, info.shape);
    dtypes[info.dtype] = (dtypes[info.dtype] ?? 0) + n;
    if (name === 'model.embed_tokens.weight') embedding = n;
    // Each token runs k of the nE experts of an MoE layer.
    if (/\.feed_forward\.experts\.\d+\./.test(name)) inactive += (n * (nE - k)) / nE;
  }
  const attn = plan.filter((p) => p.mixer === 'attention').length;
  const mamba = plan.length - attn;
  return {
    plan,
    params: { total, activePerToken: Math.round(total - inactive), embedding },
    bytes: {
      weights,
      kvPerToken: attn * 2 * nKV * d * 4,
      recurrentPerSequence: mamba * (E * (K - 1) + E * N) * 4,
    },
    dtypes,
  };
}

export function formatBytes(b: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return `${b.toFixed(i === 0 ? 0 : 2)} ${u[i]}`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/**
 * Deterministic random-weight Jamba checkpoints for tests and benchmarks: every tensor of a config's
 * layer plan under HF names, drawn from a seeded generator, written as an HF folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../io/safetensors-write.js';
import { f32ToBf16, f32ToF16 } from '../tensor/dtype.js';
import type { Weight } from '../tensor/weight.js';
import { JambaConfig, configToHf, dims, layerPlan, parseConfig } from './config.js';

/** mulberry32: small, fast, deterministic 32-bit PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from a uniform generator. */
export function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(u() + 1e-300)) * Math.cos(2 * Math.PI * u());
}

/** Tensor names and shapes of a config (HF names, spec §2). */
export function tensorShapes(c: JambaConfig): [string, number[]][] {
  const { H, I, V, nH, nKV, d, E, N, K, R, nE } = dims(c);
  const out: [string, number[]][] = [['model.embed_tokens.weight', [V, H]], ['model.final_layernorm.weight', [H]]];
  if (!c.tieWordEmbeddings) out.push(['lm_head.weight', [V, H]]);
  for (const p of layerPlan(c)) {
    const pre = `model.layers.${p.index}.`;
    out.push([pre + 'input_layernorm.weight', [H]], [pre + 'pre_ff_layernorm.weight', [H]]);
    if (p.mixer === 'attention') {
      const a = pre + 'self_attn.';
      out.push([a + 'q_proj.weight', [nH * d, H]], [a + 'k_proj.weight', [nKV * d, H]], [a + 'v_proj.weight', [nKV * d, H]], [a + 'o_proj.weight', [H, nH * d]]);
    } else {
      const m = pre + 'mamba.';
      out.push([m + 'in_proj.weight', [2 * E, H]]);
      if (c.mambaProjBias) out.push([m + 'in_proj.bias', [2 * E]], [m + 'out_proj.bias', [H]]);
      out.push([m + 'conv1d.weight', [E, 1, K]]);
      if (c.mambaConvBias) out.push([m + 'conv1d.bias', [E]]);
      out.push([m + 'x_proj.weight', [R + 2 * N, E]], [m + 'dt_layernorm.weight', [R]], [m + 'b_layernorm.weight', [N]], [m + 'c_layernorm.weight', [N]],
        [m + 'dt_proj.weight', [E, R]], [m + 'dt_proj.bias', [E]], [m + 'A_log', [E, N]], [m + 'D', [E]], [m + 'out_proj.weight', [H, E]]);
    }
    const f = pre + 'feed_forward.';
    if (p.ffn === 'moe') {
      out.push([f + 'router.weight', [nE, H]]);
      for (let e = 0; e < nE; e++) out.push([`${f}experts.${e}.gate_proj.weight`, [I, H]], [`${f}experts.${e}.up_proj.weight`, [I, H]], [`${f}experts.${e}.down_proj.weight`, [H, I]]);
    } else {
      out.push([f + 'gate_proj.weight', [I, H]], [f + 'up_proj.weight', [I, H]], [f + 'down_proj.weight', [H, I]]);
    }
  }
  return out;
}

/** Values for one tensor, in the spirit of the reference fixtures (norms near 1, A_log = log(1..N) + noise). */
function values(name: string, shape: number[], g: () => number, std: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  if (name.endsWith('layernorm.weight')) for (let i = 0; i < n; i++) v[i] = 1 + 0.2 * g();
  else if (name.endsWith('.A_log')) { const N = shape[1]!; for (let i = 0; i < n; i++) v[i] = Math.log(1 + (i % N)) + 0.2 * g(); }
  else if (name.endsWith('.D')) for (let i = 0; i < n; i++) v[i] = 1 + 0.3 * g();
  else if (name.endsWith('dt_proj.bias')) for (let i = 0; i < n; i++) v[i] = 0.7 * g() - 1;
  else if (name.endsWith('.bias')) for (let i = 0; i < n; i++) v[i] = 0.1 * g();
  else for (let i = 0; i < n; i++) v[i] = std * g();
  return v;
}

function encode(v: Float32Array, dtype: 'f32' | 'f16' | 'bf16'): Uint8Array {
  if (dtype === 'f32') return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const u = new Uint16Array(v.length);
  const f = dtype === 'f16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < v.length; i++) u[i] = f(v[i]!);
  return new Uint8Array(u.buffer);
}

export interface RandomModelOptions {
  seed?: number;
  /** std of matrix entries (default: initializer_range). */
  std?: number;
  dtype?: 'f32' | 'f16' | 'bf16';
}

/** Random weights for `config` (an HF config.json object), deterministic for a seed. */
export function randomWeights(configJson: Record<string, unknown>, opts: RandomModelOptions = {}): Weight[] {
  const c = parseConfig(configJson);
  const g = gaussian(rng(opts.seed ?? 0));
  const std = opts.std ?? c.initializerRange;
  const dtype = opts.dtype ?? 'f32';
  return tensorShapes(c).map(([name, shape]) => {
    const isVec = shape.length === 1 || name.endsWith('.A_log') || name.endsWith('conv1d.weight');
    const dt = isVec ? 'f32' : dtype;
    return { name, dtype: dt, shape, data: encode(values(name, shape, g, std), dt) };
  });
}

/** Writes an HF folder (config.json + model.safetensors) with random weights. */
export function writeRandomModel(dir: string, configJson: Record<string, unknown>, opts: RandomModelOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  const c = parseConfig(configJson);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configToHf(c), null, 2) + '\n');
  writeSafetensors(join(dir, 'model.safetensors'), randomWeights(configJson, opts));
}

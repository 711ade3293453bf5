/**
 * The `--config` file of `jamba train`: the model's HF config fields plus training and tokenizer
 * settings, as one JSON object
 *   { "model": { …config.json fields… }, "tokenizer": { "vocab_size": 4096 }, "training": { … } }
 * (a file without "model" is taken as the model config alone, with default training settings).
 * Field names are snake_case; every value is checked and a wrong one names its field.
 */
import { JambaUserError } from '../errors.js';

export interface TrainSettings {
  seqLen: number;
  batchSize: number;
  gradAccum: number;
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  gradClip: number;
  seed: number;
  evalEvery: number;
  evalBatches: number;
  saveEvery: number;
  valFraction: number;
}

export interface TokenizerSettings { vocabSize: number; minCharCount: number }

export interface Recipe { model: Record<string, unknown>; tokenizer: TokenizerSettings; training: TrainSettings }

export const TRAIN_DEFAULTS: TrainSettings = {
  seqLen: 256, batchSize: 8, gradAccum: 1, steps: 1000, lr: 2e-3, minLr: 2e-4, warmupSteps: 50,
  weightDecay: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, gradClip: 1, seed: 1234,
  evalEvery: 100, evalBatches: 8, saveEvery: 100, valFraction: 0.05,
};

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

function settings<T extends object>(raw: unknown, defaults: T, where: string, ints: readonly string[]): T {
  if (raw === undefined) return { ...defaults };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new JambaUserError(`${where}: expected an object`);
  const r = raw as Record<string, unknown>;
  const known = new Set(Object.keys(defaults).map(snake));
  for (const k of Object.keys(r)) if (!known.has(k)) throw new JambaUserError(`${where}: unknown field '${k}' (known: ${[...known].join(', ')})`);
  const out = { ...defaults } as Record<string, number>;
  for (const key of Object.keys(defaults)) {
    const v = r[snake(key)];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new JambaUserError(`${where}: field '${snake(key)}' must be a non-negative number, got ${JSON.stringify(v)}`);
    if (ints.includes(key) && !Number.isInteger(v)) throw new JambaUserError(`${where}: field '${snake(key)}' must be an integer, got ${v}`);
    out[key] = v;
  }
  return out as T;
}

export function parseRecipe(raw: unknown, where: string): Recipe {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new JambaUserError(`${where}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  if (!('model' in r)) return { model: r, tokenizer: { vocabSize: 4096, minCharCount: 10 }, training: { ...TRAIN_DEFAULTS } };
  for (const k of Object.keys(r)) if (!['model', 'tokenizer', 'training'].includes(k)) throw new JambaUserError(`${where}: unknown section '${k}' (expected model, tokenizer, training)`);
  if (typeof r.model !== 'object' || r.model === null || Array.isArray(r.model)) throw new JambaUserError(`${where}: 'model' must be an object of config.json fields`);
  const training = settings(r.training, TRAIN_DEFAULTS, `${where}: training`, ['seqLen', 'batchSize', 'gradAccum', 'steps', 'warmupSteps', 'seed', 'evalEvery', 'evalBatches', 'saveEvery']);
  for (const k of ['seqLen', 'batchSize', 'gradAccum', 'steps'] as const) if (training[k] < 1) throw new JambaUserError(`${where}: training.${snake(k)} must be at least 1`);
  if (training.valFraction >= 1) throw new JambaUserError(`${where}: training.val_fraction must be below 1`);
  const tokenizer = settings(r.tokenizer, { vocabSize: 4096, minCharCount: 10 }, `${where}: tokenizer`, ['vocabSize', 'minCharCount']);
  return { model: r.model as Record<string, unknown>, tokenizer, training };
}

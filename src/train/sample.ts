/**
 * A short sample from the model being trained, shown at each evaluation so progress can be read as
 * text: BOS + the prompt, then tokens drawn at temperature `temp` (seeded, so the same checkpoint gives
 * the same sample) until EOS or `n` tokens. Uses the training forward on the whole prefix each step,
 * which is plenty fast for a few dozen tokens.
 */
import { rng } from '../model/random.js';
import type { TrainModel } from './model.js';

export function sampleIds(model: TrainModel, prefix: readonly number[], n: number, eos: number, temp = 0.8, seed = 1): number[] {
  const u = rng(seed);
  const ids = [...prefix];
  const V = model.dims.V;
  for (let s = 0; s < n; s++) {
    const T = ids.length;
    const logits = model.forward(Int32Array.from(ids), null, 1, T, { logits: true }).logits!;
    const o = (T - 1) * V;
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (logits[o + i]! > max) max = logits[o + i]!;
    const p = new Float64Array(V);
    let sum = 0;
    for (let i = 0; i < V; i++) { p[i] = Math.exp((logits[o + i]! - max) / temp); sum += p[i]!; }
    let r = u() * sum, next = V - 1;
    for (let i = 0; i < V; i++) { r -= p[i]!; if (r <= 0) { next = i; break; } }
    ids.push(next);
    if (next === eos) break;
  }
  return ids.slice(prefix.length);
}

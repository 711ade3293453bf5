/**
 * Initialisation for training from scratch, as HF's `_init_weights` does it (spec §9): every Linear and
 * Conv1d weight ~ N(0, initializer_range), every bias 0 (dt_proj.bias and conv1d.bias included), the
 * embedding ~ N(0, initializer_range) with the pad row zeroed, every RMSNorm weight 1,
 * A_log[e, n] = log(n + 1) (S4D-real), D = 1. Deterministic for a seed: parameters are drawn in
 * `tensorShapes` order from one seeded generator.
 */
import { gaussian, rng } from '../model/random.js';
import type { ParamSet } from './params.js';

export function initParams(ps: ParamSet, seed: number): void {
  const g = gaussian(rng(seed));
  const std = ps.config.initializerRange;
  const N = ps.config.mambaDState;
  for (const p of ps.list) {
    const d = p.data, n = d.length, name = p.name;
    if (name.endsWith('layernorm.weight')) d.fill(1);
    else if (name.endsWith('.A_log')) for (let i = 0; i < n; i++) d[i] = Math.log(1 + (i % N));
    else if (name.endsWith('.D')) d.fill(1);
    else if (name.endsWith('.bias')) d.fill(0);
    else {
      for (let i = 0; i < n; i++) d[i] = std * g();
      const pad = ps.config.padTokenId;
      if (name === 'model.embed_tokens.weight' && pad !== null) {
        const H = p.shape[1]!;
        d.fill(0, pad * H, (pad + 1) * H);
      }
    }
  }
}

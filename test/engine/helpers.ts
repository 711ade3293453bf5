/** Shared bits of the engine tests: a small reference model, random prompts, a forward spy. */
import { RefBackend } from '../../src/backends/ref/index.js';
import { loadModel } from '../../src/model/load.js';
import type { JambaModel, SequenceInput, ForwardOptions } from '../../src/model/jamba.js';
import { rng } from '../../src/model/random.js';
import type { TokenSampler } from '../../src/engine/types.js';
import { referenceDir } from '../helpers/reference.js';

let cached: Promise<JambaModel> | null = null;

/** The hybrid-moe reference model (attention + Mamba + MoE, vocab 512), loaded once per process. */
export function smallModel(): Promise<JambaModel> {
  cached ??= loadModel(referenceDir('hybrid-moe'), new RefBackend());
  return cached;
}

/** A prompt of n ids in 3..V-1 (never pad/BOS/EOS), deterministic for a seed. */
export function randomPrompt(seed: number, n: number, V: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => 3 + Math.floor(r() * (V - 3)));
}

/** Records the chunk lengths of every forward call (one list per call) while active. */
export function spyForward(model: JambaModel): { calls: number[][]; restore: () => void } {
  const calls: number[][] = [];
  const orig = model.forward.bind(model);
  model.forward = (batch: readonly SequenceInput[], opts?: ForwardOptions) => {
    calls.push(batch.map((b) => b.tokens.length));
    return orig(batch, opts);
  };
  return { calls, restore: () => { model.forward = orig; } };
}

/** A test-only sampler: softmax at temperature 1 and a draw from the request's own seeded generator. */
export function seededSampler(seed: number): TokenSampler {
  const u = rng(seed);
  return {
    next(row: Float32Array) {
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v);
      let total = 0;
      for (const v of row) total += Math.exp(v - m);
      let r = u() * total;
      for (let i = 0; i < row.length; i++) {
        r -= Math.exp(row[i]! - m);
        if (r < 0) return { id: i };
      }
      return { id: row.length - 1 };
    },
  };
}

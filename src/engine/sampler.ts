/**
 * The engine's default token chooser: greedy (argmax, ties to the lowest id), optionally with the
 * model's log-probabilities (generate/sampling-logprobs.ts) for the chosen token and the n most likely.
 * Temperature, top-p, seeds and penalties come from src/generate/sampling.ts through the caller's
 * `TokenSampler` (the server builds one per request).
 */
import { argmaxRow } from '../generate/greedy.js';
import { logSumExp, topLogprobs } from '../generate/sampling-logprobs.js';
import type { TokenChoice, TokenSampler } from './types.js';

/** Greedy choice; with `logprobs` = n, also the chosen token's logprob and the n most likely tokens. */
export function greedySampler(logprobs?: number): TokenSampler {
  return {
    next(row: Float32Array): TokenChoice {
      const id = argmaxRow(row, 0, row.length);
      if (logprobs === undefined) return { id };
      const logZ = logSumExp(row);
      return { id, logprob: row[id]! - logZ, top: topLogprobs(row, logprobs, logZ) };
    },
  };
}

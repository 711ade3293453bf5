/**
 * The engine's default token chooser: greedy (argmax, ties to the lowest id), optionally with the
 * model's log-probabilities (log-softmax of the raw logits) for the chosen token and the n most likely.
 * Temperature, top-p, seeds and penalties come from src/generate/sampling.ts through the caller's
 * `TokenSampler` (the server builds one per request).
 */
import { argmaxRow } from '../generate/greedy.js';
import type { TokenChoice, TokenSampler, TopLogprob } from './types.js';

/** log Σ exp(row), in float64 around the maximum. */
export function logSumExpRow(row: Float32Array): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > m) m = row[i]!;
  if (m === -Infinity) return m;
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i]! - m);
  return m + Math.log(s);
}

/** The n largest entries of `row` as [index, value], largest first (ties: lower index first). */
export function topN(row: Float32Array, n: number): [number, number][] {
  const best: [number, number][] = [];
  if (n <= 0) return best;
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (best.length === n && v <= best[n - 1]![1]) continue;
    let j = best.length < n ? best.length : n - 1;
    while (j > 0 && best[j - 1]![1] < v) j--;
    best.splice(j, 0, [i, v]);
    if (best.length > n) best.pop();
  }
  return best;
}

/** Greedy choice; with `logprobs` = n, also the chosen token's logprob and the n most likely tokens. */
export function greedySampler(logprobs?: number): TokenSampler {
  return {
    next(row: Float32Array): TokenChoice {
      const id = argmaxRow(row, 0, row.length);
      if (logprobs === undefined) return { id };
      const lse = logSumExpRow(row);
      const top: TopLogprob[] = topN(row, logprobs).map(([i, v]) => ({ id: i, logprob: v - lse }));
      return { id, logprob: row[id]! - lse, top };
    },
  };
}

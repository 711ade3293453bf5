/**
 * Log-probabilities under the model's own distribution: log_softmax of the raw logits (before
 * penalties, bias, temperature and truncation, as vLLM reports by default), for the chosen token and
 * the n most likely alternatives.
 */

export interface TokenLogprob {
  id: number;
  logprob: number;
}

/** log Σ exp(x_i), computed stably. */
export function logSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i]! - max);
  return max + Math.log(s);
}

/** The `n` largest logits as log-probabilities, most likely first (ties: lower id first). */
export function topLogprobs(x: Float32Array, n: number, logZ = logSumExp(x)): TokenLogprob[] {
  if (n <= 0) return [];
  // A small sorted list (descending): at most n entries, so O(V·n) worst case, O(V) typically.
  const best: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (best.length === n && !(v > x[best[n - 1]!]!)) continue;
    let j = best.length < n ? best.length : n - 1;
    best[j] = i;
    while (j > 0 && x[best[j - 1]!]! < v) {
      best[j] = best[j - 1]!;
      best[j - 1] = i;
      j--;
    }
  }
  return best.map((id) => ({ id, logprob: x[id]! - logZ }));
}

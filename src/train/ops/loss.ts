/**
 * Cross-entropy of next-token logits, averaged over the rows whose target is not −1:
 *   loss = −(1/n) Σ_t log softmax(logits_t)[target_t],   ∂loss/∂logits_t = (softmax_t − onehot_t)/n.
 * Sums run in float64 whatever the array type.
 */
import { trainAddon, trainThreads } from '../native.js';
import type { Arr } from '../tensor.js';

/** Returns the mean loss and the number of counted rows; writes scale·∂loss/∂logits into dlogits if given. */
export function crossEntropy(logits: Arr, targets: Int32Array, M: number, V: number, dlogits: Arr | null, scale = 1): { loss: number; count: number } {
  let count = 0;
  for (let t = 0; t < M; t++) if (targets[t]! >= 0) count++;
  if (count === 0) return { loss: 0, count: 0 };
  const kn = trainAddon();
  if (kn && logits instanceof Float32Array && (dlogits === null || dlogits instanceof Float32Array)) {
    return { loss: kn.crossEntropy(M, V, trainThreads(), logits, targets, dlogits, scale, count) / count, count };
  }
  let total = 0;
  for (let t = 0; t < M; t++) {
    const o = t * V, y = targets[t]!;
    if (y < 0) { if (dlogits) dlogits.fill(0, o, o + V); continue; }
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (logits[o + i]! > max) max = logits[o + i]!;
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(logits[o + i]! - max);
    const lse = max + Math.log(sum);
    total += lse - logits[o + y]!;
    if (dlogits) {
      const k = scale / count;
      for (let i = 0; i < V; i++) dlogits[o + i] = Math.exp(logits[o + i]! - lse) * k;
      dlogits[o + y] -= k;
    }
  }
  return { loss: total / count, count };
}

/**
 * The candidate set a token is drawn from, after temperature, as transformers' warpers define it
 * (TopK → TopP → MinP, each on the renormalised survivors of the one before):
 *  - top-k: the k most likely tokens (ties: lower id first);
 *  - top-p (nucleus, Holtzman et al. 2019): the most likely tokens until their probability reaches p;
 *  - min-p (Nguyen et al. 2024): tokens at least min_p times as likely as the most likely one.
 * Weights are exp(x − max), unnormalised; only survivors are sorted. For top-p, tokens whose normalised
 * probability is below (1 − p)/n can never be in the nucleus (together they hold less than 1 − p), so
 * they are dropped before sorting.
 */

export interface FilterParams {
  /** 0 or undefined: off. */
  topK?: number;
  /** 1 or undefined: off. */
  topP?: number;
  /** 0 or undefined: off. */
  minP?: number;
}

export interface Candidates {
  /** Token ids, most likely first when `sorted`. */
  ids: Uint32Array;
  /** exp(logit − max logit) for each id, same order. */
  weights: Float64Array;
  sorted: boolean;
}

/** The value that the k-th largest of `a` has (k ≥ 1), by quickselect; reorders `a`. */
export function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

function sortByWeight(ids: Uint32Array, w: Float64Array): void {
  ids.sort((a, b) => w[b]! - w[a]! || a - b);
}

/** Candidates after top-k, top-p and min-p over temperature-scaled logits `x` (−Infinity = banned). */
export function selectCandidates(x: Float32Array, p: FilterParams): Candidates {
  const V = x.length;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (x[i]! > max) max = x[i]!;
  if (max === -Infinity || Number.isNaN(max)) throw new RangeError('no token can be sampled: every logit is -Infinity or NaN');
  const w = new Float64Array(V);
  const minP = p.minP ?? 0;
  let ids: Uint32Array;
  {
    const keep: number[] = [];
    for (let i = 0; i < V; i++) {
      const e = Math.exp(x[i]! - max);
      w[i] = e;
      // min-p is a ratio to the most likely token, so it does not change under renormalisation.
      if (e > 0 && e >= minP) keep.push(i);
    }
    ids = Uint32Array.from(keep);
  }
  let sorted = false;
  const k = p.topK ?? 0;
  if (k > 0 && k < ids.length) {
    const kth = kthLargest(Float64Array.from(ids, (i) => w[i]!), k);
    const above = ids.filter((i) => w[i]! > kth);
    const ties = ids.filter((i) => w[i]! === kth).subarray(0, k - above.length);
    ids = Uint32Array.from([...above, ...ties]);
  }
  const topP = p.topP ?? 1;
  if (topP < 1) {
    let total = 0;
    for (const i of ids) total += w[i]!;
    const floor = ((1 - topP) / ids.length) * total;
    ids = ids.filter((i) => w[i]! >= floor);
    sortByWeight(ids, w);
    sorted = true;
    let cum = 0;
    let n = 0;
    while (n < ids.length && (n === 0 || cum < topP * total)) cum += w[ids[n++]!]!;
    ids = ids.subarray(0, n);
  }
  if (!sorted && ids.length <= 4096) {
    sortByWeight(ids, w);
    sorted = true;
  }
  return { ids, weights: Float64Array.from(ids, (i) => w[i]!), sorted };
}

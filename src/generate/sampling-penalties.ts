/**
 * Logit processors that look at what was generated before: logit bias and the repetition, presence and
 * frequency penalties. Each works in place on a row of logits [V].
 *  - repetition penalty r (CTRL, Keskar et al. 2019; transformers' RepetitionPenaltyLogitsProcessor):
 *    every token seen in the window gets logit / r if positive, logit · r if not;
 *  - presence p and frequency f (OpenAI's definition): logit −= p·[count > 0] + f·count;
 *  - logit bias: logit += bias[id]; −Infinity bans a token.
 */

export interface PenaltyParams {
  /** > 0; 1 is off. */
  repetitionPenalty?: number;
  /** 0 is off; may be negative to encourage repeats. */
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Look only at the last n ids of the history (undefined: all of it; 0: none). */
  penaltyLastN?: number;
}

export type LogitBias = ReadonlyMap<number, number> | Readonly<Record<number, number>>;

export function biasEntries(bias: LogitBias): [number, number][] {
  if (bias instanceof Map) return [...bias.entries()];
  return Object.entries(bias).map(([k, v]) => [Number(k), v]);
}

export function applyLogitBias(logits: Float32Array, bias: LogitBias): void {
  for (const [id, b] of biasEntries(bias)) {
    if (id >= 0 && id < logits.length) logits[id] = logits[id]! + b;
  }
}

/** How often each id occurs in the penalty window of `history`. */
export function tokenCounts(history: readonly number[], lastN: number | undefined): Map<number, number> {
  const start = lastN === undefined ? 0 : Math.max(0, history.length - lastN);
  const counts = new Map<number, number>();
  for (let i = start; i < history.length; i++) counts.set(history[i]!, (counts.get(history[i]!) ?? 0) + 1);
  return counts;
}

export function applyPenalties(logits: Float32Array, history: readonly number[], p: PenaltyParams): void {
  const rep = p.repetitionPenalty ?? 1;
  const pres = p.presencePenalty ?? 0;
  const freq = p.frequencyPenalty ?? 0;
  if (rep === 1 && pres === 0 && freq === 0) return;
  for (const [id, count] of tokenCounts(history, p.penaltyLastN)) {
    if (id < 0 || id >= logits.length) continue;
    let x = logits[id]!;
    if (rep !== 1) x = x > 0 ? x / rep : x * rep;
    x -= pres + freq * count;
    logits[id] = x;
  }
}

/**
 * Choosing the next token from a row of logits [V]. Order of operations (transformers' logits
 * processors, then warpers): logit bias → repetition/presence/frequency penalties → greedy argmax if
 * temperature is 0, else temperature → top-k → top-p → min-p → a draw from the seeded Rng. The same
 * seed, params, logits and history give the same token on every run. Log-probabilities reported with
 * the token are the model's raw ones (sampling-logprobs.ts).
 */
import { JambaUserError } from '../errors.js';
import { argmaxRow } from './greedy.js';
import { selectCandidates, type FilterParams } from './sampling-filters.js';
import { logSumExp, topLogprobs, type TokenLogprob } from './sampling-logprobs.js';
import { applyLogitBias, applyPenalties, biasEntries, type LogitBias, type PenaltyParams } from './sampling-penalties.js';
import { Rng } from './sampling-rng.js';

export type { TokenLogprob } from './sampling-logprobs.js';

export interface SamplingParams extends FilterParams, PenaltyParams {
  /** 0: greedy (argmax); default 1. */
  temperature?: number;
  logitBias?: LogitBias;
  /** Seed of the random stream; omitted: a fresh random seed. */
  seed?: number;
  /** How many most likely alternatives to report with each token (0–20; default 0). */
  topLogprobs?: number;
}

export interface SampledToken {
  id: number;
  /** log p(id) under the raw logits. */
  logprob: number;
  /** The most likely tokens under the raw logits, most likely first (empty unless asked for). */
  topLogprobs: TokenLogprob[];
}

/** Checks user-given sampling parameters; each error names the parameter. */
export function validateSamplingParams(p: SamplingParams): void {
  const bad = (name: string, rule: string, v: unknown): never => {
    throw new JambaUserError(`sampling: ${name} must be ${rule}, got ${String(v)}`);
  };
  const finite = (v: number | undefined): boolean => v === undefined || Number.isFinite(v);
  if (!finite(p.temperature) || (p.temperature ?? 1) < 0) bad('temperature', 'a number ≥ 0', p.temperature);
  if (p.topK !== undefined && (!Number.isInteger(p.topK) || p.topK < 0)) bad('top_k', 'an integer ≥ 0', p.topK);
  if (!finite(p.topP) || (p.topP ?? 1) <= 0 || (p.topP ?? 1) > 1) bad('top_p', 'in (0, 1]', p.topP);
  if (!finite(p.minP) || (p.minP ?? 0) < 0 || (p.minP ?? 0) > 1) bad('min_p', 'in [0, 1]', p.minP);
  if (!finite(p.repetitionPenalty) || (p.repetitionPenalty ?? 1) <= 0) bad('repetition_penalty', 'a number > 0', p.repetitionPenalty);
  if (!finite(p.presencePenalty)) bad('presence_penalty', 'a finite number', p.presencePenalty);
  if (!finite(p.frequencyPenalty)) bad('frequency_penalty', 'a finite number', p.frequencyPenalty);
  if (p.penaltyLastN !== undefined && (!Number.isInteger(p.penaltyLastN) || p.penaltyLastN < 0)) bad('penalty_last_n', 'an integer ≥ 0', p.penaltyLastN);
  if (p.seed !== undefined && !Number.isInteger(p.seed)) bad('seed', 'an integer', p.seed);
  if (p.topLogprobs !== undefined && (!Number.isInteger(p.topLogprobs) || p.topLogprobs < 0 || p.topLogprobs > 20)) bad('top_logprobs', 'an integer in 0..20', p.topLogprobs);
  if (p.logitBias) for (const [id, b] of biasEntries(p.logitBias)) {
    if (!Number.isInteger(id) || id < 0) bad('logit_bias key', 'a token id', id);
    if (Number.isNaN(b) || b === Infinity) bad(`logit_bias[${id}]`, 'a number or -Infinity', b);
  }
}

/** Index of the largest value (ties: lowest index). */
export function argmax(x: Float32Array): number {
  return argmaxRow(x, 0, x.length);
}

export class Sampler {
  private rng: Rng;
  private work = new Float32Array(0);

  constructor(readonly params: SamplingParams = {}, rng?: Rng) {
    validateSamplingParams(params);
    this.rng = rng ?? new Rng(params.seed);
  }

  /** Chooses the next token; `history` is what the penalties look at (prompt and/or generated ids). */
  sample(logits: Float32Array, history: readonly number[] = []): SampledToken {
    const p = this.params;
    if (this.work.length !== logits.length) this.work = new Float32Array(logits.length);
    const x = this.work;
    x.set(logits);
    if (p.logitBias) applyLogitBias(x, p.logitBias);
    applyPenalties(x, history, p);
    const t = p.temperature ?? 1;
    let id: number;
    if (t === 0 || p.topK === 1) {
      id = argmax(x);
      if (x[id] === -Infinity) throw new RangeError('no token can be sampled: every logit is -Infinity');
    } else {
      if (t !== 1) for (let i = 0; i < x.length; i++) x[i] = x[i]! / t;
      id = this.draw(x);
    }
    const n = p.topLogprobs ?? 0;
    const logZ = logSumExp(logits);
    return { id, logprob: logits[id]! - logZ, topLogprobs: topLogprobs(logits, n, logZ) };
  }

  /** The generator state, to save a session and continue it with `Sampler.restore`. */
  rngState(): number[] {
    return this.rng.state();
  }

  static restore(params: SamplingParams, rngState: readonly number[]): Sampler {
    return new Sampler(params, Rng.restore(rngState));
  }

  private draw(x: Float32Array): number {
    const c = selectCandidates(x, this.params);
    let total = 0;
    for (let i = 0; i < c.weights.length; i++) total += c.weights[i]!;
    let r = this.rng.next() * total;
    for (let i = 0; i < c.ids.length; i++) {
      r -= c.weights[i]!;
      if (r < 0) return c.ids[i]!;
    }
    return c.ids[c.ids.length - 1]!; // rounding left r ≥ 0 after the last weight
  }
}

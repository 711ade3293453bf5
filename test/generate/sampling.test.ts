/**
 * Sampling over fixed logit rows: greedy, seeded reproducibility, frequencies matching the intended
 * distribution after temperature / top-k / top-p / min-p (checked against a plain full-sort reference
 * on a large random vocabulary), penalties, logit bias, log-probabilities and parameter errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JambaUserError } from '../../src/errors.js';
import { selectCandidates } from '../../src/generate/sampling-filters.js';
import { applyPenalties } from '../../src/generate/sampling-penalties.js';
import { argmax, Sampler, type SamplingParams } from '../../src/generate/sampling.js';
import { Rng } from '../../src/generate/sampling-rng.js';

const logitsOf = (probs: number[]): Float32Array => Float32Array.from(probs, Math.log);

function frequencies(params: SamplingParams, logits: Float32Array, n: number): number[] {
  const s = new Sampler({ seed: 1234, ...params });
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[s.sample(logits).id]!++;
  return counts.map((c) => c / n);
}

function assertClose(got: number[], want: number[], tol: number): void {
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= tol, `p[${i}] = ${g.toFixed(4)}, want ${want[i]!.toFixed(4)} (all: ${got.map((x) => x.toFixed(3))})`));
}

/** Top-p as transformers defines it, by sorting everything (the reference for the fast path). */
function referenceTopP(x: Float32Array, p: number): number[] {
  const max = Math.max(...x);
  const w = Array.from(x, (v) => Math.exp(v - max));
  const total = w.reduce((a, b) => a + b, 0);
  const order = [...w.keys()].sort((a, b) => w[b]! - w[a]! || a - b);
  const keep: number[] = [];
  let cum = 0;
  for (const i of order) {
    if (keep.length > 0 && cum >= p * total) break;
    keep.push(i);
    cum += w[i]!;
  }
  return keep;
}

describe('Sampler', () => {
  it('is greedy at temperature 0 (ties: lowest id) and with top_k 1', () => {
    const x = Float32Array.from([0.1, 3, -1, 3, 2]);
    assert.equal(new Sampler({ temperature: 0 }).sample(x).id, 1);
    assert.equal(new Sampler({ topK: 1, seed: 5 }).sample(x).id, 1);
    assert.equal(argmax(Float32Array.from([-Infinity, -5, -Infinity])), 1);
  });

  it('gives the same tokens for the same seed, other tokens for another seed', () => {
    const rng = new Rng(99);
    const rows = Array.from({ length: 50 }, () => Float32Array.from({ length: 100 }, () => rng.next() * 4));
    const run = (seed: number): number[] => {
      const s = new Sampler({ seed, temperature: 0.9, topP: 0.95, topK: 40 });
      return rows.map((r) => s.sample(r).id);
    };
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });

  it('draws tokens with their probabilities', () => {
    assertClose(frequencies({}, logitsOf([0.5, 0.3, 0.2]), 20000), [0.5, 0.3, 0.2], 0.015);
  });

  it('sharpens with temperature < 1 (p^(1/T), renormalised)', () => {
    const want = [0.25, 0.09, 0.04].map((v) => v / 0.38);
    assertClose(frequencies({ temperature: 0.5 }, logitsOf([0.5, 0.3, 0.2]), 20000), want, 0.015);
  });

  it('top-k keeps the k most likely', () => {
    assertClose(frequencies({ topK: 2 }, logitsOf([0.5, 0.3, 0.2]), 20000), [0.625, 0.375, 0], 0.015);
    const ties = selectCandidates(Float32Array.from([1, 2, 2, 2, 0]), { topK: 2 });
    assert.deepEqual(Array.from(ties.ids), [1, 2]);
  });

  it('top-p keeps the nucleus', () => {
    const x = logitsOf([0.5, 0.3, 0.15, 0.05]);
    assert.deepEqual(Array.from(selectCandidates(x, { topP: 0.75 }).ids), [0, 1]);
    assert.deepEqual(Array.from(selectCandidates(x, { topP: 0.85 }).ids), [0, 1, 2]);
    assert.deepEqual(Array.from(selectCandidates(x, { topP: 0.1 }).ids), [0]);
    assertClose(frequencies({ topP: 0.75 }, x, 20000), [0.625, 0.375, 0, 0], 0.015);
  });

  it('top-p agrees with a full sort on a large random vocabulary', () => {
    const rng = new Rng(3);
    for (const p of [0.5, 0.9, 0.99]) {
      const x = Float32Array.from({ length: 20000 }, () => (rng.next() - 0.5) * 12);
      assert.deepEqual(Array.from(selectCandidates(x, { topP: p }).ids), referenceTopP(x, p), `top_p ${p}`);
    }
  });

  it('applies top-p to the top-k survivors, renormalised', () => {
    const x = logitsOf([0.4, 0.3, 0.2, 0.1]);
    // Renormalised over the top 3, 0.4/0.9 + 0.3/0.9 = 0.78 ≥ 0.75: two tokens (over all four it would be three).
    assert.deepEqual(Array.from(selectCandidates(x, { topK: 3, topP: 0.75 }).ids), [0, 1]);
    assert.deepEqual(Array.from(selectCandidates(x, { topP: 0.75 }).ids), [0, 1, 2]);
  });

  it('min-p keeps tokens at least min_p times as likely as the best', () => {
    const x = logitsOf([0.5, 0.3, 0.15, 0.05]);
    assert.deepEqual(Array.from(selectCandidates(x, { minP: 0.35 }).ids), [0, 1]);
    assert.deepEqual(Array.from(selectCandidates(x, { minP: 0.05 }).ids), [0, 1, 2, 3]);
  });

  it('reports raw log-probabilities for the chosen token and the top alternatives', () => {
    const probs = [0.1, 0.6, 0.05, 0.25];
    const x = logitsOf(probs);
    const t = new Sampler({ seed: 1, temperature: 0.3, topLogprobs: 3 }).sample(x);
    assert.ok(Math.abs(t.logprob - Math.log(probs[t.id]!)) < 1e-6);
    assert.deepEqual(t.topLogprobs.map((a) => a.id), [1, 3, 0]);
    t.topLogprobs.forEach((a) => assert.ok(Math.abs(a.logprob - Math.log(probs[a.id]!)) < 1e-6));
    assert.deepEqual(new Sampler({ seed: 1 }).sample(x).topLogprobs, []);
  });

  it('applies logit bias: a large bias wins, -Infinity bans', () => {
    const x = logitsOf([0.7, 0.2, 0.1]);
    assert.equal(new Sampler({ temperature: 0, logitBias: { 2: 100 } }).sample(x).id, 2);
    const f = frequencies({ logitBias: new Map([[0, -Infinity]]) }, x, 5000);
    assert.equal(f[0], 0);
    assertClose(f, [0, 2 / 3, 1 / 3], 0.03);
    assert.throws(() => new Sampler({ logitBias: { 0: -Infinity, 1: -Infinity, 2: -Infinity }, seed: 1 }).sample(x), /no token can be sampled/);
  });

  it('continues the same random stream after restore', () => {
    const x = logitsOf([0.25, 0.25, 0.25, 0.25]);
    const a = new Sampler({ seed: 11 });
    for (let i = 0; i < 5; i++) a.sample(x);
    const b = Sampler.restore({ seed: 11 }, a.rngState());
    const fromA = Array.from({ length: 30 }, () => a.sample(x).id);
    assert.deepEqual(Array.from({ length: 30 }, () => b.sample(x).id), fromA);
  });

  it('rejects bad parameters with a user error naming them', () => {
    const cases: [SamplingParams, RegExp][] = [
      [{ temperature: -1 }, /temperature/],
      [{ topP: 0 }, /top_p/],
      [{ topK: 1.5 }, /top_k/],
      [{ minP: 2 }, /min_p/],
      [{ repetitionPenalty: 0 }, /repetition_penalty/],
      [{ seed: 0.5 }, /seed/],
      [{ topLogprobs: 21 }, /top_logprobs/],
      [{ logitBias: { 3: NaN } }, /logit_bias\[3\]/],
    ];
    for (const [p, re] of cases) assert.throws(() => new Sampler(p), (e: unknown) => e instanceof JambaUserError && re.test(e.message));
  });
});

describe('penalties', () => {
  it('repetition penalty divides positive logits and multiplies negative ones', () => {
    const x = Float32Array.from([2, -1, 0.5]);
    applyPenalties(x, [0, 1, 1], { repetitionPenalty: 2 });
    assert.deepEqual(Array.from(x), [1, -2, 0.5]);
  });

  it('presence and frequency penalties subtract per seen token and per occurrence', () => {
    const x = Float32Array.from([1, 1, 1]);
    applyPenalties(x, [0, 0, 2], { presencePenalty: 0.5, frequencyPenalty: 0.25 });
    assert.deepEqual(Array.from(x), [0, 1, 0.25]);
  });

  it('looks only at the last n ids when asked', () => {
    const x = Float32Array.from([1, 1, 1]);
    applyPenalties(x, [0, 0, 2], { presencePenalty: 1, penaltyLastN: 1 });
    assert.deepEqual(Array.from(x), [1, 1, 0]);
  });

  it('steers sampling away from repeats', () => {
    const s = new Sampler({ temperature: 0, repetitionPenalty: 10 });
    const x = Float32Array.from([3, 2.5, 0]);
    assert.equal(s.sample(x, []).id, 0);
    assert.equal(s.sample(x, [0]).id, 1);
  });
});

/** The library's generate(): streaming, counts and timings, seeds, stop strings, cancellation, logprobs, bias, .gguf. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadTextModel, TextModel } from '../../src/api/text-model.js';
import { JambaUserError } from '../../src/errors.js';
import { generateGreedy } from '../../src/generate/greedy.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { convertCheckpoint } from '../../src/io/convert.js';
import { collect, MODEL_DIR, textModel, tmp, TOKENIZER_DIR } from './helpers.js';

const PROMPT = 'Once upon a time there was a little girl';

test('streamed chunks concatenate to the result text, which is the decoded ids; counts and timings are filled in', async () => {
  const tm = await textModel();
  const { chunks, result: r } = await collect(tm.generate(PROMPT, { maxTokens: 24, seed: 4, ignoreEos: true }));
  const prompt = tm.encode(PROMPT);
  assert.equal(chunks.join(''), r.text);
  assert.ok(chunks.length > 1 && chunks.every((c) => c.length > 0));
  const visible = r.tokens.filter((id) => !tm.tokenizer.isSpecial(id));
  assert.equal(r.text, tm.tokenizer.decode(visible));
  assert.equal(r.finishReason, 'length');
  assert.equal(r.tokens.length, 24);
  assert.equal(r.generatedTokens, 24);
  assert.deepEqual([r.promptTokens, r.prefilledTokens, r.cachedTokens], [prompt.length, prompt.length, 0]);
  const t = r.timings;
  assert.ok(t.timeToFirstTokenMs !== null && t.timeToFirstTokenMs >= t.prefillMs && t.timeToFirstTokenMs <= t.totalMs);
  assert.ok(t.prefillTokensPerSecond! > 0 && t.decodeTokensPerSecond! > 0);
});

test('temperature 0 gives exactly the greedy tokens of generate/greedy.ts; result alone runs the whole generation', async () => {
  const tm = await textModel();
  const ids = tm.encode(PROMPT);
  const r = await tm.generate(ids, { maxTokens: 12, temperature: 0, ignoreEos: true }).result;
  assert.deepEqual(r.tokens, generateGreedy(tm.model, [ids], { maxTokens: 12, ignoreEos: true }).ids[0]);
});

test('the same seed gives the same tokens; another seed other tokens', async () => {
  const tm = await textModel();
  const run = async (seed: number) => (await tm.generate(PROMPT, { maxTokens: 16, seed, topK: 50, topP: 0.9, ignoreEos: true }).result).tokens;
  const a = await run(7);
  assert.deepEqual(await run(7), a);
  assert.notDeepEqual(await run(8), a);
});

test('a stop string split across tokens ends generation before it and is never streamed', async () => {
  const tm = await textModel();
  const base = await collect(tm.generate(PROMPT, { maxTokens: 24, temperature: 0, ignoreEos: true }));
  // The stop string: last character of one chunk + first two of a later one, at its first occurrence.
  let at = -1, stop = '';
  for (let i = 1, off = base.chunks[0]!.length; i < base.chunks.length && at < 0; off += base.chunks[i]!.length, i++) {
    const s = base.result.text.slice(off - 1, off + 2);
    if (s.length === 3 && base.chunks[i]!.length >= 2 && base.result.text.indexOf(s) === off - 1 && off > 1) [at, stop] = [off - 1, s];
  }
  assert.ok(at > 0, 'no usable stop string in the greedy text');
  const { chunks, result: r } = await collect(tm.generate(PROMPT, { maxTokens: 24, temperature: 0, ignoreEos: true, stop: ['zzz-never', stop] }));
  assert.equal(r.finishReason, 'stop');
  assert.equal(r.stopString, stop);
  assert.equal(r.text, base.result.text.slice(0, at));
  assert.equal(chunks.join(''), r.text);
  assert.deepEqual(r.tokens, base.result.tokens.slice(0, r.tokens.length));
});

test('an AbortSignal ends generation at the next token with finishReason cancelled; so does leaving the loop', async () => {
  const tm = await textModel();
  const ac = new AbortController();
  const g = tm.generate(PROMPT, { maxTokens: 50, seed: 1, ignoreEos: true, signal: ac.signal });
  let n = 0;
  for await (const _ of g) if (++n === 3) ac.abort();
  const r = await g.result;
  assert.equal(r.finishReason, 'cancelled');
  assert.ok(r.tokens.length >= 3 && r.tokens.length < 50);

  const pre = new AbortController();
  pre.abort();
  const r0 = await tm.generate(PROMPT, { maxTokens: 5, signal: pre.signal }).result;
  assert.deepEqual([r0.finishReason, r0.tokens.length, r0.prefilledTokens], ['cancelled', 0, 0]);

  const g2 = tm.generate(PROMPT, { maxTokens: 50, seed: 1, ignoreEos: true });
  for await (const _ of g2) break;
  const r2 = await g2.result;
  assert.equal(r2.finishReason, 'cancelled');
  assert.ok(r2.tokens.length < 50);
});

test('logprobs: the chosen token and its alternatives, most likely first; under greedy the choice is the top one', async () => {
  const tm = await textModel();
  const r = await tm.generate(PROMPT, { maxTokens: 5, temperature: 0, logprobs: true, topLogprobs: 3, ignoreEos: true }).result;
  assert.equal(r.logprobs!.length, 5);
  r.logprobs!.forEach((lp, i) => {
    assert.equal(lp.id, r.tokens[i]);
    assert.equal(lp.top.length, 3);
    assert.equal(lp.top[0]!.id, lp.id);
    assert.ok(lp.logprob <= 0 && lp.top[0]!.logprob >= lp.top[1]!.logprob && lp.top[1]!.logprob >= lp.top[2]!.logprob);
    assert.equal(lp.text, tm.tokenizer.decode([lp.id]));
  });
});

test('logit bias steers sampling; an EOS id ends generation (kept in tokens, not in text)', async () => {
  const tm = await textModel();
  const id = tm.encode('the', false)[0]!;
  const r = await tm.generate(PROMPT, { maxTokens: 6, seed: 3, logitBias: { [id]: 100 } }).result;
  assert.deepEqual(r.tokens, Array(6).fill(id));
  const eos = tm.eosIds[0]!;
  const e = await tm.generate(PROMPT, { maxTokens: 6, seed: 3, logitBias: new Map([[eos, 100]]) }).result;
  assert.deepEqual([e.finishReason, e.tokens, e.text], ['eos', [eos], '']);
});

test('maxTokens 0 generates nothing; a prompt longer than the context and bad options are user errors', async () => {
  const tm = await textModel();
  const r = await tm.generate(PROMPT, { maxTokens: 0 }).result;
  assert.deepEqual([r.finishReason, r.tokens, r.text, r.prefilledTokens], ['length', [], '', 0]);
  const small = new TextModel(tm.model, tm.tokenizer, 'small', { ctxSize: 8 });
  await assert.rejects(small.generate(PROMPT).result, (e: Error) => e instanceof JambaUserError && /context is 8/.test(e.message));
  const fits = await small.generate('Once', { ignoreEos: true, seed: 1 }).result; // no maxTokens: up to the context's end
  assert.deepEqual([fits.finishReason, fits.promptTokens + fits.tokens.length], ['length', 8]);
  await assert.rejects(tm.generate(PROMPT, { temperature: -1 }).result, /temperature/);
  await assert.rejects(tm.generate(PROMPT, { maxTokens: 1.5 }).result, /maxTokens/);
  await assert.rejects(tm.generate([]).result, /no tokens/);
});

test('a .gguf file loads like its folder (same tokens)', async () => {
  const tm = await textModel();
  const gguf = join(tmp(), 'm.gguf');
  convertCheckpoint(await openCheckpoint(MODEL_DIR), gguf, 'f32');
  const g = await loadTextModel(gguf, { tokenizer: TOKENIZER_DIR, backend: 'ref' });
  const opts = { maxTokens: 8, seed: 9, ignoreEos: true };
  assert.deepEqual((await g.generate(PROMPT, opts).result).tokens, (await tm.generate(PROMPT, opts).result).tokens);
});

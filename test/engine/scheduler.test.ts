/**
 * The continuous-batching engine on a small reference model: concurrent requests give exactly the
 * tokens each gives alone (greedy and seeded sampling), requests join and leave between steps, long
 * prompts are prefilled in chunks while other streams keep decoding, and cancellation, timeouts, the
 * bounded queue, stop rules and a failing forward each end only the request concerned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/scheduler.js';
import { greedySampler } from '../../src/engine/sampler.js';
import { QueueFullError, EngineRequestError, EngineClosedError } from '../../src/engine/types.js';
import { generateGreedy } from '../../src/generate/greedy.js';
import { randomPrompt, seededSampler, smallModel, spyForward } from './helpers.js';


test('concurrent greedy requests = each alone, with joins, leaves and chunked prefill', async () => {
  const model = await smallModel();
  const V = model.dims.V;
  const prompts = [5, 40, 1, 23, 70, 9, 33].map((n, i) => randomPrompt(100 + i, n, V));
  const maxTok = [6, 3, 9, 5, 4, 8, 2];
  const alone = prompts.map((p, i) => generateGreedy(model, [p], { maxTokens: maxTok[i]!, ignoreEos: true }).ids[0]);
  const engine = new Engine(model, { maxActive: 3, prefillChunk: 8, stepTokens: 12 });
  const spy = spyForward(model);
  try {
    const res = await Promise.all(prompts.map((p, i) => engine.submit({ prompt: p, maxTokens: maxTok[i]! })));
    res.forEach((r, i) => {
      assert.deepEqual(r.tokens, alone[i], `request ${i}`);
      assert.equal(r.finish, 'length');
      assert.equal(r.promptTokens, prompts[i]!.length);
    });
  } finally {
    spy.restore();
  }
  // Batching really happened: steps mixed decode rows with prefill chunks, never more than 3 sequences,
  // never more than 12 tokens, and no prefill chunk longer than 8.
  assert.ok(spy.calls.some((c) => c.includes(1) && c.some((n) => n > 1)), 'some step mixes decode and prefill');
  for (const c of spy.calls) {
    assert.ok(c.length <= 3, `step with ${c.length} sequences`);
    assert.ok(c.reduce((a, b) => a + b, 0) <= 12);
    assert.ok(c.every((n) => n <= 8));
  }
  const totalTokens = prompts.reduce((a, p) => a + p.length, 0) + maxTok.reduce((a, b) => a + b, 0);
  assert.ok(spy.calls.length < totalTokens / 2, `${spy.calls.length} steps for ${totalTokens} tokens`);
  const s = engine.stats();
  assert.equal(s.running, 0);
  assert.equal(s.finished.length, prompts.length);
});

test('a long prompt is prefilled in chunks while another stream keeps decoding', async () => {
  const model = await smallModel();
  const engine = new Engine(model, { maxActive: 2, prefillChunk: 8, stepTokens: 10 });
  const events: string[] = [];
  const a = engine.submit({ prompt: randomPrompt(1, 4, 512), maxTokens: 30, onToken: () => { events.push('a'); } });
  // Let A start decoding, then send B with a 64-token prompt (8 chunks).
  while (events.length < 2) await new Promise((r) => setImmediate(r));
  const b = engine.submit({ prompt: randomPrompt(2, 64, 512), maxTokens: 2, onToken: () => { events.push('b'); } });
  await Promise.all([a, b]);
  const firstB = events.indexOf('b');
  const aDuringPrefill = events.slice(2, firstB).length;
  assert.ok(aDuringPrefill >= 7, `A got ${aDuringPrefill} tokens while B's 64-token prompt was read`);
});

test('seeded sampling gives the same tokens alone and in a batch', async () => {
  const model = await smallModel();
  const engine = new Engine(model, { maxActive: 4, prefillChunk: 16 });
  const prompts = [7, 19, 3, 12].map((n, i) => randomPrompt(200 + i, n, 512));
  const alone: number[][] = [];
  for (const [i, p] of prompts.entries()) alone.push((await engine.submit({ prompt: p, maxTokens: 10, sampler: seededSampler(i) })).tokens);
  const together = await Promise.all(prompts.map((p, i) => engine.submit({ prompt: p, maxTokens: 10, sampler: seededSampler(i) })));
  together.forEach((r, i) => assert.deepEqual(r.tokens, alone[i]));
  const other = await engine.submit({ prompt: prompts[0]!, maxTokens: 10, sampler: seededSampler(99) });
  assert.notDeepEqual(other.tokens, alone[0], 'another seed draws other tokens');
});

test('cancellation, timeout, stop callback and stop ids end one request each', async () => {
  const model = await smallModel();
  const engine = new Engine(model, { maxActive: 4 });
  const ac = new AbortController();
  let n = 0;
  const cancelled = engine.submit({ prompt: [5, 6, 7], maxTokens: 200, signal: ac.signal, onToken: () => { if (++n === 3) ac.abort(); } });
  const timed = engine.submit({ prompt: [8, 9], maxTokens: 5000, timeoutMs: 150 });
  const stopped = engine.submit({ prompt: [10, 11], maxTokens: 50, onToken: (t) => t.index < 4 });
  const ref = generateGreedy(model, [[12, 13]], { maxTokens: 20, ignoreEos: true }).ids[0]!;
  const eos = engine.submit({ prompt: [12, 13], maxTokens: 20, stopIds: [ref[5]!] });
  const [c, t, s, e] = await Promise.all([cancelled, timed, stopped, eos]);
  assert.equal(c.finish, 'cancelled');
  assert.equal(c.tokens.length, 3);
  assert.equal(t.finish, 'timeout');
  assert.ok(t.tokens.length < 5000 && t.timing.totalMs >= 140);
  assert.equal(s.finish, 'stop');
  assert.equal(s.tokens.length, 5);
  assert.equal(e.finish, 'eos');
  assert.deepEqual(e.tokens, ref.slice(0, ref.indexOf(ref[5]!) + 1));
  assert.equal(engine.stats().running, 0);
});

test('bounded queue, cancelling while queued, validation, closing', async () => {
  const model = await smallModel();
  const engine = new Engine(model, { maxActive: 1, maxQueue: 1, ctxSize: 40 });
  const first = engine.submit({ prompt: [5], maxTokens: 20 });
  const ac = new AbortController();
  const queued = engine.submit({ prompt: [6], maxTokens: 5, signal: ac.signal });
  assert.throws(() => engine.submit({ prompt: [7], maxTokens: 5 }), QueueFullError);
  ac.abort();
  const q = await queued;
  assert.equal(q.finish, 'cancelled');
  assert.equal(q.tokens.length, 0);
  // The queue has room again.
  const again = engine.submit({ prompt: [7], maxTokens: 5 });
  assert.throws(() => engine.submit({ prompt: [], maxTokens: 5 }), (e: unknown) => e instanceof EngineRequestError && e.code === 'empty_prompt');
  assert.throws(() => engine.submit({ prompt: [512], maxTokens: 5 }), (e: unknown) => e instanceof EngineRequestError && e.code === 'invalid_token');
  assert.throws(() => engine.submit({ prompt: [1, 2], maxTokens: 39 }), (e: unknown) => e instanceof EngineRequestError && e.code === 'context_length_exceeded');
  assert.equal((await first).tokens.length, 20);
  assert.equal((await again).tokens.length, 5);
  await engine.close();
  assert.throws(() => engine.submit({ prompt: [7], maxTokens: 5 }), EngineClosedError);
  assert.equal(engine.stats().rejected, 1);
});

test('a failing forward rejects only the requests of that step; the engine goes on', async () => {
  const model = await smallModel();
  const engine = new Engine(model, { maxActive: 4 });
  const orig = model.forward.bind(model);
  let calls = 0;
  model.forward = (b, o) => { if (++calls === 2) throw new Error('boom'); return orig(b, o); };
  try {
    const bad = engine.submit({ prompt: [5, 6], maxTokens: 5 });
    await assert.rejects(bad, /boom/);
    const good = await engine.submit({ prompt: [5, 6], maxTokens: 5 });
    assert.deepEqual(good.tokens, generateGreedy(model, [[5, 6]], { maxTokens: 5, ignoreEos: true }).ids[0]);
    assert.equal(engine.stats().finished.error, 1);
  } finally {
    model.forward = orig;
  }
});

test('cancelAll ends everything promptly', async () => {
  const model = await smallModel();
  const engine = new Engine(model, { maxActive: 2 });
  const all = [1, 2, 3, 4].map((i) => engine.submit({ prompt: [i + 4], maxTokens: 10000 }));
  await new Promise((r) => setTimeout(r, 30));
  engine.cancelAll();
  const res = await Promise.all(all);
  assert.ok(res.every((r) => r.finish === 'cancelled'));
  await engine.close();
});

test('the default greedy sampler reports logprobs when asked', async () => {
  const model = await smallModel();
  const engine = new Engine(model, {});
  const seen: { id: number; logprob?: number; top?: { id: number; logprob: number }[] }[] = [];
  const r = await engine.submit({ prompt: [5, 6, 7], maxTokens: 4, sampler: greedySampler(3), onToken: (t) => { seen.push(t); } });
  assert.deepEqual(r.tokens, generateGreedy(model, [[5, 6, 7]], { maxTokens: 4, ignoreEos: true }).ids[0]);
  for (const t of seen) {
    assert.equal(t.top?.length, 3);
    assert.equal(t.top![0]!.id, t.id, 'greedy takes the most likely token');
    assert.equal(t.top![0]!.logprob, t.logprob);
    assert.ok(t.logprob! < 0 && t.top![1]!.logprob <= t.logprob!);
  }
});

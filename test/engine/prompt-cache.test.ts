/**
 * Prompt reuse: the LRU keeps the longest matching checkpoint within its byte bound; the engine restores
 * it, prefills only the rest and produces exactly the tokens of an uncached run; checkpoints persisted
 * by CacheStore survive a "restart" (a new cache reading the same folder) and damaged files are dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheStore } from '../../src/engine/cache-store.js';
import { PromptCache } from '../../src/engine/prompt-cache.js';
import { Engine } from '../../src/engine/scheduler.js';
import { generateGreedy } from '../../src/generate/greedy.js';
import { SequenceMemory } from '../../src/memory/sequence.js';
import { randomPrompt, smallModel, spyForward } from './helpers.js';

const layout = { layers: [{ kind: 'mamba' as const, E: 4, N: 2, K: 3 }, { kind: 'attention' as const, nKV: 1, d: 2 }] };

/** A snapshot of `len` tokens whose state values encode `tag`, for cache bookkeeping tests. */
function fakeSnap(len: number, tag: number) {
  const m = new SequenceMemory(layout);
  m.recurrent(0).ssm.fill(tag);
  m.kv(1).append(new Float32Array(2 * len).fill(tag), new Float32Array(2 * len).fill(tag), len);
  m.length = len;
  return m.snapshot();
}

test('longest matching prefix wins; tokens are compared; logits needed for a whole-prompt hit', () => {
  const c = new PromptCache(1 << 20);
  c.put([1, 2], fakeSnap(2, 2), null);
  c.put([1, 2, 3, 4], fakeSnap(4, 4), null);
  c.put([1, 2, 3, 4, 5, 6], fakeSnap(6, 6), new Float32Array(3));
  c.put([9, 9, 9], fakeSnap(3, 9), new Float32Array(3));
  assert.equal(c.lookup([1, 2, 3, 4, 5, 6, 7])?.length, 6);
  assert.equal(c.lookup([1, 2, 3, 4, 5, 6])?.length, 6, 'whole prompt with logits');
  assert.equal(c.lookup([1, 2, 3, 4])?.length, 2, 'whole prompt without logits is skipped');
  assert.equal(c.lookup([1, 2, 3, 4, 5])?.length, 4);
  assert.equal(c.lookup([1, 2, 3, 4, 5])!.snapshot.layers.length, 2);
  assert.equal(c.lookup([1, 3]), null);
  assert.equal(c.lookup([9, 9, 8]), null);
  const s = c.stats();
  assert.equal(s.hits, 5);
  assert.equal(s.misses, 2);
  assert.equal(s.hitTokens, 6 + 6 + 2 + 4 + 4);
});

test('the byte bound evicts least recently used first', () => {
  const one = new PromptCache(1 << 20);
  one.put([1], fakeSnap(10, 1), null);
  const size = one.stats().bytes;
  const c = new PromptCache(3 * size + 10);
  for (let i = 0; i < 3; i++) c.put([i + 1], fakeSnap(10, i), null);
  assert.ok(c.lookup([1, 0]));           // touch [1]: now [2] is the oldest
  c.put([4], fakeSnap(10, 4), null);
  assert.equal(c.stats().entries, 3);
  assert.equal(c.stats().evicted, 1);
  assert.equal(c.lookup([2, 0]), null, '[2] was evicted');
  assert.ok(c.lookup([1, 0]) && c.lookup([3, 0]) && c.lookup([4, 0]));
  assert.ok(c.stats().bytes <= c.maxBytes);
  assert.equal(c.put([5], fakeSnap(1000, 5), null), null, 'an entry larger than the whole cache is refused');
});

test('a follow-up request restores the cached prefix, prefills only the rest, and matches an uncached run', async () => {
  const model = await smallModel();
  const cache = new PromptCache(64 << 20);
  const engine = new Engine(model, { cache, prefillChunk: 16, checkpointEvery: 32 });
  const turn1 = randomPrompt(7, 45, 512);
  const r1 = await engine.submit({ prompt: turn1, maxTokens: 6, checkpointAt: [20] });
  assert.equal(r1.cachedTokens, 0);
  // The follow-up extends what was fed: prompt + generated tokens (the last one was never fed) + more.
  const turn2 = [...turn1, ...r1.tokens, ...randomPrompt(8, 10, 512)];
  const spy = spyForward(model);
  const r2 = await engine.submit({ prompt: turn2, maxTokens: 6 });
  spy.restore();
  assert.equal(r2.cachedTokens, turn1.length + r1.tokens.length - 1, 'the end-of-generation checkpoint');
  const prefilled = spy.calls.flat().reduce((a, b) => a + b, 0);
  assert.equal(prefilled, turn2.length - r2.cachedTokens + r2.tokens.length - 1);
  assert.deepEqual(r2.tokens, generateGreedy(model, [turn2], { maxTokens: 6, ignoreEos: true }).ids[0]);
  // A prompt that shares only the first 30 tokens restores the message checkpoint at 20.
  const other = [...turn1.slice(0, 30), 500, 501];
  const r3 = await engine.submit({ prompt: other, maxTokens: 3 });
  assert.equal(r3.cachedTokens, 20);
  assert.deepEqual(r3.tokens, generateGreedy(model, [other], { maxTokens: 3, ignoreEos: true }).ids[0]);
  // The same prompt again needs no forward before its first token (the checkpoint holds its logits).
  const spy2 = spyForward(model);
  const r4 = await engine.submit({ prompt: turn1, maxTokens: 1 });
  spy2.restore();
  assert.equal(r4.cachedTokens, turn1.length);
  assert.equal(spy2.calls.length, 0);
  assert.deepEqual(r4.tokens, r1.tokens.slice(0, 1));
  const st = engine.stats();
  assert.equal(st.cachedTokens, r2.cachedTokens + 20 + turn1.length);
  // noCache requests neither read nor write.
  const before = cache.stats();
  const r5 = await engine.submit({ prompt: turn1, maxTokens: 2, noCache: true });
  assert.equal(r5.cachedTokens, 0);
  assert.equal(cache.stats().stored, before.stored);
});

test('checkpoints persisted on disk survive a restart; damaged files are dropped', async () => {
  const model = await smallModel();
  const dir = mkdtempSync(join(tmpdir(), 'jamba-pc-'));
  const cache1 = new PromptCache(64 << 20);
  const store1 = new CacheStore(dir, model.memoryLayout(), 'model-a');
  assert.equal(store1.loadInto(cache1).loaded, 0);
  const engine1 = new Engine(model, { cache: cache1, checkpointEvery: 0 });
  const prompt = randomPrompt(11, 30, 512);
  const r1 = await engine1.submit({ prompt, maxTokens: 5 });
  await store1.flush();
  assert.deepEqual(store1.errors, []);
  const files = readdirSync(store1.dir).filter((f) => f.endsWith('.jpc'));
  assert.equal(files.length, cache1.stats().entries);
  writeFileSync(join(store1.dir, 'junk.jpc'), 'not a checkpoint');

  const cache2 = new PromptCache(64 << 20);
  const store2 = new CacheStore(dir, model.memoryLayout(), 'model-a');
  const rep = store2.loadInto(cache2);
  assert.equal(rep.loaded, files.length);
  assert.equal(rep.corrupt, 1);
  const engine2 = new Engine(model, { cache: cache2 });
  const follow = [...prompt, ...r1.tokens.slice(0, 4), 77, 78];
  const r2 = await engine2.submit({ prompt: follow, maxTokens: 4 });
  assert.equal(r2.cachedTokens, prompt.length + 4);
  assert.deepEqual(r2.tokens, generateGreedy(model, [follow], { maxTokens: 4, ignoreEos: true }).ids[0]);

  // Another model's fingerprint sees none of them.
  const cache3 = new PromptCache(64 << 20);
  assert.equal(new CacheStore(dir, model.memoryLayout(), 'model-b').loadInto(cache3).loaded, 0);
  // A cache too small for all of them keeps the newest that fit and removes the rest from disk.
  await store2.flush();
  const tiny = new PromptCache(cache2.stats().bytes / 2);
  const store4 = new CacheStore(dir, model.memoryLayout(), 'model-a');
  const rep4 = store4.loadInto(tiny);
  assert.ok(rep4.loaded >= 1 && rep4.dropped >= 1);
  assert.equal(readdirSync(store4.dir).filter((f) => f.endsWith('.jpc')).length, rep4.loaded);
});

/**
 * Load test: 16 concurrent streaming chat requests through the `openai` client, all in one running
 * batch, with zero failures; each stream's text and per-token logprobs are exactly those of the same
 * request served alone (temperature 0), and the batch really was shared (far fewer forward steps).
 * Runs on every backend built here (ref, and native when its addon loads): batch invariance is a
 * property of the kernels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/model/load.js';
import { testBackends } from '../helpers/backends.js';
import { referenceDir } from '../helpers/reference.js';
import { MODEL_ID, startRig, type Rig } from './helpers.js';

const WORDS = ['cat', 'dog', 'sun', 'tree', 'ball', 'park', 'girl', 'boy', 'bird', 'fish', 'rain', 'cake', 'red', 'big', 'happy', 'sad'];

function messages(i: number) {
  const words = Array.from({ length: 3 + (i * 7) % 13 }, (_, k) => WORDS[(i * 5 + k * 3) % WORDS.length]).join(' ');
  return [{ role: 'user' as const, content: `Tell a story about the ${words}.` }];
}

async function streamOne(rig: Rig, i: number): Promise<{ text: string; logprobs: number[]; tokens: number }> {
  const s = await rig.client.chat.completions.create({
    model: MODEL_ID, messages: messages(i), max_tokens: 12 + (i % 5), temperature: 0,
    logprobs: true, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  const logprobs: number[] = [];
  let tokens = -1;
  for await (const c of s) {
    if (c.usage) tokens = c.usage.completion_tokens;
    const d = c.choices[0];
    if (!d) continue;
    text += d.delta.content ?? '';
    for (const t of d.logprobs?.content ?? []) logprobs.push(t.logprob);
  }
  return { text, logprobs, tokens };
}

for (const backend of testBackends()) test(`16 concurrent streams on ${backend.name}: no failures, each identical to the request served alone`, async () => {
  const model = await loadModel(referenceDir('hybrid-moe'), backend);
  const rig = await startRig({ model, maxActive: 16, maxQueue: 16, cacheBytes: 0, prefillChunk: 16 });
  try {
    const N = 16;
    const alone: Awaited<ReturnType<typeof streamOne>>[] = [];
    const s0 = rig.engine.stats().steps;
    for (let i = 0; i < N; i++) alone.push(await streamOne(rig, i));
    const aloneSteps = rig.engine.stats().steps - s0;

    const s1 = rig.engine.stats().steps;
    const settled = await Promise.allSettled(Array.from({ length: N }, (_, i) => streamOne(rig, i)));
    const batchSteps = rig.engine.stats().steps - s1;
    const failures = settled.filter((r) => r.status === 'rejected');
    assert.equal(failures.length, 0, `failures: ${failures.map((f) => String((f as PromiseRejectedResult).reason)).join('; ')}`);
    settled.forEach((r, i) => {
      const got = (r as PromiseFulfilledResult<Awaited<ReturnType<typeof streamOne>>>).value;
      assert.ok(alone[i]!.tokens > 0);
      assert.equal(got.tokens, alone[i]!.tokens, `stream ${i}: token count`);
      assert.equal(got.text, alone[i]!.text, `stream ${i}: text`);
      assert.deepEqual(got.logprobs, alone[i]!.logprobs, `stream ${i}: logprobs bit for bit`);
    });
    assert.ok(batchSteps * 4 < aloneSteps, `batched run took ${batchSteps} steps, alone ${aloneSteps}`);
    assert.equal(rig.engine.stats().finished.error, 0);
  } finally {
    await rig.close();
  }
});

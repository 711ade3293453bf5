/**
 * Prompt reuse across chat turns, seen by a client: the follow-up turn reports the earlier prompt as
 * usage.prompt_tokens_details.cached_tokens, the model really prefilled only the rest (metrics), the
 * answer is the same as a server without a cache gives, and another conversation with the same system
 * prompt reuses the checkpoint at the end of that message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODEL_ID, startRig, type Rig } from './helpers.js';

const system = { role: 'system' as const, content: 'You are a storyteller who writes about animals in the park.' };
const turn1 = [system, { role: 'user' as const, content: 'Once upon a time there was a little dog' }];

async function prefilled(rig: Rig): Promise<number> {
  const m = await (await fetch(rig.base + '/metrics')).text();
  return Number(/^jamba_prefill_tokens_total (\d+)$/m.exec(m)![1]);
}

test('a follow-up turn prefills only its new tokens and answers as without a cache', async () => {
  const rig = await startRig({ prefillChunk: 16 });
  const plain = await startRig({ cacheBytes: 0 });
  try {
    const r1 = await rig.client.chat.completions.create({ model: MODEL_ID, messages: turn1, max_tokens: 10, temperature: 0 });
    assert.equal(r1.usage!.prompt_tokens_details!.cached_tokens, 0);
    const turn2 = [...turn1, { role: 'assistant' as const, content: r1.choices[0]!.message.content ?? '' }, { role: 'user' as const, content: 'What did the dog find?' }];
    const before = await prefilled(rig);
    const r2 = await rig.client.chat.completions.create({ model: MODEL_ID, messages: turn2, max_tokens: 10, temperature: 0 });
    const cached = r2.usage!.prompt_tokens_details!.cached_tokens!;
    assert.ok(cached >= r1.usage!.prompt_tokens, `cached ${cached} of turn 1's ${r1.usage!.prompt_tokens} prompt tokens`);
    assert.equal(await prefilled(rig) - before, r2.usage!.prompt_tokens - cached, 'only the new tokens were prefilled');
    const ref = await plain.client.chat.completions.create({ model: MODEL_ID, messages: turn2, max_tokens: 10, temperature: 0 });
    assert.equal(ref.usage!.prompt_tokens_details!.cached_tokens, 0);
    assert.equal(r2.choices[0]!.message.content, ref.choices[0]!.message.content);

    // A new conversation with the same system prompt starts from the checkpoint after that message.
    const other = await rig.client.chat.completions.create({ model: MODEL_ID, messages: [system, { role: 'user', content: 'A cat sat on a wall' }], max_tokens: 4, temperature: 0 });
    const c3 = other.usage!.prompt_tokens_details!.cached_tokens!;
    assert.ok(c3 > 5 && c3 < other.usage!.prompt_tokens, `cached ${c3}`);
    const m = await (await fetch(rig.base + '/metrics')).text();
    assert.match(m, /^jamba_prompt_cache_hits_total 2$/m);
    assert.match(m, /^jamba_prompt_cache_misses_total 1$/m);
  } finally {
    await rig.close();
    await plain.close();
  }
});

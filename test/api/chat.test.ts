/** Stateless chat(): the conversation through the chat template, the answer streamed and read back. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chatPrompt, chatResult } from '../../src/api/chat.js';
import type { GenerateResult } from '../../src/api/decode-loop.js';
import { TextModel } from '../../src/api/text-model.js';
import { JambaUserError } from '../../src/errors.js';
import { collect, textModel } from './helpers.js';

const MESSAGES = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello!' }];

test('chat renders the template, streams the answer and returns it as an assistant message', async () => {
  const tm = await textModel();
  const { chunks, result: r } = await collect(tm.chat(MESSAGES, { maxTokens: 12, seed: 5, ignoreEos: true }));
  assert.equal(chunks.join(''), r.text);
  assert.equal(r.promptTokens, chatPrompt(tm, MESSAGES, {}).ids.length);
  assert.deepEqual(chatPrompt(tm, MESSAGES, {}).ids, tm.encode('<|startoftext|><|bom|><|system|> Be brief.<|eom|><|bom|><|user|> Hello!<|eom|><|bom|><|assistant|>', false));
  assert.deepEqual(r.message, { role: 'assistant', content: r.text.trim() });
  assert.deepEqual(r.toolCalls, []);
});

test('tool calls and reasoning are read back out of the answer in both published formats', () => {
  const base: GenerateResult = {
    text: '', tokens: [], finishReason: 'eos', promptTokens: 1, cachedTokens: 0, prefilledTokens: 1, generatedTokens: 0,
    timings: { timeToFirstTokenMs: null, prefillMs: 0, decodeMs: 0, totalMs: 0, prefillTokensPerSecond: null, decodeTokensPerSecond: null },
  };
  const j = chatResult({ ...base, text: ' <tool_calls>[{"name": "weather", "arguments": {"city": "Paris"}}]</tool_calls>' }, 'jamba');
  assert.deepEqual(j.message, { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'weather', arguments: { city: 'Paris' } } }] });
  const c = chatResult({ ...base, text: '<think>\nIt is cold.\n</think>\n\nWear a coat.' }, 'chatml');
  assert.deepEqual([c.content, c.reasoning, c.message.reasoning_content], ['Wear a coat.', 'It is cold.', 'It is cold.']);
});

test('a model without a chat template is a user error naming it', async () => {
  const tm = await textModel();
  const bare = new TextModel(tm.model, { ...tm.tokenizer, chatTemplates: {}, encode: tm.tokenizer.encode.bind(tm.tokenizer) } as never, 'bare');
  await assert.rejects(bare.chat(MESSAGES).result, (e: Error) => e instanceof JambaUserError && /no chat template/.test(e.message));
});

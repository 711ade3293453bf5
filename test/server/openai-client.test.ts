/**
 * The server through the official `openai` client, as an application would use it: models, chat and
 * text completions, streaming and not (the streamed deltas add up to the non-streamed answer, which is
 * the greedy continuation decoded), usage with cached tokens, logprobs, stop strings, and tool calls
 * (a scripted model writes a Jamba <tool_calls> block; the client receives structured tool_calls).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateGreedy } from '../../src/generate/greedy.js';
import { applyChatTemplate } from '../../src/tokenizer/chat-template.js';
import { smallModel } from '../engine/helpers.js';
import { MODEL_ID, fixtureTokenizer, scriptedModel, startRig } from './helpers.js';

const messages = [{ role: 'system' as const, content: 'You tell short stories.' }, { role: 'user' as const, content: 'Once upon a time there was a cat' }];

test('chat and text completions, streaming and not, agree with greedy decoding', async () => {
  const rig = await startRig();
  try {
    const { client } = rig;
    const models = await client.models.list();
    assert.deepEqual(models.data.map((m) => m.id), [MODEL_ID]);
    assert.equal((await client.models.retrieve(MODEL_ID)).id, MODEL_ID);

    // The expected answer: the chat prompt rendered and encoded, then greedy tokens, decoded.
    const model = await smallModel();
    const tok = await fixtureTokenizer();
    const prompt = applyChatTemplate(tok, messages).ids;
    const ids = generateGreedy(model, [prompt], { maxTokens: 12, ignoreEos: true }).ids[0]!;
    const eos = ids.indexOf(2);
    const expected = tok.decode(eos >= 0 ? ids.slice(0, eos) : ids, { skipSpecial: true });

    const chat = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 12, temperature: 0 });
    assert.equal(chat.object, 'chat.completion');
    assert.equal(chat.choices[0]!.message.role, 'assistant');
    assert.equal(chat.choices[0]!.message.content?.trim(), expected.trim());
    assert.equal(chat.usage?.prompt_tokens, prompt.length);
    assert.equal(chat.usage?.completion_tokens, eos >= 0 ? eos + 1 : 12);
    assert.equal(chat.choices[0]!.finish_reason, eos >= 0 ? 'stop' : 'length');

    const stream = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = '', finish: string | null = null, chunks = 0, usage = null;
    for await (const c of stream) {
      chunks++;
      if (c.usage) usage = c.usage;
      if (c.choices[0]) {
        text += c.choices[0].delta.content ?? '';
        finish = c.choices[0].finish_reason ?? finish;
      }
    }
    assert.equal(text, chat.choices[0]!.message.content);
    assert.equal(finish, chat.choices[0]!.finish_reason);
    assert.ok(chunks >= 3, `${chunks} chunks`);
    assert.equal(usage!.prompt_tokens, prompt.length);
    // The second identical request restored the whole prompt from the cache.
    assert.equal(usage!.prompt_tokens_details?.cached_tokens, prompt.length);

    const comp = await client.completions.create({ model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 8, temperature: 0, logprobs: 3 });
    const cIds = tok.encode('Once upon a time');
    const want = generateGreedy(model, [cIds], { maxTokens: 8, ignoreEos: true }).ids[0]!;
    const cut = want.indexOf(2);
    assert.equal(comp.object, 'text_completion');
    assert.equal(comp.choices[0]!.text.trim(), tok.decode(cut >= 0 ? want.slice(0, cut) : want, { skipSpecial: true }).trim());
    const lp = comp.choices[0]!.logprobs!;
    assert.equal(lp.tokens!.length, cut >= 0 ? cut : 8);
    assert.equal(lp.tokens!.join(''), comp.choices[0]!.text);
    for (const [i, l] of lp.token_logprobs!.entries()) {
      assert.ok(l <= 0);
      const top = Object.values(lp.top_logprobs![i]!);
      assert.ok(top.length >= 1 && top.length <= 3);
      assert.ok(Math.max(...top) >= l - 1e-9, 'greedy picks the most likely token');
    }
    const cs = await client.completions.create({ model: MODEL_ID, prompt: 'Once upon a time', max_tokens: 8, temperature: 0, stream: true });
    let ctext = '';
    for await (const c of cs) ctext += c.choices[0]?.text ?? '';
    assert.equal(ctext, comp.choices[0]!.text);

    // Token ids as the prompt are used as given.
    const byIds = await client.completions.create({ model: MODEL_ID, prompt: cIds, max_tokens: 8, temperature: 0 });
    assert.equal(byIds.choices[0]!.text, comp.choices[0]!.text);

    // Chat logprobs: one entry per content token, each with its top alternatives.
    const withLp = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 2 });
    const content = withLp.choices[0]!.logprobs!.content!;
    assert.ok(content.length >= 1 && content.length <= 5);
    for (const t of content) assert.equal(t.top_logprobs.length, 2);
    assert.equal(content.map((t) => t.token).join('').trimStart(), withLp.choices[0]!.message.content);

    // Seeded sampling is reproducible.
    const s1 = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 10, temperature: 1, seed: 42 });
    const s2 = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 10, temperature: 1, seed: 42 });
    assert.equal(s1.choices[0]!.message.content, s2.choices[0]!.message.content);
  } finally {
    await rig.close();
  }
});

test('stop strings and tool calls (scripted model output)', async () => {
  const real = await smallModel();
  const tok = await fixtureTokenizer();
  const said = 'Let me check.<tool_calls>[{"name": "get_weather", "arguments": {"city": "Paris"}}]</tool_calls>';
  const script = [...tok.encode(said, { addSpecial: false }), tok.tokenToId('<|eom|>')!, 2];
  const rig = await startRig({ model: scriptedModel(real, script), cacheBytes: 0, prefillChunk: 1024, stepTokens: 1100 });
  try {
    const { client } = rig;
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const r = await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, max_tokens: 200 });
    const m = r.choices[0]!;
    assert.equal(m.finish_reason, 'tool_calls');
    assert.equal(m.message.content, 'Let me check.');
    assert.equal(m.message.tool_calls?.length, 1);
    const call = m.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    assert.match(call.id, /^call_/);
    // The tool definitions went into the prompt through the template.
    const plain = await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'Weather in Paris?' }], max_tokens: 200, tool_choice: 'none', tools });
    assert.equal(plain.choices[0]!.message.tool_calls, undefined, "tool_choice 'none' leaves the text alone");
    assert.equal(plain.choices[0]!.message.content, said);
    const noTools = await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'Weather in Paris?' }], max_tokens: 200 });
    assert.ok(r.usage!.prompt_tokens > noTools.usage!.prompt_tokens + 10);

    // Streaming: content before the call streams; the call arrives as a tool_calls delta.
    const st = await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'Weather in Paris?' }], tools, max_tokens: 200, stream: true });
    let content = '', finish = null;
    const calls: { name?: string; args: string }[] = [];
    for await (const c of st) {
      const d = c.choices[0];
      if (!d) continue;
      content += d.delta.content ?? '';
      for (const tc of d.delta.tool_calls ?? []) {
        calls[tc.index] ??= { args: '' };
        if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
        calls[tc.index]!.args += tc.function?.arguments ?? '';
      }
      finish = d.finish_reason ?? finish;
    }
    assert.equal(content, 'Let me check.');
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.name, 'get_weather');
    assert.deepEqual(JSON.parse(calls[0]!.args), { city: 'Paris' });

    // A stop string ends the answer before it; streamed or not.
    const stopped = await client.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_tokens: 200, stop: ['check'] });
    assert.equal(stopped.choices[0]!.message.content, 'Let me ');
    assert.equal(stopped.choices[0]!.finish_reason, 'stop');
    assert.ok(stopped.usage!.completion_tokens < script.length);
    const ss = await client.completions.create({ model: MODEL_ID, prompt: 'hi', max_tokens: 200, stop: ['"Paris"'], stream: true });
    let t = '';
    for await (const c of ss) t += c.choices[0]?.text ?? '';
    assert.equal(t.trimStart(), said.slice(0, said.indexOf('"Paris"')));
  } finally {
    await rig.close();
  }
});

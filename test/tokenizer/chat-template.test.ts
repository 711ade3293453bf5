/**
 * Chat templates: the Jamba 1.5 format renders exactly the string of spec §14.2, tools and tool calls
 * render in the published layout and parse back; the ChatML reasoning format keeps <think> apart; named
 * templates from tokenizer_config.json and GGUF tokenizer.chat_template; errors are user errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JambaUserError } from '../../src/errors.js';
import { applyChatTemplate, ChatTemplate, chatTemplateFor, type ChatMessage, type ToolDefinition } from '../../src/tokenizer/chat-template.js';
import { loadTokenizer, tokenizerFromGgufMetadata } from '../../src/tokenizer/load.js';
import { chatFormatOf, parseAssistantOutput } from '../../src/tokenizer/tool-calls.js';
import { FIXTURES } from './shared-data.js';
import { tinyBpeGgufMetadata, tinyBpeTokenizerJson, trainTinyBpe } from './tiny-bpe.js';

const JAMBA = readFileSync(join(FIXTURES, 'jamba-1.5-chat-template.jinja'), 'utf8');
const CHATML = readFileSync(join(FIXTURES, 'chatml-reasoning-chat-template.jinja'), 'utf8');
const JAMBA_SPECIALS = ['<|pad|>', '<|startoftext|>', '<|endoftext|>', '<|bom|>', '<|eom|>', '<|system|>', '<|user|>', '<|assistant|>', '<|tool|>'];

const WEATHER: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('Jamba 1.5 chat format', () => {
  const t = new ChatTemplate(JAMBA, { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>' });

  it('renders exactly the spec §14.2 example', () => {
    const text = t.render([{ role: 'system', content: 'Sys.' }, { role: 'user', content: 'Hi' }]);
    assert.equal(text, '<|startoftext|><|bom|><|system|> Sys.<|eom|><|bom|><|user|> Hi<|eom|><|bom|><|assistant|>');
  });

  it('always emits a system turn, empty when none is given', () => {
    const text = t.render([{ role: 'user', content: 'Hello, how are you?' }]);
    assert.equal(text, '<|startoftext|><|bom|><|system|> <|eom|><|bom|><|user|> Hello, how are you?<|eom|><|bom|><|assistant|>');
  });

  it('leaves out the generation prompt when asked', () => {
    const msgs: ChatMessage[] = [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }];
    assert.equal(
      t.render(msgs, { addGenerationPrompt: false }),
      '<|startoftext|><|bom|><|system|> <|eom|><|bom|><|user|> Hi<|eom|><|bom|><|assistant|> Hello!<|eom|>',
    );
  });

  it('puts tool definitions in the system turn', () => {
    const text = t.render([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather?' }], { tools: [WEATHER] });
    const expected =
      '<|startoftext|><|bom|><|system|> Be brief.\n\n<tool_definitions>\n# Tools\n\n## Functions\n\n{\n  "name": "get_weather",\n' +
      '  "description": "Current weather",\n  "parameters": {\n    "type": "object",\n    "properties": {\n      "city": {\n' +
      '        "type": "string"\n      }\n    },\n    "required": [\n      "city"\n    ]\n  }\n}\n</tool_definitions><|eom|>' +
      '<|bom|><|user|> Weather?<|eom|><|bom|><|assistant|>';
    assert.equal(text, expected);
  });

  it('renders tool calls and tool results, and the calls parse back', () => {
    const call = { type: 'function' as const, function: { name: 'get_weather', arguments: { city: 'London' } } };
    const msgs: ChatMessage[] = [
      { role: 'user', content: 'Weather in London?' },
      { role: 'assistant', content: '', tool_calls: [call, { ...call, function: { name: 'get_weather', arguments: '{"city": "Paris"}' } }] },
      { role: 'tool', content: '{"temp": 15}' },
    ];
    const text = t.render(msgs, { tools: [WEATHER] });
    const turn =
      '<|bom|><|assistant|> <tool_calls>[\n    {"name": "get_weather", "arguments": {"city": "London"}},\n' +
      '    {"name": "get_weather", "arguments": {"city": "Paris"}}\n]</tool_calls><|eom|><|bom|><|tool|> {"temp": 15}<|eom|><|bom|><|assistant|>';
    assert.ok(text.endsWith(turn), text);
    const generated = text.slice(text.indexOf('<|bom|><|assistant|> ') + '<|bom|><|assistant|> '.length, text.indexOf('<|eom|><|bom|><|tool|>'));
    const parsed = parseAssistantOutput(generated, 'jamba');
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.content, '');
    assert.deepEqual(parsed.toolCalls.map((c) => c.function), [
      { name: 'get_weather', arguments: { city: 'London' } },
      { name: 'get_weather', arguments: { city: 'Paris' } },
    ]);
  });

  it('renders documents before the last user turn', () => {
    const text = t.render([{ role: 'user', content: 'Q?' }], { documents: [{ title: 'T', text: 'Body' }] });
    assert.ok(
      text.includes('<|bom|><|system|> <documents>\n# Documents\n\nYou can use the following documents for reference:\n\n## Document ID: 0\nTitle: T\nText: Body\n</documents><|eom|><|bom|><|user|> Q?'),
      text,
    );
  });
});

describe('parsing Jamba output', () => {
  it('separates text from a tool call list', () => {
    const p = parseAssistantOutput('Let me check. <tool_calls>[{"name": "f", "arguments": {"x": 1}}]</tool_calls>', 'jamba');
    assert.equal(p.content, 'Let me check.');
    assert.deepEqual(p.toolCalls, [{ type: 'function', function: { name: 'f', arguments: { x: 1 } } }]);
    assert.deepEqual(p.errors, []);
  });

  it('keeps malformed or unclosed calls as text and says why', () => {
    const bad = parseAssistantOutput('<tool_calls>[{"name": "f", "arguments": {x}]</tool_calls>', 'jamba');
    assert.equal(bad.toolCalls.length, 0);
    assert.ok(bad.content.includes('<tool_calls>'));
    assert.match(bad.errors[0]!, /not JSON/);
    const cut = parseAssistantOutput('<tool_calls>[{"name": "f"', 'jamba');
    assert.equal(cut.toolCalls.length, 0);
    assert.deepEqual(cut.errors, ['<tool_calls> is not closed']);
    const noName = parseAssistantOutput('<tool_calls>[{"arguments": {}}]</tool_calls>', 'jamba');
    assert.match(noName.errors[0]!, /no "name"/);
  });

  it('tells the formats apart from the template text', () => {
    assert.equal(chatFormatOf(JAMBA), 'jamba');
    assert.equal(chatFormatOf(CHATML), 'chatml');
  });
});

describe('ChatML reasoning format', () => {
  const t = new ChatTemplate(CHATML, { eos_token: '<|im_end|>' });

  it('renders turns, tools and the generation prompt', () => {
    const text = t.render([{ role: 'system', content: 'Sys.' }, { role: 'user', content: 'Hi' }], { tools: [WEATHER] });
    assert.ok(text.startsWith('<|im_start|>system\nSys.\n\n# Tools\n'), text);
    assert.ok(text.includes('<tools>\n{"type": "function", "function": {"name": "get_weather"'), text);
    assert.ok(text.endsWith('</tool_call><|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'), text);
    assert.equal(
      t.render([{ role: 'user', content: 'Hi' }]),
      '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it('renders reasoning, tool calls and grouped tool responses', () => {
    const text = t.render([
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'A', reasoning_content: 'think', tool_calls: [{ function: { name: 'f', arguments: { a: 1 } } }] },
      { role: 'tool', content: 'r1' },
      { role: 'tool', content: 'r2' },
    ], { addGenerationPrompt: false });
    assert.equal(
      text,
      '<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nthink\n</think>\n\nA\n<tool_call>\n{"name": "f", "arguments": {"a": 1}}\n</tool_call><|im_end|>\n' +
        '<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n<tool_response>\nr2\n</tool_response><|im_end|>\n',
    );
  });

  it('parses reasoning, answer and tool calls apart', () => {
    const p = parseAssistantOutput('<think>\nThe user wants weather.\n</think>\n\nChecking.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}\n</tool_call>', 'chatml');
    assert.equal(p.reasoning, 'The user wants weather.');
    assert.equal(p.content, 'Checking.');
    assert.deepEqual(p.toolCalls.map((c) => c.function), [{ name: 'get_weather', arguments: { city: 'Oslo' } }]);
    assert.deepEqual(p.errors, []);
  });

  it('handles a <think> opened by the prompt, and one never closed', () => {
    const p = parseAssistantOutput('step 1, step 2</think>\n\nThe answer is 4.', 'chatml');
    assert.equal(p.reasoning, 'step 1, step 2');
    assert.equal(p.content, 'The answer is 4.');
    const q = parseAssistantOutput('<think>still going', 'chatml');
    assert.equal(q.reasoning, 'still going');
    assert.equal(q.content, '');
    assert.deepEqual(q.errors, ['<think> is not closed']);
    const plain = parseAssistantOutput('Just text.', 'chatml');
    assert.equal(plain.reasoning, undefined);
    assert.equal(plain.content, 'Just text.');
  });
});

describe('templates shipped with tokenizers', () => {
  const bpe = trainTinyBpe('the quick brown fox jumps over the lazy dog. Hello world, how are you?', 60);

  it('reads GGUF tokenizer.chat_template and encodes the prompt with one BOS', () => {
    const meta = tinyBpeGgufMetadata(bpe, JAMBA_SPECIALS, {
      'tokenizer.chat_template': JAMBA,
      'tokenizer.ggml.bos_token_id': bpe.tokens.length + 1,
      'tokenizer.ggml.eos_token_id': bpe.tokens.length + 2,
      'tokenizer.ggml.add_bos_token': true,
    });
    const tok = tokenizerFromGgufMetadata(meta, 'jamba-like.gguf');
    const { text, ids } = applyChatTemplate(tok, [{ role: 'user', content: 'Hello world' }]);
    assert.ok(text.startsWith('<|startoftext|><|bom|><|system|> '), text);
    const id = (s: string): number => tok.tokenToId(s)!;
    assert.equal(ids.filter((i) => i === id('<|startoftext|>')).length, 1);
    assert.deepEqual(ids.slice(0, 3), [id('<|startoftext|>'), id('<|bom|>'), id('<|system|>')]);
    assert.deepEqual(ids.slice(-2), [id('<|bom|>'), id('<|assistant|>')]);
    assert.equal(tok.decode(ids), text);
  });

  it('picks named templates from tokenizer_config.json like transformers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jamba-chat-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyBpeTokenizerJson(bpe, JAMBA_SPECIALS)));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({
      bos_token: '<|startoftext|>',
      eos_token: '<|endoftext|>',
      add_bos_token: true,
      chat_template: [{ name: 'default', template: JAMBA }, { name: 'tool_use', template: CHATML }],
    }));
    const tok = await loadTokenizer(dir);
    assert.deepEqual(Object.keys(tok.chatTemplates).sort(), ['default', 'tool_use']);
    const msgs: ChatMessage[] = [{ role: 'user', content: 'Hi' }];
    assert.ok(applyChatTemplate(tok, msgs).text.startsWith('<|startoftext|><|bom|>'));
    assert.ok(applyChatTemplate(tok, msgs, { tools: [WEATHER] }).text.startsWith('<|im_start|>system\n# Tools'));
    assert.ok(applyChatTemplate(tok, msgs, { templateName: 'tool_use' }).text.startsWith('<|im_start|>user\n'));
    assert.throws(() => chatTemplateFor(tok, { templateName: 'nope' }), /no chat template named 'nope' \(it has: default, tool_use\)/);
  });

  it('prefers chat_template.jinja beside the tokenizer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jamba-chat-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyBpeTokenizerJson(bpe, [])));
    writeFileSync(join(dir, 'chat_template.jinja'), CHATML);
    const tok = await loadTokenizer(join(dir, 'tokenizer.json'));
    assert.equal(chatTemplateFor(tok).render([{ role: 'user', content: 'x' }]), '<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n');
  });
});

describe('chat template errors', () => {
  it('reports a template that does not parse, or raises, as a user error', () => {
    assert.throws(() => new ChatTemplate('{% if %}'), (e: unknown) => e instanceof JambaUserError && /does not parse/.test(e.message));
    const t = new ChatTemplate('{{ raise_exception("Conversation roles must alternate") }}');
    assert.throws(() => t.render([]), (e: unknown) => e instanceof JambaUserError && /roles must alternate/.test(e.message));
  });

  it('says when a tokenizer has no template', () => {
    const tok = tokenizerFromGgufMetadata(tinyBpeGgufMetadata(trainTinyBpe('ab ab', 1), []), 'base.gguf');
    assert.throws(() => chatTemplateFor(tok), /base\.gguf has no chat template/);
  });
});

/**
 * `jamba convert` on tokenizers we make ourselves: the byte-fallback BPE of our trainer
 * (src/train/tokenizer, SentencePiece-style "▁") becomes a `llama` vocabulary and a tiny GPT-2-style
 * byte-level BPE (test/tokenizer/tiny-bpe.ts) a `gpt2` one; our GGUF tokenizer and llama.cpp must
 * tokenise held-out text exactly as the tokenizer.json does (@huggingface/tokenizers), and decode it
 * back. Tokenizers that cannot be exported fall back to the placeholder with the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { folderVocab } from '../../src/io/convert-vocab.js';
import { readGgufMetadata } from '../../src/io/gguf/source.js';
import { parseConfig } from '../../src/model/config.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { trainBpe } from '../../src/train/tokenizer/bpe-train.js';
import { SPECIALS, STORY_CHAT_TEMPLATE, tokenizerConfigJson, tokenizerJson } from '../../src/train/tokenizer/tokenizer-files.js';
import { SHARED } from '../helpers/reference.js';
import { FIXTURES } from '../tokenizer/shared-data.js';
import { tinyBpeTokenizerJson, trainTinyBpe } from '../tokenizer/tiny-bpe.js';
import { cleanUp, convert, ggufTokenizer, llamaCppModel, modelFolder } from './convert-vocab-helpers.js';

after(cleanUp);

const stories = readFileSync(join(SHARED, 'data', 'tinystories', 'tinystories_sample.txt'), 'utf8')
  .split('<|endoftext|>').slice(0, 500).map((s) => s.trim()).filter((s) => s.length > 0);
const train = stories.slice(0, 300);
const held = stories.slice(300, 400);
const ODD = ['', ' ', 'Héllo wörld — “quoted” 日本 🙂', '  two  spaces\n\nnew para\tTab ', 'aaaa aaa', 'Lily\nLily'];

describe('a tokenizer trained by our BPE trainer round-trips through convert', async () => {
  const v = trainBpe(train, { vocabSize: 512, specials: SPECIALS, minCharCount: 5 });
  const folder = modelFolder(512, { 'tokenizer.json': tokenizerJson(v), 'tokenizer_config.json': tokenizerConfigJson(v) });
  const { path, report } = convert(folder);
  const ours = await ggufTokenizer(path);
  const hf = await loadTokenizer(folder);
  const texts = [...held, ...ODD, '<|startoftext|>Once upon<|endoftext|> a time'];

  test('written as a llama vocabulary, without notes', () => {
    assert.equal(report.vocab, 'llama vocabulary of 512 tokens from tokenizer.json');
    assert.deepEqual(report.vocabNotes, []);
    const meta = readGgufMetadata(path);
    assert.equal(meta.get('tokenizer.ggml.add_space_prefix'), true);
    assert.deepEqual([...(meta.get('tokenizer.ggml.token_type') as Int32Array).slice(0, 6)], [3, 3, 3, 2, 6, 6]);
  });

  test('our GGUF tokenizer: the same ids as tokenizer.json, and back to the text', () => {
    for (const s of texts) {
      const ids = hf.encode(s);
      assert.deepEqual(ours.encode(s), ids, JSON.stringify(s.slice(0, 60)));
      assert.equal(ours.decode(ids, { skipSpecial: true }), hf.decode(ids, { skipSpecial: true }), JSON.stringify(s.slice(0, 60)));
    }
    for (const s of held) assert.equal(ours.decode(ours.encode(s), { skipSpecial: true }), s);
  });

  test('llama.cpp: the same ids as tokenizer.json, and back to the text', async () => {
    const model = await llamaCppModel(path);
    try {
      for (const s of texts) assert.deepEqual(model.tokenize(s, true), hf.encode(s, { addSpecial: false }), JSON.stringify(s.slice(0, 60)));
      for (const s of held.slice(0, 20)) assert.equal(model.detokenize(model.tokenize(s)), s);
      assert.equal(model.tokens.shouldPrependBosToken, true);
      assert.equal(model.tokens.bos, 1);
      assert.equal(model.tokens.eos, 2);
      assert.equal(model.fileInfo.metadata.tokenizer.chat_template, STORY_CHAT_TEMPLATE);
    } finally {
      await model.dispose();
    }
  });

  test('special ids, flags and the chat template survive', () => {
    for (const k of ['bosId', 'eosId', 'unkId', 'padId', 'addBos', 'addEos', 'vocabSize'] as const) assert.equal(ours[k], hf[k], k);
    assert.deepEqual(ours.specialTokens, hf.specialTokens);
    assert.deepEqual(ours.chatTemplates, { default: STORY_CHAT_TEMPLATE });
  });
});

describe('a byte-level (GPT-2 style) BPE becomes a gpt2 vocabulary', async () => {
  const bpe = trainTinyBpe(train.join('\n'), 200);
  const json = tinyBpeTokenizerJson(bpe, ['<|endoftext|>']);
  const folder = modelFolder(512, {
    'tokenizer.json': json,
    'tokenizer_config.json': { bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', add_bos_token: false },
    'chat_template.jinja': join(FIXTURES, 'chatml-reasoning-chat-template.jinja'),
  });
  const { path, report } = convert(folder);
  const ours = await ggufTokenizer(path);
  const hf = await loadTokenizer(folder);
  const texts = [...held, ...ODD, 'It\'s 12345 dollars!!  ok<|endoftext|>next'];

  test('tokens, merges, pre-tokenizer and special ids', () => {
    const n = 256 + bpe.merges.length + 1;
    assert.equal(report.vocab, `gpt2 vocabulary of 512 tokens from tokenizer.json (${512 - n} unused [PAD] tokens up to vocab_size)`);
    assert.deepEqual(report.vocabNotes, []);
    const meta = readGgufMetadata(path);
    assert.equal(meta.get('tokenizer.ggml.pre'), 'gpt-2');
    assert.deepEqual(meta.get('tokenizer.ggml.merges'), bpe.merges);
    assert.equal(meta.get('tokenizer.ggml.scores'), undefined);
    assert.equal((meta.get('tokenizer.ggml.tokens') as string[])[511], '[PAD511]');
    assert.equal((meta.get('tokenizer.ggml.token_type') as Int32Array)[511], 5, 'unused');
    assert.equal((meta.get('tokenizer.ggml.token_type') as Int32Array)[n - 1], 3, 'control');
    assert.equal(ours.bosId, n - 1);
    assert.equal(ours.eosId, n - 1);
    assert.equal(ours.addBos, false);
    assert.equal(ours.chatTemplates.default, readFileSync(join(FIXTURES, 'chatml-reasoning-chat-template.jinja'), 'utf8'));
  });

  test('our GGUF tokenizer and llama.cpp give tokenizer.json\'s ids', async () => {
    const model = await llamaCppModel(path);
    try {
      for (const s of texts) {
        const ids = hf.encode(s, { addSpecial: false });
        assert.deepEqual(ours.encode(s, { addSpecial: false }), ids, JSON.stringify(s.slice(0, 60)));
        assert.deepEqual(model.tokenize(s, true), ids, JSON.stringify(s.slice(0, 60)));
      }
      for (const s of held.slice(0, 20)) assert.equal(ours.decode(ours.encode(s)), s);
    } finally {
      await model.dispose();
    }
  });
});

test('tokenizers that cannot be exported fall back to the placeholder and say why', () => {
  const bpe = trainTinyBpe(train.slice(0, 20).join('\n'), 20);
  const gpt2 = tinyBpeTokenizerJson(bpe, ['<|endoftext|>']);
  const config = (V: number) => parseConfig({ model_type: 'jamba', vocab_size: V, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1 }, 'config.json');
  const cases: [object, number, RegExp][] = [
    [{ ...gpt2, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, use_regex: true } }, 512, /byte-level pre-tokenizer is not one llama\.cpp names/],
    [{ ...gpt2, model: { type: 'WordPiece', vocab: {} } }, 512, /model is WordPiece, and only BPE models are exported/],
    [gpt2, 200, /has 277 tokens, more than the model's vocab_size 200/],
  ];
  for (const [json, V, why] of cases) {
    const meta = new Map();
    const r = folderVocab(modelFolder(V, { 'tokenizer.json': json }), config(V), {}, meta);
    assert.ok('placeholder' in r && why.test(r.placeholder), JSON.stringify(r));
    assert.equal(meta.size, 0, 'nothing written');
  }
  const { report } = convert(modelFolder(512, { 'tokenizer.json': cases[0]![0] }));
  assert.match(report.placeholderVocab ?? '', /byte-level pre-tokenizer is not one llama\.cpp names.*; wrote a placeholder vocabulary of 512 tokens/);
  assert.equal(report.vocab, undefined);
});

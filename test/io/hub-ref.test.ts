/** Reading Hub references and choosing a model's files (io/hub-ref.ts): pure functions, no network. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JambaUserError } from '../../src/errors.js';
import { parseRepoRef, planModelFiles, shardsOfIndex } from '../../src/io/hub-ref.js';

test('repo ids, revisions and GGUF files are read; paths and malformed names are not repo ids', () => {
  assert.deepEqual(parseRepoRef('ai21labs/AI21-Jamba-Mini-1.7'), { repo: 'ai21labs/AI21-Jamba-Mini-1.7', revision: 'main' });
  assert.deepEqual(parseRepoRef('ai21labs/Jamba-v0.1@refs/pr/1'), { repo: 'ai21labs/Jamba-v0.1', revision: 'refs/pr/1' });
  assert.deepEqual(parseRepoRef('someone/x-GGUF/x-Q4_K_M.gguf'), { repo: 'someone/x-GGUF', revision: 'main', file: 'x-Q4_K_M.gguf' });
  assert.deepEqual(parseRepoRef('someone/x-GGUF@v2/q8/x-Q8_0.gguf'), { repo: 'someone/x-GGUF', revision: 'v2', file: 'q8/x-Q8_0.gguf' });
  for (const notRepo of ['./a/b', '/abs/model', '../x/y', '~/m/x', 'single', 'a/b/c', 'models/x.gguf', 'dir/model.safetensors',
    'a--b/c', 'a/b..c', 'a/b-', 'a/b/../x.gguf', '-a/b', 'a/b c', 'a/' + 'x'.repeat(97)]) {
    assert.equal(parseRepoRef(notRepo), undefined, notRepo);
  }
});

test('a model is config, tokenizer and chat-template files and its safetensors; nothing else', () => {
  const all = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'tokenizer.model', 'special_tokens_map.json',
    'chat_template.jinja', 'additional_chat_templates/tool_use.jinja', 'model.safetensors', 'README.md', '.gitattributes',
    'pytorch_model.bin', 'x.gguf', 'original/consolidated.safetensors', 'figures/plot.png'];
  const plan = planModelFiles('o/n', 'main', all);
  assert.equal(plan.sharded, false);
  assert.deepEqual(plan.files.sort(), ['additional_chat_templates/tool_use.jinja', 'chat_template.jinja', 'config.json', 'generation_config.json',
    'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer.model', 'tokenizer_config.json']);
  const sharded = planModelFiles('o/n', 'main', ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  assert.deepEqual(sharded, { files: ['model.safetensors.index.json', 'config.json'], sharded: true });
  const index = JSON.stringify({ weight_map: { a: 'model-00002-of-00002.safetensors', b: 'model-00001-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' } });
  assert.deepEqual(shardsOfIndex('o/n', index, ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  assert.throws(() => shardsOfIndex('o/n', index, ['model-00001-of-00002.safetensors']), (e) => e instanceof JambaUserError && /names model-00002-of-00002\.safetensors, which is not in the repo/.test(e.message));
  assert.throws(() => planModelFiles('o/n', 'main', ['config.json', 'pytorch_model.bin']), /no \.safetensors weights/);
  assert.throws(() => planModelFiles('o/n', 'main', ['README.md']), /has no config\.json/);
});

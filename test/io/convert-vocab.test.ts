/**
 * `jamba convert` writes a folder's real tokenizer: for the Llama 2 and Mistral fixtures (read in place
 * from ../shared/data/tokenizers, linked into a temporary folder beside a random 32000-token model),
 * once from tokenizer.model (SentencePiece protobuf, as llama.cpp reads it) and once from tokenizer.json
 * alone. Each GGUF must (a) tokenise every expected.jsonl case to the expected ids through our GGUF
 * tokenizer, (b) do the same in llama.cpp (node-llama-cpp), and (c) keep the special ids, BOS/EOS flags
 * and chat templates of the folder's tokenizer. The two sources must also give the same vocabulary.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { folderVocab } from '../../src/io/convert-vocab.js';
import { vocabFromTokenizerJson } from '../../src/io/convert-vocab-json.js';
import { plainMetadata } from '../../src/io/gguf/values.js';
import { parseConfig } from '../../src/model/config.js';
import { addedTokens } from '../../src/io/convert-vocab-special.js';
import { readSpmModel, vocabFromSpm } from '../../src/io/convert-vocab-spm.js';
import { JambaUserError } from '../../src/errors.js';
import { readHfTokenizerFiles } from '../../src/tokenizer/hf-config.js';
import { loadTokenizer, tokenizerFromGgufMetadata } from '../../src/tokenizer/load.js';
import { FIXTURES, readExpected, TOKENIZER_DATA } from '../tokenizer/shared-data.js';
import { cleanUp, convert, ggufTokenizer, llamaCppModel, modelFolder } from './convert-vocab-helpers.js';

after(cleanUp);

const JAMBA_TEMPLATE = readFileSync(join(FIXTURES, 'jamba-1.5-chat-template.jinja'), 'utf8');
const CHATML_TEMPLATE = readFileSync(join(FIXTURES, 'chatml-reasoning-chat-template.jinja'), 'utf8');

/** Files of a fixture folder; tokenizer_config.json gets chat template(s) added (fixtures have none). */
function tokenizerFiles(name: string, withModel: boolean): Record<string, string | object> {
  const src = join(TOKENIZER_DATA, name);
  const cfg = JSON.parse(readFileSync(join(src, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  cfg.chat_template = withModel
    ? JAMBA_TEMPLATE
    : [{ name: 'default', template: JAMBA_TEMPLATE }, { name: 'tool_use', template: CHATML_TEMPLATE }];
  const files: Record<string, string | object> = { 'tokenizer.json': join(src, 'tokenizer.json'), 'tokenizer_config.json': cfg };
  if (withModel) files['tokenizer.model'] = join(src, 'tokenizer.model');
  if (name === 'mistral-7b-v0.1') files['special_tokens_map.json'] = join(src, 'special_tokens_map.json');
  return files;
}

for (const name of ['llama2', 'mistral-7b-v0.1']) {
  for (const withModel of [true, false]) {
    describe(`${name} from ${withModel ? 'tokenizer.model' : 'tokenizer.json alone'}`, async () => {
      const folder = modelFolder(32000, tokenizerFiles(name, withModel));
      const { path, report } = convert(folder);
      const ours = await ggufTokenizer(path);
      const hf = await loadTokenizer(folder);
      const cases = readExpected(name);

      test('the report names the source; no placeholder, no notes', () => {
        assert.equal(report.placeholderVocab, undefined);
        assert.equal(report.vocab, `llama vocabulary of 32000 tokens from ${withModel ? 'tokenizer.model' : 'tokenizer.json'}`);
        assert.deepEqual(report.vocabNotes, []);
      });

      test('our GGUF tokenizer encodes every expected.jsonl case to the expected ids and decodes it back', () => {
        for (const c of cases) {
          assert.deepEqual(ours.encode(c.text, { addSpecial: false }), c.ids, JSON.stringify(c.text));
          assert.equal(ours.decode(c.ids), c.decoded, JSON.stringify(c.text));
        }
        // a token that is U+FEFF itself survives the GGUF strings and decoding
        const bom = ['\uFEFFHello', 'a \uFEFF b'];
        for (const s of bom) {
          const ids = hf.encode(s, { addSpecial: false });
          assert.ok(ids.includes(hf.tokenToId('\uFEFF')!), `${ids}`);
          assert.deepEqual(ours.encode(s, { addSpecial: false }), ids);
          assert.equal(ours.decode(ids), hf.decode(ids));
          assert.equal(ours.decode(ids.slice(1)), hf.decode(ids.slice(1)), 'U+FEFF first');
        }
      });

      test('llama.cpp tokenises every case to the same ids', async () => {
        const model = await llamaCppModel(path);
        try {
          for (const c of cases) assert.deepEqual(model.tokenize(c.text, false), c.ids, JSON.stringify(c.text));
          assert.equal(model.tokens.bos, 1);
          assert.equal(model.tokens.eos, 2);
          assert.equal(model.tokens.shouldPrependBosToken, true);
          assert.equal(model.fileInfo.metadata.tokenizer.chat_template, JAMBA_TEMPLATE);
          // special-token text is cut out when asked, and the next word gets its "▁" again
          const text = 'Hi</s>there <s> you';
          const ids = hf.encode(text, { addSpecial: false });
          assert.ok(ids.includes(2) && ids.includes(1), `${ids}`);
          assert.deepEqual(model.tokenize(text, true), ids);
          assert.deepEqual(ours.encode(text, { addSpecial: false }), ids);
          assert.deepEqual(model.tokenize(text, false), ours.encode(text, { addSpecial: false, parseSpecial: false }));
        } finally {
          await model.dispose();
        }
      });

      test('special ids, BOS/EOS flags and chat templates are those of the folder\'s tokenizer', () => {
        for (const k of ['bosId', 'eosId', 'unkId', 'addBos', 'addEos', 'vocabSize'] as const) assert.equal(ours[k], hf[k], k);
        assert.deepEqual(ours.specialTokens, { ...hf.specialTokens, pad_token: '<unk>' }, 'pad from config.json, as llama.cpp');
        assert.deepEqual(ours.chatTemplates, hf.chatTemplates);
        assert.deepEqual(ours.encode('Hello world'), hf.encode('Hello world'));
        assert.deepEqual(ours.encode('Hello world'), [1, ...cases.find((c) => c.text === 'Hello world')!.ids]);
        for (const id of [0, 1, 2, 3, 13, 259, 31999]) assert.equal(ours.idToToken(id), hf.idToToken(id), `token ${id}`);
      });
    });
  }

  test(`${name}: tokenizer.json gives tokenizer.model's tokens, types and score order`, () => {
    const dir = join(TOKENIZER_DATA, name);
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    const added = addedTokens(json, readHfTokenizerFiles(dir), dir);
    const spm = vocabFromSpm(readSpmModel(readFileSync(join(dir, 'tokenizer.model')), name), added);
    const fromJson = vocabFromTokenizerJson(json, added);
    assert.ok(typeof fromJson !== 'string', String(fromJson));
    assert.deepEqual(fromJson.tokens, spm.tokens);
    assert.deepEqual(fromJson.types, spm.types);
    assert.equal(fromJson.addSpacePrefix, spm.addSpacePrefix);
    assert.equal(fromJson.unkId, spm.unkId);
    // The only scores llama.cpp consults are those of multi-character normal tokens (merge results):
    // both sources must order them the same way (ties in tokenizer.model broken by id).
    const ids = [...spm.tokens.keys()].filter((i) => spm.types[i] === 1 && [...spm.tokens[i]!].length > 1);
    const order = (s: number[]) => [...ids].sort((a, b) => s[b]! - s[a]! || a - b);
    assert.ok(ids.length > 28000);
    assert.deepEqual(order(fromJson.scores), order(spm.scores));
  });
}

/** tokenizer.json of Llama 2, changed by `edit`, exported for a model of 32001 tokens; our GGUF and HF tokenizers. */
async function edited(edit: (json: Record<string, unknown>) => void) {
  const src = join(TOKENIZER_DATA, 'llama2');
  const json = JSON.parse(readFileSync(join(src, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  edit(json);
  const folder = modelFolder(16, { 'tokenizer.json': json, 'tokenizer_config.json': join(src, 'tokenizer_config.json') });
  const config = parseConfig({ model_type: 'jamba', vocab_size: 32001, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1 }, 'config.json');
  const meta = new Map();
  const r = folderVocab(folder, config, {}, meta);
  assert.ok('written' in r, JSON.stringify(r));
  return { notes: r.notes, meta, ours: tokenizerFromGgufMetadata(plainMetadata(meta), 'edited'), hf: await loadTokenizer(folder) };
}

test('a non-special added token is user-defined and matched as tokenizer.json matches it', async () => {
  const { notes, meta, ours, hf } = await edited((json) => {
    json.added_tokens = [...(json.added_tokens as object[]), { id: 32000, content: '<tool>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false }];
  });
  assert.deepEqual(notes, []);
  assert.equal((meta.get('tokenizer.ggml.token_type')!.value as Int32Array)[32000], 4);
  assert.equal((meta.get('tokenizer.ggml.tokens')!.value as string[])[32000], '<tool>');
  for (const s of ['call <tool> now', '<tool><tool>x', 'Hello world']) {
    assert.deepEqual(ours.encode(s), hf.encode(s), s);
    assert.ok(ours.encode(s, { parseSpecial: false }).includes(32000) === s.includes('<tool>'), 'user-defined even as plain text');
  }
});

test('a Metaspace pre-tokenizer (newer transformers form of Llama 2) exports with the same ids', async () => {
  const { notes, ours } = await edited((json) => {
    json.normalizer = null;
    json.pre_tokenizer = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false };
  });
  // prepend_scheme "first": after a special token tokenizer.json adds no "▁", llama.cpp does; said in a note
  assert.deepEqual(notes, ['tokenizer.json puts "▁" only before the start of the text (Metaspace prepend_scheme "first"); llama.cpp also puts it after each special token']);
  for (const c of readExpected('llama2')) assert.deepEqual(ours.encode(c.text, { addSpecial: false }), c.ids, JSON.stringify(c.text));
});

test('a folder with only tokenizer.model: ids and specials from the SentencePiece model itself', () => {
  const folder = modelFolder(16, { 'tokenizer.model': join(TOKENIZER_DATA, 'llama2', 'tokenizer.model') });
  const config = parseConfig({ model_type: 'jamba', vocab_size: 32000, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1 }, 'config.json');
  const meta = new Map();
  assert.deepEqual(folderVocab(folder, config, {}, meta), { written: 'llama vocabulary of 32000 tokens from tokenizer.model', notes: [] });
  const ours = tokenizerFromGgufMetadata(plainMetadata(meta), 'spm-only');
  assert.deepEqual([ours.bosId, ours.eosId, ours.unkId, ours.padId, ours.addBos, ours.addEos], [1, 2, 0, undefined, true, false]);
  for (const c of readExpected('llama2')) assert.deepEqual(ours.encode(c.text, { addSpecial: false }), c.ids, JSON.stringify(c.text));
});

test('a truncated or foreign tokenizer.model fails with a clear error', () => {
  const buf = readFileSync(join(TOKENIZER_DATA, 'llama2', 'tokenizer.model'));
  assert.throws(() => readSpmModel(buf.subarray(0, 1000), 'cut.model'), (e: Error) => e instanceof JambaUserError && /cut\.model: truncated protobuf/.test(e.message));
  assert.throws(() => readSpmModel(new TextEncoder().encode('{"model": {}}'), 'json.model'), (e: Error) => e instanceof JambaUserError && /json\.model/.test(e.message));
});

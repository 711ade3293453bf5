/**
 * tokenizer.json path (@huggingface/tokenizers + side files) against ../shared expected.jsonl for the
 * Llama 2 and Mistral vocabularies (SentencePiece outputs), plus BOS/EOS rules, special-token text,
 * decoding with and without special tokens, and the library gaps worked around in hf-tokenizer.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { readExpected, TOKENIZER_DATA } from './shared-data.js';

for (const vocab of ['llama2', 'mistral-7b-v0.1']) {
  describe(`tokenizer.json: ${vocab}`, async () => {
    const tok = await loadTokenizer(join(TOKENIZER_DATA, vocab));
    const cases = readExpected(vocab);

    it('has 65 expected cases to check', () => assert.equal(cases.length, 65));

    it('encodes every expected.jsonl case exactly (no special tokens)', () => {
      for (const c of cases) assert.deepEqual(tok.encode(c.text, { addSpecial: false }), c.ids, JSON.stringify(c.text));
    });

    it('gives the expected pieces', () => {
      for (const c of cases) {
        const ids = tok.encode(c.text, { addSpecial: false });
        assert.deepEqual(ids.map((id) => tok.idToToken(id)), c.pieces, JSON.stringify(c.text));
      }
    });

    it('decodes every case back to the expected text', () => {
      for (const c of cases) assert.equal(tok.decode(c.ids), c.decoded, JSON.stringify(c.text));
    });

    it('prepends BOS (add_bos_token) and no EOS', () => {
      assert.equal(tok.bosId, 1);
      assert.equal(tok.eosId, 2);
      assert.equal(tok.addBos, true);
      assert.equal(tok.addEos, false);
      for (const c of cases.slice(0, 10)) assert.deepEqual(tok.encode(c.text), [1, ...c.ids]);
      assert.deepEqual(tok.encode(''), [1]);
    });

    it('decodes BOS/EOS as text unless skipped', () => {
      const ids = tok.encode('Hello world');
      assert.equal(tok.decode([...ids, 2]), '<s> Hello world</s>');
      assert.equal(tok.decode([...ids, 2], { skipSpecial: true }), 'Hello world');
      assert.equal(tok.decode([1, 2], { skipSpecial: true }), '');
      assert.equal(tok.decode([]), '');
    });

    it('matches special-token text in the input unless parseSpecial is false', () => {
      const ids = tok.encode('a</s>b', { addSpecial: false });
      assert.ok(ids.includes(2), `expected </s> as id 2 in ${ids}`);
      const plain = tok.encode('a</s>b', { addSpecial: false, parseSpecial: false });
      assert.ok(!plain.includes(2), `expected no id 2 in ${plain}`);
      assert.equal(tok.decode(plain), 'a</s>b');
    });

    it('rejects ids outside the vocabulary', () => {
      assert.equal(tok.vocabSize, 32000);
      assert.throws(() => tok.decode([32000]), RangeError);
      assert.throws(() => tok.decode([-1]), RangeError);
    });

    it('keeps spaces before punctuation (no clean-up)', () => {
      const ids = tok.encode('a . b , c', { addSpecial: false });
      assert.equal(tok.decode(ids), 'a . b , c');
    });

    it('names its special tokens for chat templates', () => {
      assert.equal(tok.specialTokens.bos_token, '<s>');
      assert.equal(tok.specialTokens.eos_token, '</s>');
      assert.equal(tok.tokenToId('<s>'), 1);
      assert.equal(tok.isSpecial(1), true);
      assert.equal(tok.isSpecial(100), false);
    });
  });
}

describe('tokenizer.json: loading errors', () => {
  it('names a missing path', async () => {
    await assert.rejects(loadTokenizer('/nonexistent/tokenizer.json'), /does not exist/);
  });
  it('names a folder without tokenizer.json', async () => {
    await assert.rejects(loadTokenizer(join(TOKENIZER_DATA, 'jamba')), /has no tokenizer\.json/);
  });
});

/**
 * GGUF `llama` (SentencePiece) vocabulary path on llama.cpp's ggml-vocab-llama-spm.gguf: llama.cpp's
 * .inp/.out pairs, every llama2 expected.jsonl case (same vocabulary and scores), BOS/EOS keys,
 * special tokens and decoding.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readGgufMetadata } from '../../src/io/gguf/source.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { readExpected, readLlamaCppPairs, TOKENIZER_DATA } from './shared-data.js';

const GGUF = join(TOKENIZER_DATA, 'llama-spm', 'ggml-vocab-llama-spm.gguf');

describe('GGUF llama (SPM) vocabulary', async () => {
  const tok = await loadTokenizer(GGUF, { readGgufMetadata });

  it('reads the vocabulary and its special-token keys', () => {
    assert.equal(tok.kind, 'gguf-llama');
    assert.equal(tok.vocabSize, 32000);
    assert.equal(tok.bosId, 1);
    assert.equal(tok.eosId, 2);
    assert.equal(tok.unkId, 0);
    assert.equal(tok.addBos, true);
    assert.equal(tok.addEos, false);
    assert.deepEqual(tok.eosIds, [2]);
    assert.equal(tok.specialTokens.bos_token, '<s>');
  });

  it("reproduces llama.cpp's .out for all 46 .inp strings", () => {
    const pairs = readLlamaCppPairs(GGUF);
    assert.equal(pairs.length, 46);
    for (const p of pairs) assert.deepEqual(tok.encode(p.text, { addSpecial: false }), p.ids, JSON.stringify(p.text));
  });

  it('encodes and decodes every llama2 expected.jsonl case', () => {
    const cases = readExpected('llama2');
    for (const c of cases) {
      assert.deepEqual(tok.encode(c.text, { addSpecial: false }), c.ids, JSON.stringify(c.text));
      assert.deepEqual(c.ids.map((id) => tok.idToToken(id)), c.pieces);
      assert.equal(tok.decode(c.ids), c.decoded, JSON.stringify(c.text));
    }
  });

  it('adds BOS as add_bos_token says, and decodes it unless skipped', () => {
    const ids = tok.encode('Hello world');
    assert.deepEqual(ids, [1, 15043, 3186]);
    assert.equal(tok.decode(ids), '<s> Hello world');
    assert.equal(tok.decode(ids, { skipSpecial: true }), 'Hello world');
    assert.deepEqual(tok.encode(''), [1]);
    assert.deepEqual(tok.encode('', { addSpecial: false }), []);
  });

  it('cuts control-token text out of the input unless parseSpecial is false', () => {
    const ids = tok.encode('Hi</s>there', { addSpecial: false });
    assert.ok(ids.includes(2), `${ids}`);
    // After a special token the next fragment gets the space prefix again (llama.cpp).
    assert.equal(tok.idToToken(ids[ids.indexOf(2) + 1]!), '\u2581there');
    const plain = tok.encode('Hi</s>there', { addSpecial: false, parseSpecial: false });
    assert.ok(!plain.includes(2));
    assert.equal(tok.decode(plain), 'Hi</s>there');
  });

  it('streams byte-fallback characters whole', () => {
    const text = 'Lorem 🦙 ipsum 𝕬';
    const sd = tok.streamDecoder({ skipSpecial: true });
    const chunks = tok.encode(text).map((id) => sd.push(id));
    chunks.push(sd.flush());
    assert.equal(chunks.join(''), text);
    for (const c of chunks) assert.ok(!c.includes('\uFFFD'), JSON.stringify(c));
  });
});

/**
 * GGUF `gpt2` (byte-level BPE) tokenizer on a vocabulary trained here from ../shared Tiny Shakespeare,
 * checked against @huggingface/tokenizers loading the same vocabulary as tokenizer.json, plus special
 * tokens, BOS/EOS keys and UTF-8 round trips.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer as HfLibTokenizer } from '@huggingface/tokenizers';
import { tokenizerFromGgufMetadata } from '../../src/tokenizer/load.js';
import { REPO_ROOT } from './shared-data.js';
import { tinyBpeGgufMetadata, tinyBpeTokenizerJson, trainTinyBpe } from './tiny-bpe.js';

const corpus = readFileSync(join(REPO_ROOT, '..', 'shared', 'data', 'tinyshakespeare', 'input.txt'), 'utf8').slice(0, 30000);
const bpe = trainTinyBpe(corpus, 300);
const EOT = '<|endoftext|>';

const TEXTS = [
  'First Citizen:\nBefore we proceed any further, hear me speak.',
  "You are all resolved rather to die than to famish? We'll, they're I've",
  '  leading spaces and trailing   ',
  'tabs\tand\r\nnewlines\n\n\n',
  'Ünïcödé: café, naïve, 日本語, 🦙 and 👨‍👩‍👧',
  'numbers 12345 and 3.14159, symbols <=> $+^~|',
  '',
  ' ',
];

describe('GGUF gpt2 vocabulary', () => {
  const tok = tokenizerFromGgufMetadata(tinyBpeGgufMetadata(bpe, [EOT], { 'tokenizer.ggml.eos_token_id': 556 }), 'tiny.gguf');
  const hf = new HfLibTokenizer(tinyBpeTokenizerJson(bpe, [EOT]), {});

  it('trained a vocabulary with merges', () => {
    assert.equal(bpe.merges.length, 300);
    assert.equal(tok.vocabSize, 256 + 300 + 1);
    assert.equal(tok.kind, 'gguf-gpt2');
  });

  it('encodes like @huggingface/tokenizers on the same vocabulary', () => {
    for (const text of [...TEXTS, corpus.slice(5000, 7000)]) {
      assert.deepEqual(tok.encode(text), hf.encode(text, { add_special_tokens: false }).ids, JSON.stringify(text.slice(0, 40)));
    }
  });

  it('merges: common words become single tokens', () => {
    const ids = tok.encode(' the');
    assert.equal(ids.length, 1, `' the' should be one token, got ${ids}`);
    assert.equal(tok.idToToken(ids[0]!), '\u0120the');
  });

  it('round-trips text through decode', () => {
    for (const text of TEXTS) assert.equal(tok.decode(tok.encode(text)), text);
  });

  it('adds no BOS/EOS by default and none is defined without keys', () => {
    assert.equal(tok.addBos, false);
    assert.equal(tok.addEos, false);
    assert.equal(tok.bosId, undefined);
    assert.equal(tok.eosId, 556);
    assert.deepEqual(tok.eosIds, [556]);
  });

  it('parses control-token text unless parseSpecial is false', () => {
    const ids = tok.encode(`hi${EOT}there`);
    assert.ok(ids.includes(556));
    assert.equal(tok.decode(ids), `hi${EOT}there`);
    assert.equal(tok.decode(ids, { skipSpecial: true }), 'hithere');
    const plain = tok.encode(`hi${EOT}there`, { parseSpecial: false });
    assert.ok(!plain.includes(556));
    assert.equal(tok.decode(plain), `hi${EOT}there`);
  });

  it('honours add_bos_token / add_eos_token keys', () => {
    const t2 = tokenizerFromGgufMetadata(
      tinyBpeGgufMetadata(bpe, [EOT, '<s>'], {
        'tokenizer.ggml.bos_token_id': 557n,
        'tokenizer.ggml.eos_token_id': 556,
        'tokenizer.ggml.add_bos_token': true,
        'tokenizer.ggml.add_eos_token': true,
      }),
      't2.gguf',
    );
    const body = t2.encode('abc', { addSpecial: false });
    assert.deepEqual(t2.encode('abc'), [557, ...body, 556]);
  });

  it('streams multi-byte characters without splitting them', () => {
    const text = 'café 日本語 🦙!';
    const ids = tok.encode(text);
    assert.ok(ids.length > [...text].length / 2, 'non-ASCII characters should need several byte tokens');
    const sd = tok.streamDecoder();
    const chunks = ids.map((id) => sd.push(id));
    chunks.push(sd.flush());
    assert.equal(chunks.join(''), text);
    for (const c of chunks) assert.ok(!c.includes('\uFFFD'), `chunk ${JSON.stringify(c)} holds half a character`);
  });

  it('rejects unsupported tokenizer models and pre-tokenizers', () => {
    const meta = tinyBpeGgufMetadata(bpe, []);
    meta.set('tokenizer.ggml.pre', 'no-such-pre');
    assert.throws(() => tokenizerFromGgufMetadata(meta, 'x.gguf'), /pre-tokenizer 'no-such-pre'/);
    meta.set('tokenizer.ggml.model', 't5');
    assert.throws(() => tokenizerFromGgufMetadata(meta, 'x.gguf'), /'t5' is not supported/);
  });
});

/**
 * The trained byte-fallback BPE (SentencePiece-style "▁" boundaries, spec §14.2) written as
 * tokenizer.json + tokenizer_config.json loads through the project's tokenizer path
 * (src/tokenizer, @huggingface/tokenizers) and agrees with the training encoder; decoding round-trips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { BpeEncoder } from '../../src/train/tokenizer/bpe-encode.js';
import { trainBpe } from '../../src/train/tokenizer/bpe-train.js';
import { BOS, SPECIALS, bpeVocabFromJson, writeTokenizerFiles } from '../../src/train/tokenizer/tokenizer-files.js';
import { SHARED } from '../helpers/reference.js';

function stories(): string[] {
  const text = readFileSync(join(SHARED, 'data', 'tinystories', 'tinystories_sample.txt'), 'utf8');
  return text.split('<|endoftext|>').slice(0, 400).map((s) => s.trim()).filter((s) => s.length > 0);
}

test('trained BPE: tokenizer.json loads, ids match the training encoder, text round-trips', async () => {
  const all = stories();
  const train = all.slice(0, 300), held = all.slice(300);
  const v = trainBpe(train, { vocabSize: 700, specials: SPECIALS, minCharCount: 5 });
  assert.equal(v.tokens.length, 700);
  assert.equal(v.tokens[v.byteBase], '<0x00>');
  assert.ok(v.tokens.includes('\u2581the'), 'learned a word-initial piece');
  const dir = mkdtempSync(join(tmpdir(), 'jamba-bpe-'));
  try {
    writeTokenizerFiles(dir, v);
    const tok = await loadTokenizer(dir);
    assert.equal(tok.vocabSize, 700);
    assert.equal(tok.bosId, BOS);
    assert.equal(tok.idToToken(2), '<|endoftext|>');
    const enc = new BpeEncoder(v);
    const odd = ['', ' ', 'Héllo wörld — “quoted” 日本 🙂', '  two  spaces\n\nnew para\tTab', 'aaaa aaa', 'Lily\nLily'];
    for (const s of [...held, ...odd]) {
      const ours = enc.encode(s);
      const theirs = tok.encode(s, { addSpecial: false });
      assert.deepEqual(theirs, ours, `ids differ for ${JSON.stringify(s.slice(0, 60))}`);
      assert.equal(tok.decode(ours), s, `round trip of ${JSON.stringify(s.slice(0, 60))}`);
    }
    assert.deepEqual(tok.encode('Once upon a time').slice(0, 1), [BOS], 'BOS is added');
    assert.ok(Object.keys(tok.chatTemplates).length > 0, 'chat template shipped');
    const back = bpeVocabFromJson(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
    assert.deepEqual(back, v);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('BPE training is deterministic and reaches the requested size', () => {
  const s = stories().slice(0, 100);
  const a = trainBpe(s, { vocabSize: 500, specials: SPECIALS }), b = trainBpe(s, { vocabSize: 500, specials: SPECIALS });
  assert.deepEqual(a, b);
  assert.equal(a.tokens.length, 500);
  assert.equal(new Set(a.tokens).size, 500, 'token strings unique');
});

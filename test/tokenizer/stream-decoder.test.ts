/**
 * Streaming detokenisation over the Llama 2 tokenizer.json (byte-fallback tokens for emoji and rare
 * CJK): chunks join to the full decode, no chunk carries half a character, left context keeps the
 * word-initial space, an incomplete tail is only released by flush(), and generated ids the tokenizer
 * has no text for (a padded model vocabulary) or that `visible` rejects show as nothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { readExpected, TOKENIZER_DATA } from './shared-data.js';

describe('StreamDecoder', async () => {
  const tok = await loadTokenizer(join(TOKENIZER_DATA, 'llama2'));
  const cases = readExpected('llama2');

  it('joins to the full decode and never emits half a UTF-8 character', () => {
    let byteFallbackCases = 0;
    for (const c of cases) {
      const ids = [1, ...c.ids];
      if (c.pieces.some((p) => /^<0x[0-9A-F]{2}>$/.test(p))) byteFallbackCases++;
      const sd = tok.streamDecoder({ skipSpecial: true });
      const chunks = ids.map((id) => sd.push(id));
      chunks.push(sd.flush());
      assert.equal(chunks.join(''), tok.decode(ids, { skipSpecial: true }), JSON.stringify(c.text));
      for (const ch of chunks) assert.ok(!ch.includes('\uFFFD'), `${JSON.stringify(c.text)}: chunk ${JSON.stringify(ch)}`);
    }
    assert.ok(byteFallbackCases >= 3, `only ${byteFallbackCases} cases exercise byte fallback`);
  });

  it('holds back the bytes of a character until it is complete', () => {
    const ids = tok.encode('🦙', { addSpecial: false });
    const bytes = ids.filter((id) => /^<0x/.test(tok.idToToken(id)!));
    assert.equal(bytes.length, 4, `expected 4 byte tokens in ${ids.map((i) => tok.idToToken(i))}`);
    const sd = tok.streamDecoder({ context: tok.encode('Hi') });
    const out = ids.map((id) => sd.push(id));
    // "▁" comes out at once; the four byte tokens give nothing until the last completes the character.
    assert.deepEqual(out, [' ', '', '', '', '🦙']);
  });

  it('keeps the space of a word that follows the context', () => {
    const prompt = tok.encode('Once upon');
    const cont = tok.encode(' a time there was', { addSpecial: false }).slice(1); // drop the lone "▁" prefix token
    const full = tok.decode([...prompt, ...cont], { skipSpecial: true });
    const sd = tok.streamDecoder({ context: prompt, skipSpecial: true });
    const text = cont.map((id) => sd.push(id)).join('') + sd.flush();
    assert.equal('Once upon' + text, full);
    assert.ok(text.startsWith(' '), `expected a leading space in ${JSON.stringify(text)}`);
  });

  it('releases an incomplete tail only on flush', () => {
    const ids = tok.encode('🦙', { addSpecial: false }).slice(1); // the four byte tokens
    const sd = tok.streamDecoder({ context: [1] });
    for (const id of ids.slice(0, -1)) assert.equal(sd.push(id), '');
    assert.equal(sd.flush(), tok.decode(ids.slice(0, -1)));
    assert.ok(tok.decode(ids.slice(0, -1)).includes('\uFFFD'));
    assert.equal(sd.flush(), '');
  });

  it('shows ids past the vocabulary (a padded model vocabulary) and ids `visible` rejects as nothing', () => {
    const ids = tok.encode('Once upon a time', { addSpecial: false });
    const V = tok.vocabSize;
    const mixed = [V + 3, ids[0]!, V, ...ids.slice(1, 3), 2, V + 100, ...ids.slice(3)];
    const sd = tok.streamDecoder({ context: [1, V + 7], visible: (id) => id !== 2 });
    const text = mixed.map((id) => sd.push(id)).join('') + sd.flush();
    const plain = tok.streamDecoder({ context: [1] });
    const want = ids.map((id) => plain.push(id)).join('') + plain.flush();
    assert.equal(text, want);
    assert.ok(want.includes('Once upon a time'), JSON.stringify(want));
    assert.equal(tok.tokenText(V + 1), '');
    assert.equal(tok.tokenText(ids[1]!), tok.decode([ids[1]!]));
    assert.throws(() => tok.decode([V]), /outside the vocabulary/); // explicit decoding still refuses them
  });
});

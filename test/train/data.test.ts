/**
 * Training data handling: documents split at <|endoftext|> lines with the cut-off tail dropped, the
 * held-out split, the seeded window sampler (every window once per epoch, deterministic, resumable
 * from its state), and the --config recipe checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JambaUserError } from '../../src/errors.js';
import { WindowSampler, evalBatches, readDocuments, tokenizeSplits } from '../../src/train/data.js';
import { TRAIN_DEFAULTS, parseRecipe } from '../../src/train/recipe.js';

test('documents: split at separator lines (tail dropped), else at blank lines, else at lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jamba-data-'));
  try {
    const a = join(dir, 'a.txt'), b = join(dir, 'b.txt');
    writeFileSync(a, 'One story.\nSecond line.\n<|endoftext|>\nTwo <|endoftext|> inline.\n<|endoftext|>\nCut off mid');
    writeFileSync(b, 'A file without separators:\nparagraphs.\n\n  Second paragraph.\n');
    const c = join(dir, 'c.txt');
    writeFileSync(c, 'verse one\nverse two\n');
    assert.deepEqual(readDocuments([a, b, c]), ['One story.\nSecond line.', 'Two <|endoftext|> inline.', 'A file without separators:\nparagraphs.', 'Second paragraph.', 'verse one', 'verse two']);
    assert.throws(() => readDocuments([join(dir, 'missing.txt')]), JambaUserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('splits: [BOS] ids [EOS] per document, last documents held out', () => {
  const docs = ['a', 'bb', 'ccc', 'dddd'];
  const enc = (s: string) => [...s].map((c) => c.charCodeAt(0));
  const s = tokenizeSplits(docs, enc, 1, 2, 0.25);
  assert.deepEqual([...s.train], [1, 97, 2, 1, 98, 98, 2, 1, 99, 99, 99, 2]);
  assert.deepEqual([...s.val], [1, 100, 100, 100, 100, 2]);
  assert.equal(s.valDocs, 1);
});

test('sampler: each window once per epoch, seeded order, exact resume from its state', () => {
  const stream = Int32Array.from({ length: 41 }, (_, i) => i);
  const T = 4;
  const a = new WindowSampler(stream, T, 7);
  assert.equal(a.windows, 10);
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) { const b = a.next(2); starts.push(b.ids[0]!, b.ids[T]!); assert.equal(b.targets[0], b.ids[0]! + 1); }
  assert.deepEqual([...starts].sort((x, y) => x - y), [0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
  const next = a.next(3);
  assert.equal(a.state.epoch, 1);
  const c = new WindowSampler(stream, T, 7, { epoch: 0, index: 10 });
  assert.deepEqual(c.next(3), next, 'resumed sampler gives the same batch');
  const other = new WindowSampler(stream, T, 8);
  const o: number[] = [];
  for (let i = 0; i < 5; i++) { const b = other.next(2); o.push(b.ids[0]!, b.ids[T]!); }
  assert.notDeepEqual(o, starts, 'another seed, another order');
  const held = evalBatches(stream, T, 3, 2);
  assert.deepEqual(held.map((b) => b.B), [3, 3]);
  assert.equal(held[1]!.ids[0], 12);
});

test('recipe: defaults, snake_case fields, errors name the field', () => {
  const r = parseRecipe({ model: { hidden_size: 64 }, training: { seq_len: 128, lr: 0.01 } }, 'r.json');
  assert.equal(r.training.seqLen, 128);
  assert.equal(r.training.lr, 0.01);
  assert.equal(r.training.batchSize, TRAIN_DEFAULTS.batchSize);
  assert.equal(r.tokenizer.vocabSize, 4096);
  assert.deepEqual(parseRecipe({ hidden_size: 64 }, 'r.json').model, { hidden_size: 64 });
  assert.throws(() => parseRecipe({ model: {}, training: { seqlen: 3 } }, 'r.json'), /unknown field 'seqlen'/);
  assert.throws(() => parseRecipe({ model: {}, training: { seq_len: 2.5 } }, 'r.json'), /seq_len' must be an integer/);
  assert.throws(() => parseRecipe({ model: {}, training: { steps: 0 } }, 'r.json'), /steps must be at least 1/);
  assert.throws(() => parseRecipe({ model: {}, extra: {} }, 'r.json'), /unknown section 'extra'/);
});

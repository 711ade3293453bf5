/**
 * Consistency of the cached paths, on random prompts: one-shot prefill = chunked prefill (chunks of
 * 1, 3, 5, …) = token-by-token decode; a batch = each sequence alone; snapshot/restore and
 * serialise/deserialise continue identically. Run on reference models and on generated ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/model/load.js';
import type { JambaModel } from '../../src/model/jamba.js';
import { SequenceMemory } from '../../src/memory/sequence.js';
import { rng } from '../../src/model/random.js';
import { maxAbsDiff, referenceDir } from '../helpers/reference.js';
import { GENERATED_CONFIGS, generatedModel } from '../helpers/models.js';
import { testBackends } from '../helpers/backends.js';

const TOL = 1e-5;

function prompt(seed: number, n: number, V: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => 3 + Math.floor(r() * (V - 3)));
}

/** Logits of every position when `ids` is fed in chunks of the given sizes (cycled). */
function chunked(model: JambaModel, ids: number[], sizes: number[]): Float32Array {
  const V = model.dims.V;
  const mem = model.newSequence();
  const out = new Float32Array(ids.length * V);
  let pos = 0, i = 0;
  while (pos < ids.length) {
    const n = Math.min(sizes[i++ % sizes.length]!, ids.length - pos);
    const l = model.forward([{ memory: mem, tokens: ids.slice(pos, pos + n) }], { logits: 'all' });
    out.set(l, pos * V);
    pos += n;
  }
  assert.equal(mem.length, ids.length);
  return out;
}

const models: [string, () => string][] = [
  ['hybrid-moe', () => referenceDir('hybrid-moe')],
  ['jamba-v0.1-layout', () => referenceDir('jamba-v0.1-layout')],
  ['dense-tied', () => referenceDir('dense-tied')],
  ...Object.keys(GENERATED_CONFIGS).map((n): [string, () => string] => [n, () => generatedModel(n)]),
];

for (const backend of testBackends()) {
  for (const [name, dir] of models) {
    test(`${name} on ${backend.name}: cached paths agree`, async (t) => {
      const model = await loadModel(dir(), backend);
      const V = model.dims.V;
      const ids = prompt(name.length * 31 + 5, 23, V);

      await t.test('one-shot = chunked = token by token', () => {
        const one = chunked(model, ids, [ids.length]);
        for (const sizes of [[1], [3], [5], [2, 7, 1], [4, 1]]) {
          const d = maxAbsDiff(one, chunked(model, ids, sizes));
          assert.ok(d < TOL, `chunks ${sizes.join(',')}: differs by ${d}`);
        }
      });

      await t.test('a batch of sequences = each alone, bit for bit', () => {
        const prompts = [ids, prompt(99, 7, V), prompt(100, 1, V), prompt(101, 16, V)];
        const batch = model.forward(prompts.map((p) => ({ memory: model.newSequence(), tokens: p })), { logits: 'all' });
        let off = 0;
        for (const p of prompts) {
          const alone = model.forward([{ memory: model.newSequence(), tokens: p }], { logits: 'all' });
          assert.deepEqual(batch.subarray(off, off + alone.length), alone);
          off += alone.length;
        }
        // Mixed decode batch: sequences at different lengths step together.
        const mems = prompts.map((p) => { const m = model.newSequence(); model.forward([{ memory: m, tokens: p }]); return m; });
        const solo = mems.map((m) => m.clone());
        const step = model.forward(mems.map((m, i) => ({ memory: m, tokens: [5 + i] })), { logits: 'last' });
        solo.forEach((m, i) => {
          const l = model.forward([{ memory: m, tokens: [5 + i] }], { logits: 'last' });
          assert.deepEqual(step.subarray(i * V, (i + 1) * V), l);
        });
      });

      await t.test('snapshot, continue, restore, continue again', () => {
        const mem = model.newSequence();
        model.forward([{ memory: mem, tokens: ids.slice(0, 11) }]);
        const snap = mem.snapshot();
        const a = model.forward([{ memory: mem, tokens: ids.slice(11) }], { logits: 'all' });
        model.forward([{ memory: mem, tokens: [7, 8, 9] }]);
        mem.restore(snap);
        assert.equal(mem.length, 11);
        const b = model.forward([{ memory: mem, tokens: ids.slice(11) }], { logits: 'all' });
        assert.deepEqual(b, a);
        // Restoring into a different sequence works too.
        const other = model.newSequence();
        other.restore(snap);
        assert.deepEqual(model.forward([{ memory: other, tokens: ids.slice(11) }], { logits: 'all' }), a);
      });

      await t.test('serialised and reloaded state continues identically', () => {
        const mem = model.newSequence();
        model.forward([{ memory: mem, tokens: ids.slice(0, 9) }]);
        const bytes = mem.serialize();
        const again = SequenceMemory.deserialize(bytes, model.memoryLayout());
        assert.equal(again.length, 9);
        const a = model.forward([{ memory: mem, tokens: ids.slice(9) }], { logits: 'all' });
        const b = model.forward([{ memory: again, tokens: ids.slice(9) }], { logits: 'all' });
        assert.deepEqual(b, a);
        assert.throws(() => SequenceMemory.deserialize(bytes.subarray(0, bytes.length - 4), model.memoryLayout(), 'saved.state'), /saved\.state: .*truncated/);
      });
    });
  }
}

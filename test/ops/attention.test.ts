/**
 * Native attention (online softmax over key blocks) against the reference: grouped KV heads, odd head
 * dims, with and without a cached past, contexts that span several key blocks and several 256-key
 * chunks; and batch invariance: a query's output is the same bit for bit whether its chunk is processed
 * at once or token by token (decode splits its keys over threads, prefill does not), on 1 or 2 threads.
 */
import { test } from 'node:test';
import type { AttentionArgs } from '../../src/backends/backend.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { assertBitEqual, assertClose, forEachIsa, rand, rng, skipReason } from './helpers.js';

const ref = new RefBackend();

function args(r: () => number, T: number, past: number, nH: number, nKV: number, d: number, spread = 3): AttentionArgs {
  const S = past + T;
  return {
    q: rand(r, T * nH * d, -spread, spread), k: rand(r, S * nKV * d, -spread, spread), v: rand(r, S * nKV * d),
    T, past, nH, nKV, d, scale: 1 / Math.sqrt(d), out: new Float32Array(T * nH * d),
  };
}

const CASES: [number, number, number, number, number][] = [
  // T, past, nH, nKV, d
  [1, 0, 4, 2, 8], [3, 5, 4, 2, 7], [17, 0, 6, 3, 24], [33, 70, 8, 2, 65], [1, 200, 5, 1, 16], [4, 130, 8, 8, 3],
  [2, 64, 12, 1, 33],
  // several 256-key chunks (decode splits them over threads and merges; prefill merges them in turn)
  [1, 700, 8, 2, 64], [3, 1030, 12, 1, 33], [9, 520, 4, 4, 16],
  // head dims 64 and 128 take unrolled code paths, with every group size
  [5, 300, 6, 2, 128], [2, 40, 4, 2, 64], [3, 90, 2, 2, 64], [1, 260, 8, 2, 128],
];

test('native attention matches the reference', { skip: skipReason() }, () => {
  const r = rng(20);
  forEachIsa((nb, isa) => {
    for (const [T, past, nH, nKV, d] of CASES) {
      const a = args(r, T, past, nH, nKV, d);
      const want = new Float32Array(a.out.length);
      ref.attention({ ...a, out: want });
      nb.attention(a);
      assertClose(a.out, want, `${isa} attention T=${T} past=${past} nH=${nH} nKV=${nKV} d=${d}`);
    }
  });
});

for (const [past, d] of [[60, 20], [600, 20], [300, 64]])
test(`native attention: one-shot prefill equals token-by-token bit for bit, any thread count (past ${past}, d ${d})`, { skip: skipReason() }, () => {
  const r = rng(21);
  const T = 19, nH = 4, nKV = 2;
  forEachIsa((nb, isa) => {
    const a = args(r, T, past, nH, nKV, d);
    nb.attention(a);
    const w = nH * d, kw = nKV * d;
    for (let t = 0; t < T; t++) {
      const out = new Float32Array(w);
      nb.attention({ ...a, q: a.q.subarray(t * w, (t + 1) * w), k: a.k.subarray(0, (past + t + 1) * kw),
        v: a.v.subarray(0, (past + t + 1) * kw), T: 1, past: past + t, out });
      assertBitEqual(out, a.out.subarray(t * w, (t + 1) * w), `${isa} query ${t}`);
      if (t === T - 1) { // the last query again on one thread
        nb.configure({ threads: 1, isa });
        const one = new Float32Array(w);
        nb.attention({ ...a, q: a.q.subarray(t * w, (t + 1) * w), k: a.k.subarray(0, (past + t + 1) * kw),
          v: a.v.subarray(0, (past + t + 1) * kw), T: 1, past: past + t, out: one });
        nb.configure({ threads: 2, isa });
        assertBitEqual(one, out, `${isa} query ${t}, 1 thread vs 2`);
      }
    }
  });
});

/**
 * Native matmul against the reference backend: f32, f16 and bf16 weights read in their stored type,
 * odd shapes (dims not multiples of 8 or 16, T = 1, 3, 17, 33), unaligned weight bytes, with and
 * without bias, on every instruction set this CPU has; plus batch invariance (row t of a T-row call
 * equals the 1-row call bit for bit, and the thread count changes nothing); matmulMany gives each
 * matmul exactly its own result.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MatmulOp } from '../../src/backends/backend.js';
import { isQuantized, quantizeRows } from '../../src/tensor/quant/index.js';
import { makeWeight } from '../../src/tensor/weight.js';
import { RefBackend } from '../../src/backends/ref/index.js';
import { toF32 } from '../../src/tensor/dequant.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Weight } from '../../src/tensor/weight.js';
import { assertBitEqual, assertClose, forEachIsa, nativeBackend, rand, randWeight, rng, skipReason } from './helpers.js';

const ref = new RefBackend();
const DTYPES: DType[] = ['f32', 'f16', 'bf16'];
const SHAPES: [number, number][] = [[1, 1], [5, 7], [19, 37], [67, 100], [33, 257], [130, 16], [9, 1000]];
const TS = [1, 3, 17, 33];

/** Σ_i |x[t,i]·W[o,i]|: the scale a float32 dot's rounding error is measured against. */
function magnitudes(x: Float32Array, w: Weight, T: number): Float64Array {
  const [rows, cols] = w.shape as [number, number];
  const wf = toF32(w);
  const m = new Float64Array(T * rows);
  for (let t = 0; t < T; t++)
    for (let o = 0; o < rows; o++) {
      let s = 0;
      for (let i = 0; i < cols; i++) s += Math.abs(x[t * cols + i]! * wf[o * cols + i]!);
      m[t * rows + o] = s;
    }
  return m;
}

test('native matmul matches the reference on odd shapes, every dtype and ISA', { skip: skipReason() }, () => {
  const r = rng(1);
  let k = 0;
  forEachIsa((nb, isa) => {
    for (const dtype of DTYPES)
      for (const [rows, cols] of SHAPES)
        for (const T of TS) {
          k++;
          const w = randWeight(r, dtype, rows, cols, k % 3);
          const x = k % 2 ? rand(r, T * cols) : rand(r, T * cols + 1).subarray(1); // sometimes misaligned
          const bias = k % 2 ? rand(r, rows) : null;
          const want = new Float32Array(T * rows), got = new Float32Array(T * rows);
          ref.matmul(want, x, w, T, bias);
          nb.matmul(got, x, w, T, bias);
          const mag = magnitudes(x, w, T);
          if (bias) for (let i = 0; i < mag.length; i++) mag[i]! += Math.abs(bias[i % rows]!);
          assertClose(got, want, `${isa} ${dtype} [${rows}x${cols}] T=${T}`, 1e-5, mag);
        }
  });
});

test('native matmul is batch-invariant: each row equals its 1-row call, any thread count', { skip: skipReason() }, () => {
  const r = rng(2);
  const T = 33, rows = 67, cols = 100;
  forEachIsa((nb, isa) => {
    for (const dtype of DTYPES) {
      const w = randWeight(r, dtype, rows, cols, 1);
      const x = rand(r, T * cols);
      const bias = rand(r, rows);
      const full = new Float32Array(T * rows);
      nb.matmul(full, x, w, T, bias);
      for (const t of [0, 1, 5, 16, 17, 32]) {
        const one = new Float32Array(rows);
        nb.matmul(one, x.subarray(t * cols, (t + 1) * cols), w, 1, bias);
        assertBitEqual(one, full.subarray(t * rows, (t + 1) * rows), `${isa} ${dtype} row ${t}`);
      }
      const mid = new Float32Array(5 * rows); // rows 7..11 as a batch of 5
      nb.matmul(mid, x.subarray(7 * cols, 12 * cols), w, 5, bias);
      assertBitEqual(mid, full.subarray(7 * rows, 12 * rows), `${isa} ${dtype} rows 7..11`);
      const big = 300, xb = rand(r, big * cols + 1).subarray(1), yb = new Float32Array(big * rows);
      nb.matmul(yb, xb, w, big, bias); // several token blocks, packed x
      for (const t of [0, 255, 256, 299]) {
        const one = new Float32Array(rows);
        nb.matmul(one, xb.subarray(t * cols, (t + 1) * cols), w, 1, bias);
        assertBitEqual(one, yb.subarray(t * rows, (t + 1) * rows), `${isa} ${dtype} T=${big} row ${t}`);
      }
      nb.configure({ threads: 1, isa });
      const single = new Float32Array(T * rows);
      nb.matmul(single, x, w, T, bias);
      nb.configure({ threads: 2, isa });
      assertBitEqual(single, full, `${isa} ${dtype} 1 thread vs 2`);
    }
  });
});

test('native matmul checks its arguments instead of reading out of bounds', { skip: skipReason() }, () => {
  const nb = nativeBackend()!;
  const r = rng(3);
  const w = randWeight(r, 'f32', 4, 8);
  let threw = false;
  try { nb.matmul(new Float32Array(8), new Float32Array(8), w, 2); } catch (e) { threw = e instanceof RangeError; }
  if (!threw) throw new Error('a too-short x was accepted');
});

// 544 columns: the plain and 32-value types; 768: the K types (256-value blocks) beside Q8_0 on the same x,
// whose activations are quantised in blocks of another size
const MANY_TYPES: [number, DType[]][] = [
  [544, ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1']],
  [768, ['q4_k', 'q6_k', 'q8_0', 'q5_k', 'f32']],
];
for (const scheme of ['exact', 'int8'] as const)
test(`${scheme} scheme: matmulMany equals each matmul on its own (shared and distinct x, every type, > 16 ops, prefill and decode)`, { skip: skipReason() }, () => {
  const r = rng(4);
  forEachIsa((nb, isa) => {
    for (const [cols, types] of MANY_TYPES)
    for (const T of [1, 3, 40]) {
      const x1 = rand(r, T * cols), x2 = rand(r, T * cols + 1).subarray(1); // x2 unaligned
      const ops: MatmulOp[] = [];
      for (let i = 0; i < 20; i++) { // more ops than one native call takes
        const dtype = types[i % types.length]!, rows = 3 + 7 * i;
        const w = isQuantized(dtype)
          ? makeWeight(`w${i}`, dtype, [rows, cols], quantizeRows(dtype, rand(r, rows * cols), cols))
          : randWeight(r, dtype, rows, cols, i % 2);
        ops.push({ y: new Float32Array(T * rows), x: i % 3 === 2 ? x2 : x1, w, T, bias: i % 4 === 1 ? rand(r, rows) : null });
      }
      nb.matmulMany(ops);
      ops.forEach((op, i) => {
        const alone = new Float32Array(op.y.length);
        nb.matmul(alone, op.x, op.w, op.T, op.bias);
        assertBitEqual(op.y, alone, `${scheme} ${isa} T=${T} cols=${cols} op ${i} (${op.w.dtype})`);
      });
    }
  }, scheme);
});

test('native matmulMany checks every group of arguments', { skip: skipReason() }, () => {
  const nb = nativeBackend()!;
  const w = randWeight(rng(5), 'f32', 4, 8);
  const ok = { y: new Float32Array(8), x: new Float32Array(16), w, T: 2 };
  assert.throws(() => nb.matmulMany([ok, { ...ok, x: new Float32Array(8) }]), RangeError);
});

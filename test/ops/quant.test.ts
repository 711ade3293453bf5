/**
 * Native matmul and embed on llama.cpp block-quantised weights (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K,
 * Q5_K, Q6_K) read in their stored bytes: against the reference backend (decodeRow + float64 dot), and
 * bit for bit against the native float32 matmul of the decoded weights (the quantised kernels decode
 * exactly as the TS reference does and then run the same canonical dot), on every instruction set.
 */
import { test } from 'node:test';
import { RefBackend } from '../../src/backends/ref/index.js';
import { toF32 } from '../../src/tensor/dequant.js';
import type { DType } from '../../src/tensor/dtype.js';
import { quantizeRows } from '../../src/tensor/quant/index.js';
import { f32Weight, makeWeight, type Weight } from '../../src/tensor/weight.js';
import { assertBitEqual, assertClose, forEachIsa, rand, rng, skipReason } from './helpers.js';

const ref = new RefBackend();
const SMALL: DType[] = ['q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1'];
const K: DType[] = ['q4_k', 'q5_k', 'q6_k'];

function qWeight(r: () => number, dtype: DType, rows: number, cols: number): Weight {
  const vals = rand(r, rows * cols, -0.5, 0.5);
  return makeWeight(`${dtype}_${rows}x${cols}`, dtype, [rows, cols], quantizeRows(dtype, vals, cols));
}

test('native quantised matmul matches the reference and the f32 matmul of the decoded weights', { skip: skipReason() }, () => {
  const r = rng(40);
  forEachIsa((nb, isa) => {
    for (const dtype of [...SMALL, ...K]) {
      const colsList = SMALL.includes(dtype) ? [32, 96, 544] : [256, 768];
      for (const cols of colsList)
        for (const [rows, T] of [[1, 1], [5, 3], [19, 17], [7, 33]] as [number, number][]) {
          const w = qWeight(r, dtype, rows, cols);
          const x = rand(r, T * cols);
          const bias = T === 3 ? rand(r, rows) : null;
          const want = new Float32Array(T * rows), got = new Float32Array(T * rows), viaF32 = new Float32Array(T * rows);
          ref.matmul(want, x, w, T, bias);
          nb.matmul(got, x, w, T, bias);
          const wf = toF32(w);
          nb.matmul(viaF32, x, f32Weight('decoded', [rows, cols], wf), T, bias);
          const what = `${isa} ${dtype} [${rows}x${cols}] T=${T}`;
          assertBitEqual(got, viaF32, `${what} vs decoded f32`);
          const mag = new Float64Array(T * rows);
          for (let t = 0; t < T; t++)
            for (let o = 0; o < rows; o++) {
              let s = bias ? Math.abs(bias[o]!) : 0;
              for (let i = 0; i < cols; i++) s += Math.abs(x[t * cols + i]! * wf[o * cols + i]!);
              mag[t * rows + o] = s;
            }
          assertClose(got, want, what, 1e-5, mag);
        }
    }
  });
});

test('native quantised matmul is batch-invariant', { skip: skipReason() }, () => {
  const r = rng(41);
  forEachIsa((nb, isa) => {
    for (const dtype of ['q8_0', 'q4_k', 'q6_k'] as DType[]) {
      const rows = 13, cols = 512, T = 9;
      const w = qWeight(r, dtype, rows, cols), x = rand(r, T * cols);
      const full = new Float32Array(T * rows);
      nb.matmul(full, x, w, T);
      for (let t = 0; t < T; t++) {
        const one = new Float32Array(rows);
        nb.matmul(one, x.subarray(t * cols, (t + 1) * cols), w, 1);
        assertBitEqual(one, full.subarray(t * rows, (t + 1) * rows), `${isa} ${dtype} row ${t}`);
      }
    }
  });
});

test('native embed decodes quantised tables exactly', { skip: skipReason() }, () => {
  const r = rng(42);
  forEachIsa((nb, isa) => {
    for (const dtype of [...SMALL, ...K]) {
      const H = SMALL.includes(dtype) ? 64 : 256;
      const table = qWeight(r, dtype, 9, H);
      const ids = Int32Array.from([8, 0, 4, 4]);
      const want = new Float32Array(ids.length * H), got = new Float32Array(ids.length * H);
      ref.embed(want, ids, table);
      nb.embed(got, ids, table);
      assertBitEqual(got, want, `${isa} embed ${dtype}`);
    }
  });
});

/**
 * Native matmul and embed on llama.cpp block-quantised weights (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K,
 * Q5_K, Q6_K) read in their stored bytes, on every instruction set, in both schemes:
 * - 'exact': against the reference backend (decodeRow + float64 dot), and bit for bit against the
 *   native float32 matmul of the decoded weights (the kernels decode exactly as the TS reference does
 *   and then run the same canonical dot);
 * - 'int8' (llama.cpp's, the default): activations quantised to int8 blocks (tensor/quant/act.ts,
 *   kernels/qdot.c) — against the reference's int8 path, and the reference's int8 path against exact
 *   within the bound that activation rounding allows.
 */
import { test } from 'node:test';
import { RefBackend } from '../../src/backends/ref/index.js';
import { toF32 } from '../../src/tensor/dequant.js';
import type { DType } from '../../src/tensor/dtype.js';
import { quantizeRows } from '../../src/tensor/quant/index.js';
import { f32Weight, makeWeight, type Weight } from '../../src/tensor/weight.js';
import { assertBitEqual, assertClose, forEachIsa, isas, nativeBackend, rand, rng, skipReason } from './helpers.js';

const ref = new RefBackend({ quantDot: 'exact' });
const refInt8 = new RefBackend({ quantDot: 'int8' });
const SMALL: DType[] = ['q8_0', 'q4_0', 'q4_1', 'q5_0', 'q5_1'];
const K: DType[] = ['q4_k', 'q5_k', 'q6_k'];

function qWeight(r: () => number, dtype: DType, rows: number, cols: number): Weight {
  const vals = rand(r, rows * cols, -0.5, 0.5);
  return makeWeight(`${dtype}_${rows}x${cols}`, dtype, [rows, cols], quantizeRows(dtype, vals, cols));
}

/** Σ_i |x_i·w_i| per output: the scale a dot's rounding error is judged against. */
function magnitudes(x: Float32Array, wf: Float32Array, bias: Float32Array | null, T: number, rows: number, cols: number): Float64Array {
  const mag = new Float64Array(T * rows);
  for (let t = 0; t < T; t++)
    for (let o = 0; o < rows; o++) {
      let s = bias ? Math.abs(bias[o]!) : 0;
      for (let i = 0; i < cols; i++) s += Math.abs(x[t * cols + i]! * wf[o * cols + i]!);
      mag[t * rows + o] = s;
    }
  return mag;
}

interface Case { w: Weight; x: Float32Array; bias: Float32Array | null; rows: number; cols: number; T: number; what: string }

/** Every block type × odd shapes (whole blocks, tails of tiles, T = 1 and 33) with random weights, x and a bias sometimes. */
function forEachCase(r: () => number, fn: (c: Case) => void): void {
  for (const dtype of [...SMALL, ...K]) {
    const colsList = SMALL.includes(dtype) ? [32, 96, 544] : [256, 768];
    for (const cols of colsList)
      for (const [rows, T] of [[1, 1], [5, 3], [19, 17], [7, 33]] as [number, number][]) {
        const w = qWeight(r, dtype, rows, cols);
        const x = rand(r, T * cols);
        if (T === 17) x.fill(0, 0, cols); // an all-zero token: scale 0, no division by zero
        fn({ w, x, bias: T === 3 ? rand(r, rows) : null, rows, cols, T, what: `${dtype} [${rows}x${cols}] T=${T}` });
      }
  }
}

test('exact scheme: native quantised matmul matches the reference and the f32 matmul of the decoded weights', { skip: skipReason() }, () => {
  const r = rng(40);
  forEachIsa((nb, isa) => forEachCase(r, ({ w, x, bias, rows, cols, T, what }) => {
    const want = new Float32Array(T * rows), got = new Float32Array(T * rows), viaF32 = new Float32Array(T * rows);
    ref.matmul(want, x, w, T, bias);
    nb.matmul(got, x, w, T, bias);
    const wf = toF32(w);
    nb.matmul(viaF32, x, f32Weight('decoded', [rows, cols], wf), T, bias);
    assertBitEqual(got, viaF32, `exact ${isa} ${what} vs decoded f32`);
    assertClose(got, want, `exact ${isa} ${what}`, 1e-5, magnitudes(x, wf, bias, T, rows, cols));
  }), 'exact');
});

test('int8 scheme: native quantised matmul matches the reference int8 path on every type and ISA', { skip: skipReason() }, () => {
  const r = rng(43);
  forEachIsa((nb, isa) => forEachCase(r, ({ w, x, bias, rows, cols, T, what }) => {
    const want = new Float32Array(T * rows), got = new Float32Array(T * rows);
    refInt8.matmul(want, x, w, T, bias);
    nb.matmul(got, x, w, T, bias);
    assertClose(got, want, `int8 ${isa} ${what}`, 1e-5, magnitudes(x, toF32(w), bias, T, rows, cols));
  }), 'int8');
});

test('int8 scheme: the reference int8 path stays within activation rounding of the exact product', () => {
  const r = rng(44);
  for (const dtype of [...SMALL, ...K]) {
    const cols = 512, rows = 6, T = 4, block = K.includes(dtype) ? 256 : 32;
    const w = qWeight(r, dtype, rows, cols), wf = toF32(w);
    const x = rand(r, T * cols, -2, 2);
    const exact = new Float32Array(T * rows), int8 = new Float32Array(T * rows);
    ref.matmul(exact, x, w, T);
    refInt8.matmul(int8, x, w, T);
    let differs = false;
    for (let t = 0; t < T; t++)
      for (let o = 0; o < rows; o++) {
        // |x_i − x̂_i| ≤ d/2 = amax/254 per block, so |Δ| ≤ Σ_i |w_i|·amax_b/254 (+ float32 slack)
        let bound = 0;
        for (let b = 0; b < cols; b += block) {
          let amax = 0, sw = 0;
          for (let i = b; i < b + block; i++) { amax = Math.max(amax, Math.abs(x[t * cols + i]!)); sw += Math.abs(wf[o * cols + i]!); }
          bound += sw * amax / 254;
        }
        const delta = Math.abs(int8[t * rows + o]! - exact[t * rows + o]!);
        if (delta > 0) differs = true;
        if (delta > bound * 1.001 + 1e-5) throw new Error(`${dtype} t=${t} o=${o}: int8 − exact = ${delta} > bound ${bound}`);
      }
    if (!differs) throw new Error(`${dtype}: int8 and exact agree exactly — activations were not quantised`);
  }
});

for (const scheme of ['exact', 'int8'] as const)
test(`${scheme} scheme: native quantised matmul is batch-invariant`, { skip: skipReason() }, () => {
  const r = rng(41);
  forEachIsa((nb, isa) => {
    // odd block counts and rows past 16 blocks exercise the one-token (decode) kernels' chunk edges;
    // 150 rows give the pool row blocks of 16 and more, with tails of tiles and single rows; rows of
    // one block (dt_proj's shape) go 16 rows at a time in decode, with a bias and a tail of rows
    // through the tile path
    for (const dtype of ['q8_0', 'q4_1', 'q5_0', 'q4_k', 'q5_k', 'q6_k'] as DType[])
    for (const cols of K.includes(dtype) ? [512, 768] : [32, 288, 544, 1056])
    for (const rows of cols === 512 ? [13, 150] : cols === 32 ? [13, 37, 1024] : [13]) {
      const T = 9;
      const w = qWeight(r, dtype, rows, cols), x = rand(r, T * cols);
      const bias = cols === 32 ? rand(r, rows) : null;
      const full = new Float32Array(T * rows);
      nb.matmul(full, x, w, T, bias);
      for (let t = 0; t < T; t++) {
        const one = new Float32Array(rows);
        nb.matmul(one, x.subarray(t * cols, (t + 1) * cols), w, 1, bias);
        assertBitEqual(one, full.subarray(t * rows, (t + 1) * rows), `${scheme} ${isa} ${dtype} [${rows}x${cols}] row ${t}`);
      }
    }
  }, scheme);
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

/**
 * An identity matrix in a block format (every weight 0 but w[o, o] = 1, exactly), so that y[t, o] =
 * d_x·q_x at position o: the quantised activations themselves, with no rounding after them. Q8_0 covers
 * the 32-blocks (fp16 scale), Q4_K the 256-blocks (d = 1, dmin = 0, every sub-block scale 1, min 0).
 */
function identity(dtype: 'q8_0' | 'q4_k', n: number): Weight {
  const QK = dtype === 'q8_0' ? 32 : 256, BY = dtype === 'q8_0' ? 34 : 144, nb = n / QK;
  const data = new Uint8Array(n * nb * BY);
  for (let o = 0; o < n; o++)
    for (let b = 0; b < nb; b++) {
      const at = (o * nb + b) * BY;
      data[at] = 0x00; data[at + 1] = 0x3c; // d = 1.0 (fp16); Q4_K's dmin (next 2 bytes) stays 0
      if (dtype === 'q4_k') {
        for (let j = 0; j < 4; j++) data[at + 4 + j] = 1;      // sub-blocks 0–3: scale 1, min 0
        for (let j = 8; j < 12; j++) data[at + 4 + j] = 0x01;  // sub-blocks 4–7: scale 1, min 0
      }
      if (Math.floor(o / QK) !== b) continue;
      const i = o % QK;
      if (dtype === 'q8_0') data[at + 2 + i] = 1;
      else data[at + 16 + 32 * Math.floor(i / 64) + (i % 32)] = (i % 64) < 32 ? 0x01 : 0x10; // nibble 1
    }
  return makeWeight(`identity_${dtype}`, dtype, [n, n], data);
}

test('int8 scheme: the native kernels quantise activations to exactly the bytes the TypeScript mirror does', { skip: skipReason() }, () => {
  const r = rng(45);
  const n = 512, T = 6;
  const x = rand(r, T * n, -3, 3);
  for (let i = 0; i < n; i++) x[n + i] = (i % 7) - 3 + 0.5; // token 1: amax 3.5 … ties after scaling
  for (let i = 0; i < n; i++) x[2 * n + i] = ((i % 255) - 127) + (i % 2 ? 0.5 : 0); // token 2: amax 127.5
  x.fill(0, 3 * n, 4 * n); // token 3: all zero
  for (let i = 0; i < n; i++) x[4 * n + i] *= 1e-30; // token 4: tiny (an fp16 scale underflows for 32-blocks)
  for (const dtype of ['q8_0', 'q4_k'] as const) {
    const w = identity(dtype, n);
    const want = new Float32Array(T * n);
    refInt8.matmul(want, x, w, T);
    const exact = new Float32Array(T * n);
    ref.matmul(exact, x, w, T);
    assertBitEqual(exact, x, `${dtype} identity decodes to 1 on the diagonal`);
    forEachIsa((nb, isa) => {
      const got = new Float32Array(T * n);
      nb.matmul(got, x, w, T);
      assertBitEqual(got, want, `int8 ${isa} ${dtype}: quantised activations`);
    }, 'int8');
  }
});

test('int8 scheme: the AVX-512 VNNI copy gives exactly the AVX-512 results', { skip: skipReason() || (!isas().includes('avx512vnni') && 'this CPU has no AVX-512 VNNI') }, () => {
  const nb = nativeBackend('int8')!, r = rng(43);
  try {
    for (const dtype of [...SMALL, ...K])
    for (const T of [1, 5]) {
      const cols = K.includes(dtype) ? 768 : 544, rows = 11;
      const w = qWeight(r, dtype, rows, cols), x = rand(r, T * cols), bias = rand(r, rows);
      const out: Float32Array[] = [];
      for (const isa of ['avx512', 'avx512vnni']) {
        nb.configure({ threads: 2, isa });
        const y = new Float32Array(T * rows);
        nb.matmul(y, x, w, T, bias);
        out.push(y);
      }
      assertBitEqual(out[1]!, out[0]!, `${dtype} T=${T}`);
    }
  } finally {
    nb.configure({ threads: 2 });
  }
});

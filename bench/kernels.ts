/**
 * Kernel micro-benchmark (not part of npm test): matmul throughput of the native backend on f32,
 * f16, bf16 and block-quantised weights — prefill-shaped (T = 128, compute-bound: GFLOP/s), decode-shaped
 * (T = 1, one 16–32 MB matrix again and again: GB/s of weight bytes; one 1024×512 matrix that stays in
 * L2; an lm_head-sized 65536×512 matrix, which the host's 300 MB L3 holds when repeated) and
 * decode-shaped cold (T = 1 over ~800 MB of distinct matrices, past the L3: 1024×512 ones, as a small
 * model's token meets its layers, and 65536×512 ones, as a large model's long rows stream) — the
 * difference between the two is what each op's start and end cost — attention decode over
 * 32K cached keys (one layer again and again, and 16 layers read cold, against the bandwidth probe
 * sweeping the same caches in turn), and the reference backend on a small case.
 * Usage: node dist/bench/kernels.js [--threads n] [--isa generic|avx2|avx512|avx512vnni] [--types f32,q8_0,…]
 */
import { RefBackend } from '../src/backends/ref/index.js';
import { loadNativeBackend } from '../src/backends/native/index.js';
import { f32ToBf16, f32ToF16, type DType } from '../src/tensor/dtype.js';
import { makeWeight, type Weight } from '../src/tensor/weight.js';
import { isQuantized, quantizeRows } from '../src/tensor/quant/index.js';
import { allocBytes, allocFloats } from '../src/memory/pages.js';
import { median } from './common.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function weight(dtype: DType, rows: number, cols: number): Weight {
  if (isQuantized(dtype)) {
    const f = new Float32Array(rows * cols);
    let s = 777;
    for (let i = 0; i < f.length; i++) { s = (s * 1103515245 + 12345) >>> 0; f[i] = (s / 4294967296 - 0.5) * 0.1; }
    return makeWeight('w', dtype, [rows, cols], onPages(quantizeRows(dtype, f, cols)));
  }
  const es = dtype === 'f32' ? 4 : 2;
  const data = new Uint8Array(rows * cols * es);
  const dv = new DataView(data.buffer);
  let s = 12345;
  for (let i = 0; i < rows * cols; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const v = (s / 4294967296 - 0.5) * 0.1;
    if (dtype === 'f32') dv.setFloat32(4 * i, v, true);
    else dv.setUint16(2 * i, dtype === 'f16' ? f32ToF16(v) : f32ToBf16(v), true);
  }
  return makeWeight('w', dtype, [rows, cols], onPages(data));
}

/** The bytes where a loaded model keeps its weights (memory/pages.ts: 2 MB pages where possible). */
function onPages(data: Uint8Array): Uint8Array {
  const out = allocBytes(data.byteLength);
  out.set(data);
  return out;
}

/** Seconds of one run of fn. */
function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Median seconds of `reps` runs of fn (after one warm-up). */
function time(fn: () => void, reps: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1]!;
}

let nb: ReturnType<typeof loadNativeBackend>;
try {
  nb = loadNativeBackend(arg('threads') ? Number(arg('threads')) : undefined, arg('isa'));
} catch (e) { // an --isa this CPU or build lacks
  console.error(`kernels: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
if (!nb) { console.error('native addon not built'); process.exit(1); }
console.log(`native: ${JSON.stringify(nb.info)}`);
const ref = new RefBackend();

const types = (arg('types') ?? 'f32,f16,bf16,q8_0,q4_k,q6_k').split(',') as DType[];
const coldArena = allocBytes(800 * 2 ** 20); // the cold sets' weights, on 2 MB pages like a loaded model's
for (const dtype of types) {
  // prefill: T=128 tokens through a 1024x1024 layer
  {
    const rows = 1024, cols = 1024, T = 128;
    const w = weight(dtype, rows, cols), x = new Float32Array(T * cols).fill(0.01), y = new Float32Array(T * rows);
    const s = time(() => nb.matmul(y, x, w, T), 5);
    console.log(`${dtype} matmul ${rows}x${cols} T=${T}: ${(2 * rows * cols * T / s / 1e9).toFixed(1)} GFLOP/s`);
  }
  // decode: one token through a 8192x1024 matrix (16-32 MB of weights, larger than L2)
  {
    const rows = isQuantized(dtype) ? 4096 : 8192, cols = 1024;
    const w = weight(dtype, rows, cols), x = new Float32Array(cols).fill(0.01), y = new Float32Array(rows);
    const s = time(() => nb.matmul(y, x, w, 1), 20);
    console.log(`${dtype} matvec ${rows}x${cols}: ${(w.data.byteLength / s / 1e9).toFixed(1)} GB/s of weights, ${(2 * rows * cols / s / 1e9).toFixed(1)} GFLOP/s`);
  }
  // decode, cache-resident: one token through one 1024x512 matrix (an expert's projection) 200 times in a
  // row, so the weights stay in L2: the kernel's own rate, without DRAM
  {
    const rows = 1024, cols = 512, w = weight(dtype, rows, cols), x = new Float32Array(cols).fill(0.01), y = new Float32Array(rows);
    const s = time(() => { for (let i = 0; i < 200; i++) nb.matmul(y, x, w, 1); }, 7) / 200;
    console.log(`${dtype} matvec ${rows}x${cols} cache-resident: ${(s * 1e6).toFixed(1)} µs, ${(w.data.byteLength / s / 1e9).toFixed(1)} GB/s of weights`);
  }
  // decode: one token through an lm_head-sized 65536x512 matrix
  {
    const rows = 65536, cols = 512, w = weight(dtype, rows, cols), x = new Float32Array(cols).fill(0.01), y = new Float32Array(rows);
    const s = time(() => nb.matmul(y, x, w, 1), 9);
    console.log(`${dtype} matvec ${rows}x${cols} (an lm_head, repeated): ${(s * 1e3).toFixed(2)} ms, ${(w.data.byteLength / s / 1e9).toFixed(1)} GB/s of weights`);
  }
  // decode, cold: one token through enough distinct matrices to leave every cache (~800 MB; the L3 is 300 MB),
  // copies of one matrix laid end to end in one arena that every type and shape reuses
  for (const rows of [1024, 65536]) {
    const cols = 512, w0 = weight(dtype, rows, cols), size = w0.data.byteLength;
    const ws = Array.from({ length: Math.floor(coldArena.byteLength / size) }, (_, i) => {
      coldArena.set(w0.data, i * size);
      return makeWeight(`w${i}`, dtype, [rows, cols], coldArena.subarray(i * size, (i + 1) * size));
    });
    const x = new Float32Array(cols).fill(0.01), y = new Float32Array(rows);
    const s = time(() => { for (const w of ws) nb.matmul(y, x, w, 1); }, 5);
    let many = '';
    if (rows === 1024) { // the same matrices eight to a call (one pool job): what each op's start and end cost
      const ys = Array.from({ length: 8 }, () => new Float32Array(rows));
      const groups = Array.from({ length: Math.floor(ws.length / 8) }, (_, g) => ws.slice(8 * g, 8 * g + 8).map((w, i) => ({ y: ys[i]!, x, w, T: 1 })));
      const s8 = time(() => { for (const ops of groups) nb.matmulMany(ops); }, 5) / (8 * groups.length);
      many = `; ${(s / ws.length * 1e6).toFixed(1)} µs each one call at a time, ${(s8 * 1e6).toFixed(1)} µs each eight to a matmulMany call`;
    }
    console.log(`${dtype} matvec cold, ${ws.length} x ${rows}x${cols}: ${(ws.length * w0.data.byteLength / s / 1e9).toFixed(1)} GB/s of weights${many}`);
  }
}
// attention decode: one query token over 32K cached keys, bench-small's heads (8 query, 2 KV, d 64)
{
  const S = 32768, nH = 8, nKV = 2, d = 64, L = 16;
  const layers = Array.from({ length: L }, () => ({ k: allocFloats(S * nKV * d).fill(0.01), v: allocFloats(S * nKV * d).fill(0.02) })); // as a KV cache holds them
  const q = new Float32Array(nH * d).fill(0.1), out = new Float32Array(nH * d), kvBytes = 2 * S * nKV * d * 4;
  const one = (l: { k: Float32Array; v: Float32Array }) => nb.attention({ q, k: l.k, v: l.v, T: 1, past: S - 1, nH, nKV, d, scale: 0.125, out });
  const hot = time(() => one(layers[0]!), 20);
  console.log(`attention decode, ${S} keys, one layer again and again: ${(hot * 1e3).toFixed(2)} ms, ${(kvBytes / hot / 1e9).toFixed(1)} GB/s of K and V`);
  // the same caches swept by the bandwidth probe, alternating with attention: what streaming them can reach now
  const colds: number[] = [], sweeps: number[] = [];
  one(layers[0]!);
  for (let r = 0; r < 7; r++) {
    colds.push(seconds(() => { for (const l of layers) one(l); }));
    sweeps.push(seconds(() => { for (const l of layers) { nb.streamSum(l.k); nb.streamSum(l.v); } }));
  }
  const cold = median(colds), sweep = median(sweeps);
  console.log(`attention decode, ${S} keys, ${L} layers read cold (${(L * kvBytes / 1e6).toFixed(0)} MB): ${(cold * 1e3).toFixed(1)} ms, ${(L * kvBytes / cold / 1e9).toFixed(1)} GB/s; the probe sweeping the same caches ${(L * kvBytes / sweep / 1e9).toFixed(1)} GB/s (attention ${(sweep / cold).toFixed(2)} of it)`);
}
{
  const rows = 256, cols = 256, T = 16;
  const w = weight('f32', rows, cols), x = new Float32Array(T * cols).fill(0.01), y = new Float32Array(T * rows);
  const sr = time(() => ref.matmul(y, x, w, T), 3), sn = time(() => nb.matmul(y, x, w, T), 20);
  console.log(`f32 matmul ${rows}x${cols} T=${T}: native ${(sr / sn).toFixed(0)}x faster than ref (${(2 * rows * cols * T / sr / 1e9).toFixed(2)} GFLOP/s ref)`);
}

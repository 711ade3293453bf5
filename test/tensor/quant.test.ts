/**
 * Tests of the llama.cpp block formats (src/tensor/quant/): hand-encoded blocks decode to the values the
 * ggml-common.h layouts define, quantize → dequantize stays within each format's error, and every
 * reference dot kernel equals dequantise-then-f32-dot on random blocks of odd block counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { QUANT_FORMATS, quantFormat, quantizeRows } from '../../src/tensor/quant/index.js';
import { nearestInt, roundAway } from '../../src/tensor/quant/common.js';
import { f32ToF16 } from '../../src/tensor/dtype.js';
import { decodeRow } from '../../src/tensor/dequant.js';
import { makeWeight } from '../../src/tensor/weight.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number, n: number, sd = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sd * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  return out;
}

function putF16(b: Uint8Array, o: number, v: number): void {
  const h = f32ToF16(v);
  b[o] = h & 0xff;
  b[o + 1] = h >> 8;
}

function dequant(dtype: Parameters<typeof quantFormat>[0], bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  quantFormat(dtype).dequantize(bytes, 0, n, out, 0);
  return out;
}

test('nearestInt rounds half to even, roundAway half away from zero (ggml nearest_int / C roundf)', () => {
  assert.deepEqual([2.5, 3.5, -2.5, 0.49999997, 7.5].map(nearestInt), [2, 4, -2, 0, 8]);
  assert.deepEqual([2.5, 3.5, -2.5, -0.4, 126.5].map(roundAway), [3, 4, -3, -0, 127]);
});

test('q8_0 block layout: fp16 d then 32 int8', () => {
  const b = new Uint8Array(34);
  putF16(b, 0, 0.5);
  for (let j = 0; j < 32; j++) b[2 + j] = (j * 8 - 128) & 0xff;
  const v = dequant('q8_0', b, 32);
  for (let j = 0; j < 32; j++) assert.equal(v[j], 0.5 * (j * 8 - 128));
});

test('q4_0 / q4_1 block layout: byte j holds value j (low nibble) and j+16 (high nibble)', () => {
  const b0 = new Uint8Array(18);
  putF16(b0, 0, 2);
  for (let j = 0; j < 16; j++) b0[2 + j] = j | ((15 - j) << 4);
  const v0 = dequant('q4_0', b0, 32);
  for (let j = 0; j < 16; j++) {
    assert.equal(v0[j], 2 * (j - 8));
    assert.equal(v0[j + 16], 2 * (15 - j - 8));
  }
  const b1 = new Uint8Array(20);
  putF16(b1, 0, 0.25);
  putF16(b1, 2, -1);
  for (let j = 0; j < 16; j++) b1[4 + j] = j | ((15 - j) << 4);
  const v1 = dequant('q4_1', b1, 32);
  for (let j = 0; j < 16; j++) {
    assert.equal(v1[j], 0.25 * j - 1);
    assert.equal(v1[j + 16], 0.25 * (15 - j) - 1);
  }
});

test('q5_0 / q5_1 block layout: bit j of the little-endian qh word is the 5th bit of value j', () => {
  const q = Array.from({ length: 32 }, (_, j) => (j * 7 + 3) % 32);
  let qh = 0;
  for (let j = 0; j < 32; j++) qh |= ((q[j]! >> 4) & 1) << j;
  const fill = (b: Uint8Array, qhOff: number) => {
    b[qhOff] = qh & 0xff; b[qhOff + 1] = (qh >>> 8) & 0xff; b[qhOff + 2] = (qh >>> 16) & 0xff; b[qhOff + 3] = (qh >>> 24) & 0xff;
    for (let j = 0; j < 16; j++) b[qhOff + 4 + j] = (q[j]! & 15) | ((q[j + 16]! & 15) << 4);
  };
  const b0 = new Uint8Array(22);
  putF16(b0, 0, 0.5);
  fill(b0, 2);
  const v0 = dequant('q5_0', b0, 32);
  const b1 = new Uint8Array(24);
  putF16(b1, 0, 0.5);
  putF16(b1, 2, 3);
  fill(b1, 4);
  const v1 = dequant('q5_1', b1, 32);
  for (let j = 0; j < 32; j++) {
    assert.equal(v0[j], 0.5 * (q[j]! - 16));
    assert.equal(v1[j], 0.5 * q[j]! + 3);
  }
});

/** Sub-block scale and min codes of a hand-built K4 block, packed as ggml-common.h documents. */
function k4Scales(b: Uint8Array, off: number, sc: number[], mn: number[]): void {
  for (let j = 0; j < 4; j++) {
    b[off + j] = (sc[j]! & 63) | ((sc[j + 4]! >> 4) << 6);
    b[off + j + 4] = (mn[j]! & 63) | ((mn[j + 4]! >> 4) << 6);
    b[off + j + 8] = (sc[j + 4]! & 15) | ((mn[j + 4]! & 15) << 4);
  }
}

test('q4_k / q5_k block layout: 6-bit scales and mins, nibbles per 64 values', () => {
  const sc = [1, 5, 17, 63, 33, 2, 48, 9];
  const mn = [0, 7, 62, 3, 16, 40, 1, 31];
  const q = Array.from({ length: 256 }, (_, i) => (i * 13 + 5) % 32);
  const b4 = new Uint8Array(144);
  putF16(b4, 0, 0.5);
  putF16(b4, 2, 0.25);
  k4Scales(b4, 4, sc, mn);
  for (let k = 0; k < 4; k++) for (let l = 0; l < 32; l++) b4[16 + 32 * k + l] = (q[64 * k + l]! & 15) | ((q[64 * k + 32 + l]! & 15) << 4);
  const v4 = dequant('q4_k', b4, 256);
  const b5 = new Uint8Array(176);
  b5.set(b4.subarray(0, 16));
  for (let k = 0; k < 4; k++) {
    for (let l = 0; l < 32; l++) {
      b5[48 + 32 * k + l] = b4[16 + 32 * k + l]!;
      b5[16 + l]! |= ((q[64 * k + l]! >> 4) << (2 * k)) | ((q[64 * k + 32 + l]! >> 4) << (2 * k + 1));
    }
  }
  const v5 = dequant('q5_k', b5, 256);
  for (let i = 0; i < 256; i++) {
    const j = i >> 5;
    assert.equal(v4[i], 0.5 * sc[j]! * (q[i]! & 15) - 0.25 * mn[j]!, `q4_k value ${i}`);
    assert.equal(v5[i], 0.5 * sc[j]! * q[i]! - 0.25 * mn[j]!, `q5_k value ${i}`);
  }
});

test('q6_k block layout: ql, qh, int8 scales, d last', () => {
  const q = Array.from({ length: 256 }, (_, i) => (i * 29 + 11) % 64);
  const sc = Array.from({ length: 16 }, (_, i) => (i * 37) % 256 - 128);
  const b = new Uint8Array(210);
  for (let i = 0; i < 256; i++) {
    const h = i >> 7, r = i & 127, g = r >> 5, l = r & 31;
    const qlByte = 64 * h + l + (g & 1 ? 32 : 0);
    b[qlByte]! |= (q[i]! & 15) << (g >= 2 ? 4 : 0);
    b[128 + 32 * h + l]! |= (q[i]! >> 4) << (2 * g);
  }
  for (let i = 0; i < 16; i++) b[192 + i] = sc[i]! & 0xff;
  putF16(b, 208, 0.125);
  const v = dequant('q6_k', b, 256);
  for (let i = 0; i < 256; i++) assert.equal(v[i], 0.125 * sc[i >> 4]! * (q[i]! - 32), `value ${i}`);
});

/**
 * Limits on the relative RMS error of quantize → dequantize on Gaussian data: about 1.3× the rounding
 * error of each format's step (step/√12; e.g. q4_0's step is max|x|/8 ≈ 0.27σ over 32 values → 0.08σ).
 */
const RMS_LIMIT: Record<string, number> = { q8_0: 0.0065, q6_k: 0.025, q5_0: 0.05, q5_1: 0.05, q5_k: 0.05, q4_0: 0.11, q4_1: 0.11, q4_k: 0.1 };

for (const fmt of QUANT_FORMATS) {
  test(`${fmt.dtype}: quantize → dequantize error is small; zero blocks stay zero`, () => {
    const r = rng(1234);
    for (const blocks of [1, 3, 7]) {
      const n = blocks * fmt.blockSize;
      const x = gaussian(r, n, 0.1 + blocks);
      const bytes = quantizeRows(fmt.dtype, x, n);
      assert.equal(bytes.length, blocks * fmt.blockBytes);
      const y = dequant(fmt.dtype, bytes, n);
      let se = 0, sx = 0;
      for (let i = 0; i < n; i++) { se += (x[i]! - y[i]!) ** 2; sx += x[i]! ** 2; }
      const rel = Math.sqrt(se / sx);
      assert.ok(rel < RMS_LIMIT[fmt.dtype]!, `${fmt.dtype} ${blocks} blocks: relative RMS error ${rel}`);
    }
    const zeros = new Float32Array(2 * fmt.blockSize);
    const z = dequant(fmt.dtype, quantizeRows(fmt.dtype, zeros, zeros.length), zeros.length);
    assert.ok(z.every((v) => v === 0), `${fmt.dtype} zero block`);
  });

  test(`${fmt.dtype}: dot kernel = dequantise-then-f32-dot on random blocks`, () => {
    const r = rng(99 + fmt.blockBytes);
    for (const blocks of [1, 3, 5, 9]) {
      const n = blocks * fmt.blockSize;
      // Random bytes for the quants, with valid fp16 scales; plus a block set made by the quantizer.
      const raw = new Uint8Array(blocks * fmt.blockBytes);
      for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(r() * 256);
      const scaleFields: Record<string, number[]> = { q8_0: [0], q4_0: [0], q5_0: [0], q4_1: [0, 2], q5_1: [0, 2], q4_k: [0, 2], q5_k: [0, 2], q6_k: [208] };
      for (let b = 0; b < blocks; b++) for (const o of scaleFields[fmt.dtype]!) putF16(raw, b * fmt.blockBytes + o, (r() - 0.5) * 0.2);
      const made = quantizeRows(fmt.dtype, gaussian(r, n), n);
      for (const bytes of [raw, made]) {
        // Offset the row inside a bigger buffer, and x inside a bigger array, to test the offsets.
        const buf = new Uint8Array(bytes.length + 2 * fmt.blockBytes);
        buf.set(bytes, fmt.blockBytes);
        const x = gaussian(r, n + 3);
        const got = fmt.dot(x, 3, buf, fmt.blockBytes, n);
        const w = new Float32Array(n);
        fmt.dequantize(buf, fmt.blockBytes, n, w, 0);
        let want = 0, mag = 0;
        for (let i = 0; i < n; i++) { want += x[3 + i]! * w[i]!; mag += Math.abs(x[3 + i]! * w[i]!); }
        assert.ok(Math.abs(got - want) <= 1e-6 * mag + 1e-12, `${fmt.dtype} ${blocks} blocks: dot ${got} vs ${want}`);
      }
    }
  });
}

test('decodeRow reads quantised weights through the registered decoders', () => {
  const x = gaussian(rng(5), 3 * 64);
  for (const dtype of ['q8_0', 'q5_1'] as const) {
    const w = makeWeight('w', dtype, [3, 64], quantizeRows(dtype, x, 64));
    const row = new Float32Array(64);
    decodeRow(w, 2, row);
    const all = dequant(dtype, w.data, 3 * 64);
    assert.deepEqual(row, all.subarray(128));
  }
});

test('quantizeRows refuses rows that are not whole blocks', () => {
  assert.throws(() => quantizeRows('q4_k', new Float32Array(128), 128), /whole number of q4_k blocks/);
});

/**
 * SHA-256 (first 128 bits) of llama.cpp's own quantize_row_*_ref output for the input below, produced
 * once by compiling ggml-quants.c (ggml-org/ggml d99724f2, gcc 12 -O2 -std=c11) into a throwaway harness.
 * Equal hashes mean our quantizers write the same bytes llama-quantize writes (without an imatrix).
 */
const LLAMA_CPP_SHA256: Record<string, string> = {
  q8_0: '33f82ef8c737380736100f0c6084ad28', q4_0: '6b7609c549588ff62bb8fab45900ba52',
  q4_1: '6b20bd94e2b7ae113a44f6842a44e119', q5_0: '17dceabff45b63bf61c68fffc1ed0ccc',
  q5_1: '8304a83daa6c076955ec412568704b3c', q4_k: '53230f3a6b884ec6b31502e8aaea2028',
  q5_k: '72a71ec2cf521ca9bc543601c04e210c', q6_k: 'bffcfb61a170061351d85987aea5a0e9',
};

test('quantizers write the bytes llama.cpp reference quantizers write', () => {
  const n = 2048;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.731) * Math.exp(Math.cos(i * 0.117) * 1.5) * (i % 97 === 0 ? 6 : 1) * 0.05;
  for (const fmt of QUANT_FORMATS) {
    const h = createHash('sha256').update(quantizeRows(fmt.dtype, x, n)).digest('hex').slice(0, 32);
    assert.equal(h, LLAMA_CPP_SHA256[fmt.dtype], `${fmt.dtype} bytes differ from llama.cpp's`);
  }
});

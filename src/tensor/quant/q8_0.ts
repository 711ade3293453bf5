/**
 * Q8_0 (ggml type 8): blocks of 32 values, 34 bytes: fp16 scale d, then 32 int8 quants; value = d·q.
 * Quantizer follows llama.cpp ggml-quants.c quantize_row_q8_0_ref: d = max|x| / 127, q = roundf(x / d).
 */
import { QuantFormat, checkBlocks, f, rdF16, roundAway, wrF16 } from './common.js';

const QK = 32;
const BYTES = 34;

export const Q8_0: QuantFormat = {
  dtype: 'q8_0', blockSize: QK, blockBytes: BYTES,

  quantize(x, xo, n, dst, o) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, xo += QK, o += BYTES) {
      let amax = 0;
      for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[xo + j]!));
      const d = f(amax / 127);
      const id = d ? f(1 / d) : 0;
      wrF16(dst, o, d);
      for (let j = 0; j < QK; j++) dst[o + 2 + j] = roundAway(f(x[xo + j]! * id)) & 0xff;
    }
  },

  dequantize(src, o, n, out, oo) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, o += BYTES, oo += QK) {
      const d = rdF16(src, o);
      for (let j = 0; j < QK; j++) out[oo + j] = ((src[o + 2 + j]! << 24) >> 24) * d;
    }
  },

  dot(x, xo, src, o, n) {
    checkBlocks(this, n);
    let sum = 0;
    for (let b = 0; b < n / QK; b++, o += BYTES, xo += QK) {
      let s = 0;
      for (let j = 0; j < QK; j++) s += x[xo + j]! * ((src[o + 2 + j]! << 24) >> 24);
      sum += rdF16(src, o) * s;
    }
    return sum;
  },
};

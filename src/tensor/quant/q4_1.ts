/**
 * Q4_1 (ggml type 3): blocks of 32 values, 20 bytes: fp16 scale d, fp16 minimum m, 16 bytes of nibbles
 * (byte j: value j low, value j+16 high); value = d·q + m.
 * Quantizer follows llama.cpp ggml-quants.c quantize_row_q4_1_ref: d = (max − min)/15,
 * q = min(15, trunc((x − min)/d + 0.5)).
 */
import { QuantFormat, checkBlocks, f, minMax, rdF16, wrF16 } from './common.js';

const QK = 32;
const BYTES = 20;

export const Q4_1: QuantFormat = {
  dtype: 'q4_1', blockSize: QK, blockBytes: BYTES,

  quantize(x, xo, n, dst, o) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, xo += QK, o += BYTES) {
      const [min, max] = minMax(x, xo, QK);
      const d = f(f(max - min) / 15);
      const id = d ? f(1 / d) : 0;
      wrF16(dst, o, d);
      wrF16(dst, o + 2, min);
      for (let j = 0; j < QK / 2; j++) {
        const q0 = Math.min(15, Math.trunc(f(f(f(x[xo + j]! - min) * id) + 0.5)));
        const q1 = Math.min(15, Math.trunc(f(f(f(x[xo + QK / 2 + j]! - min) * id) + 0.5)));
        dst[o + 4 + j] = q0 | (q1 << 4);
      }
    }
  },

  dequantize(src, o, n, out, oo) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, o += BYTES, oo += QK) {
      const d = rdF16(src, o);
      const m = rdF16(src, o + 2);
      for (let j = 0; j < QK / 2; j++) {
        const q = src[o + 4 + j]!;
        out[oo + j] = f((q & 0xf) * d) + m;
        out[oo + j + QK / 2] = f((q >> 4) * d) + m;
      }
    }
  },

  dot(x, xo, src, o, n) {
    checkBlocks(this, n);
    let sum = 0;
    for (let b = 0; b < n / QK; b++, o += BYTES, xo += QK) {
      let sq = 0;
      let sx = 0;
      for (let j = 0; j < QK / 2; j++) {
        const q = src[o + 4 + j]!;
        const a = x[xo + j]!;
        const c = x[xo + j + QK / 2]!;
        sq += a * (q & 0xf) + c * (q >> 4);
        sx += a + c;
      }
      sum += rdF16(src, o) * sq + rdF16(src, o + 2) * sx;
    }
    return sum;
  },
};

/**
 * Q5_1 (ggml type 7): blocks of 32 values, 24 bytes: fp16 scale d, fp16 minimum m, 4 bytes qh (5th bits),
 * 16 bytes of low nibbles, laid out as Q5_0; value = d·q + m.
 * Quantizer follows llama.cpp ggml-quants.c quantize_row_q5_1_ref: d = (max − min)/31,
 * q = trunc((x − min)/d + 0.5) (no clamp there either).
 */
import { QuantFormat, checkBlocks, f, minMax, rdF16, wrF16 } from './common.js';
import { pack5, unpack5 } from './q5_0.js';

const QK = 32;
const BYTES = 24;
const tmp = new Int32Array(QK);

export const Q5_1: QuantFormat = {
  dtype: 'q5_1', blockSize: QK, blockBytes: BYTES,

  quantize(x, xo, n, dst, o) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, xo += QK, o += BYTES) {
      const [min, max] = minMax(x, xo, QK);
      const d = f(f(max - min) / 31);
      const id = d ? f(1 / d) : 0;
      wrF16(dst, o, d);
      wrF16(dst, o + 2, min);
      for (let j = 0; j < QK; j++) tmp[j] = Math.trunc(f(f(f(x[xo + j]! - min) * id) + 0.5)) & 0xff;
      pack5(tmp, dst, o + 4, o + 8);
    }
  },

  dequantize(src, o, n, out, oo) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, o += BYTES, oo += QK) {
      const d = rdF16(src, o);
      const m = rdF16(src, o + 2);
      unpack5(src, o + 4, o + 8, tmp);
      for (let j = 0; j < QK; j++) out[oo + j] = f(tmp[j]! * d) + m;
    }
  },

  dot(x, xo, src, o, n) {
    checkBlocks(this, n);
    let sum = 0;
    for (let b = 0; b < n / QK; b++, o += BYTES, xo += QK) {
      unpack5(src, o + 4, o + 8, tmp);
      let sq = 0;
      let sx = 0;
      for (let j = 0; j < QK; j++) { sq += x[xo + j]! * tmp[j]!; sx += x[xo + j]!; }
      sum += rdF16(src, o) * sq + rdF16(src, o + 2) * sx;
    }
    return sum;
  },
};

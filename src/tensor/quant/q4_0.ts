/**
 * Q4_0 (ggml type 2): blocks of 32 values, 18 bytes: fp16 scale d, then 16 bytes of nibbles; byte j holds
 * value j (low nibble) and value j+16 (high nibble); value = d·(q − 8).
 * Quantizer follows llama.cpp ggml-quants.c quantize_row_q4_0_ref: d = (value of largest magnitude) / −8,
 * q = min(15, trunc(x/d + 8.5)).
 */
import { QuantFormat, checkBlocks, f, rdF16, signedAbsMax, wrF16 } from './common.js';

const QK = 32;
const BYTES = 18;

export const Q4_0: QuantFormat = {
  dtype: 'q4_0', blockSize: QK, blockBytes: BYTES,

  quantize(x, xo, n, dst, o) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, xo += QK, o += BYTES) {
      const max = signedAbsMax(x, xo, QK);
      const d = f(max / -8);
      const id = d ? f(1 / d) : 0;
      wrF16(dst, o, d);
      for (let j = 0; j < QK / 2; j++) {
        const q0 = Math.min(15, Math.trunc(f(f(x[xo + j]! * id) + 8.5)));
        const q1 = Math.min(15, Math.trunc(f(f(x[xo + QK / 2 + j]! * id) + 8.5)));
        dst[o + 2 + j] = q0 | (q1 << 4);
      }
    }
  },

  dequantize(src, o, n, out, oo) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, o += BYTES, oo += QK) {
      const d = rdF16(src, o);
      for (let j = 0; j < QK / 2; j++) {
        const q = src[o + 2 + j]!;
        out[oo + j] = ((q & 0xf) - 8) * d;
        out[oo + j + QK / 2] = ((q >> 4) - 8) * d;
      }
    }
  },

  dot(x, xo, src, o, n) {
    checkBlocks(this, n);
    let sum = 0;
    for (let b = 0; b < n / QK; b++, o += BYTES, xo += QK) {
      let s = 0;
      for (let j = 0; j < QK / 2; j++) {
        const q = src[o + 2 + j]!;
        s += x[xo + j]! * ((q & 0xf) - 8) + x[xo + j + QK / 2]! * ((q >> 4) - 8);
      }
      sum += rdF16(src, o) * s;
    }
    return sum;
  },
};

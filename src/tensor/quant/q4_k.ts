/**
 * Q4_K (ggml type 12): super-blocks of 256 values, 144 bytes: fp16 d, fp16 dmin, 12 scale bytes (see
 * kscales.ts), 128 bytes of nibbles. Each 64 values share 32 bytes: value 64k+l is the low nibble of byte
 * 32k+l, value 64k+32+l the high nibble. value = d·sc_j·q − dmin·m_j (j = sub-block of 32).
 * Quantizer follows llama.cpp ggml-quants.c quantize_row_q4_K_ref (make_qkx2_quants, nmax 15, rmin −1,
 * rdelta 0.1, 20 steps) — what llama-quantize uses when no importance matrix is given.
 */
import { QuantFormat, checkBlocks, f } from './common.js';
import { QK_K, blockScalesK4, quantizeScalesK4 } from './kscales.js';

const BYTES = 144;
const L = new Uint8Array(QK_K);
const dl = new Float32Array(8);
const ml = new Float32Array(8);

export const Q4_K: QuantFormat = {
  dtype: 'q4_k', blockSize: QK_K, blockBytes: BYTES,

  quantize(x, xo, n, dst, o) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK_K; b++, xo += QK_K, o += BYTES) {
      quantizeScalesK4(x, xo, 15, -1, 20, dst, o, L);
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 32; l++) dst[o + 16 + 32 * k + l] = L[64 * k + l]! | (L[64 * k + 32 + l]! << 4);
      }
    }
  },

  dequantize(src, o, n, out, oo) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK_K; b++, o += BYTES, oo += QK_K) {
      blockScalesK4(src, o, dl, ml);
      for (let k = 0; k < 4; k++) {
        const q = o + 16 + 32 * k;
        const d1 = dl[2 * k]!, m1 = ml[2 * k]!, d2 = dl[2 * k + 1]!, m2 = ml[2 * k + 1]!;
        for (let l = 0; l < 32; l++) {
          out[oo + 64 * k + l] = f(d1 * (src[q + l]! & 0xf)) - m1;
          out[oo + 64 * k + 32 + l] = f(d2 * (src[q + l]! >> 4)) - m2;
        }
      }
    }
  },

  dot(x, xo, src, o, n) {
    checkBlocks(this, n);
    let sum = 0;
    for (let b = 0; b < n / QK_K; b++, o += BYTES, xo += QK_K) {
      blockScalesK4(src, o, dl, ml);
      for (let k = 0; k < 4; k++) {
        const q = o + 16 + 32 * k;
        let s1 = 0, s2 = 0, x1 = 0, x2 = 0;
        for (let l = 0; l < 32; l++) {
          const a = x[xo + 64 * k + l]!;
          const c = x[xo + 64 * k + 32 + l]!;
          s1 += a * (src[q + l]! & 0xf);
          s2 += c * (src[q + l]! >> 4);
          x1 += a;
          x2 += c;
        }
        sum += dl[2 * k]! * s1 - ml[2 * k]! * x1 + dl[2 * k + 1]! * s2 - ml[2 * k + 1]! * x2;
      }
    }
    return sum;
  },
};

/**
 * Q5_K (ggml type 13): super-blocks of 256 values, 176 bytes: fp16 d, fp16 dmin, 12 scale bytes (see
 * kscales.ts), 32 bytes qh, 128 bytes of low nibbles laid out as Q4_K. The 5th bit of value 64k+l is bit
 * 2k of qh[l], of value 64k+32+l bit 2k+1. value = d·sc_j·q − dmin·m_j.
 * Quantizer follows llama.cpp ggml-quants.c quantize_row_q5_K_ref (make_qkx2_quants, nmax 31, rmin −0.5,
 * rdelta 0.1, 15 steps).
 */
import { QuantFormat, checkBlocks, f } from './common.js';
import { QK_K, blockScalesK4, quantizeScalesK4 } from './kscales.js';

const BYTES = 176;
const L = new Uint8Array(QK_K);
const dl = new Float32Array(8);
const ml = new Float32Array(8);

/** The 5-bit quant of value 64k+l (hi = 0) or 64k+32+l (hi = 1) of the super-block at `o`. */
function q5(src: Uint8Array, o: number, k: number, l: number, hi: number): number {
  const low = hi ? src[o + 48 + 32 * k + l]! >> 4 : src[o + 48 + 32 * k + l]! & 0xf;
  return low | (((src[o + 16 + l]! >> (2 * k + hi)) & 1) << 4);
}

export const Q5_K: QuantFormat = {
  dtype: 'q5_k', blockSize: QK_K, blockBytes: BYTES,

  quantize(x, xo, n, dst, o) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK_K; b++, xo += QK_K, o += BYTES) {
      quantizeScalesK4(x, xo, 31, -0.5, 15, dst, o, L);
      for (let l = 0; l < 32; l++) dst[o + 16 + l] = 0;
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 32; l++) {
          const a = L[64 * k + l]!;
          const c = L[64 * k + 32 + l]!;
          dst[o + 16 + l] |= ((a >> 4) << (2 * k)) | ((c >> 4) << (2 * k + 1));
          dst[o + 48 + 32 * k + l] = (a & 0xf) | ((c & 0xf) << 4);
        }
      }
    }
  },

  dequantize(src, o, n, out, oo) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK_K; b++, o += BYTES, oo += QK_K) {
      blockScalesK4(src, o, dl, ml);
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 32; l++) {
          out[oo + 64 * k + l] = f(dl[2 * k]! * q5(src, o, k, l, 0)) - ml[2 * k]!;
          out[oo + 64 * k + 32 + l] = f(dl[2 * k + 1]! * q5(src, o, k, l, 1)) - ml[2 * k + 1]!;
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
        let s1 = 0, s2 = 0, x1 = 0, x2 = 0;
        for (let l = 0; l < 32; l++) {
          const a = x[xo + 64 * k + l]!;
          const c = x[xo + 64 * k + 32 + l]!;
          s1 += a * q5(src, o, k, l, 0);
          s2 += c * q5(src, o, k, l, 1);
          x1 += a;
          x2 += c;
        }
        sum += dl[2 * k]! * s1 - ml[2 * k]! * x1 + dl[2 * k + 1]! * s2 - ml[2 * k + 1]! * x2;
      }
    }
    return sum;
  },
};

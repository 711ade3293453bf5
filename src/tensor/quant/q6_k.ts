/**
 * Q6_K (ggml type 14): super-blocks of 256 values, 210 bytes: ql[128] (low 4 bits), qh[64] (high 2 bits),
 * 16 int8 scales (one per 16 values), fp16 d last. value = d·scale_i·(q − 32), q in 0..63.
 * Within each half of 128 values (h = 0, 1; ql += 64h, qh += 32h, scales += 8h), for l in 0..31:
 *   v[l]    = ql[l] & 15      | (qh[l] >> 0 & 3) << 4        v[l+32] = ql[l+32] & 15 | (qh[l] >> 2 & 3) << 4
 *   v[l+64] = ql[l] >> 4      | (qh[l] >> 4 & 3) << 4        v[l+96] = ql[l+32] >> 4 | (qh[l] >> 6 & 3) << 4
 * Quantizer follows llama.cpp ggml-quants.c quantize_row_q6_K_ref (make_qx_quants(16, 32, rmse_type 1)).
 */
import { QuantFormat, checkBlocks, f, nearestInt, rdF16, wrF16 } from './common.js';
import { makeQxQuants } from './kquant-search.js';
import { QK_K } from './kscales.js';

const BYTES = 210;
const GROUP_MAX_EPS = f(1e-15);
const L = new Uint8Array(QK_K);
const scales = new Float32Array(16);
const q = new Int32Array(QK_K);

/** The 256 signed quants (−32..31) of the super-block at `o`. */
function unpack(src: Uint8Array, o: number, out: Int32Array): void {
  for (let h = 0; h < 2; h++) {
    const ql = o + 64 * h;
    const qh = o + 128 + 32 * h;
    for (let l = 0; l < 32; l++) {
      const hb = src[qh + l]!;
      out[128 * h + l] = ((src[ql + l]! & 0xf) | ((hb & 3) << 4)) - 32;
      out[128 * h + l + 32] = ((src[ql + l + 32]! & 0xf) | (((hb >> 2) & 3) << 4)) - 32;
      out[128 * h + l + 64] = ((src[ql + l]! >> 4) | (((hb >> 4) & 3) << 4)) - 32;
      out[128 * h + l + 96] = ((src[ql + l + 32]! >> 4) | (((hb >> 6) & 3) << 4)) - 32;
    }
  }
}

function scale(src: Uint8Array, o: number, i: number): number {
  return (src[o + 192 + i]! << 24) >> 24;
}

export const Q6_K: QuantFormat = {
  dtype: 'q6_k', blockSize: QK_K, blockBytes: BYTES,

  quantize(x, xo, n, dst, o) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK_K; b++, xo += QK_K, o += BYTES) {
      let maxScale = 0;
      let maxAbsScale = 0;
      for (let ib = 0; ib < 16; ib++) {
        const s = makeQxQuants(16, 32, x, xo + 16 * ib, L, 16 * ib);
        scales[ib] = s;
        if (Math.abs(s) > maxAbsScale) { maxAbsScale = Math.abs(s); maxScale = s; }
      }
      if (maxAbsScale < GROUP_MAX_EPS) {
        dst.fill(0, o, o + BYTES);
        continue;
      }
      const iscale = f(-128 / maxScale);
      const d = wrF16(dst, o + 208, f(1 / iscale));
      for (let ib = 0; ib < 16; ib++) dst[o + 192 + ib] = Math.min(127, nearestInt(f(iscale * scales[ib]!))) & 0xff;
      for (let j = 0; j < 16; j++) {
        const dj = f(d * scale(dst, o, j));
        if (!dj) continue;
        for (let i = 0; i < 16; i++) {
          const l = nearestInt(f(x[xo + 16 * j + i]! / dj));
          L[16 * j + i] = Math.max(-32, Math.min(31, l)) + 32;
        }
      }
      for (let h = 0; h < 2; h++) {
        const ql = o + 64 * h;
        const qh = o + 128 + 32 * h;
        const Lh = 128 * h;
        for (let l = 0; l < 32; l++) {
          const a = L[Lh + l]!, c = L[Lh + l + 32]!, e = L[Lh + l + 64]!, g = L[Lh + l + 96]!;
          dst[ql + l] = (a & 0xf) | ((e & 0xf) << 4);
          dst[ql + l + 32] = (c & 0xf) | ((g & 0xf) << 4);
          dst[qh + l] = (a >> 4) | ((c >> 4) << 2) | ((e >> 4) << 4) | ((g >> 4) << 6);
        }
      }
    }
  },

  dequantize(src, o, n, out, oo) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK_K; b++, o += BYTES, oo += QK_K) {
      const d = rdF16(src, o + 208);
      unpack(src, o, q);
      for (let i = 0; i < QK_K; i++) out[oo + i] = f(d * scale(src, o, i >> 4)) * q[i]!;
    }
  },

  dot(x, xo, src, o, n) {
    checkBlocks(this, n);
    let sum = 0;
    for (let b = 0; b < n / QK_K; b++, o += BYTES, xo += QK_K) {
      const d = rdF16(src, o + 208);
      unpack(src, o, q);
      for (let j = 0; j < 16; j++) {
        let s = 0;
        for (let i = 16 * j; i < 16 * j + 16; i++) s += x[xo + i]! * q[i]!;
        sum += d * scale(src, o, j) * s;
      }
    }
    return sum;
  },
};

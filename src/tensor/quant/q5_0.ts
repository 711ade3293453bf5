/**
 * Q5_0 (ggml type 6): blocks of 32 values, 22 bytes: fp16 scale d, 4 bytes qh (bit j = 5th bit of value j,
 * little-endian u32), 16 bytes of low nibbles (byte j: value j low, value j+16 high); value = d·(q − 16).
 * Quantizer follows llama.cpp ggml-quants.c quantize_row_q5_0_ref: d = (value of largest magnitude) / −16,
 * q = min(31, trunc(x/d + 16.5)).
 */
import { QuantFormat, checkBlocks, f, rdF16, signedAbsMax, wrF16 } from './common.js';

const QK = 32;
const BYTES = 22;

function qh32(src: Uint8Array, o: number): number {
  return (src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24)) >>> 0;
}

/** The 32 quants (0..31) of the block at `o`, with the qh word at `qhOff` and nibbles at `qsOff`. */
export function unpack5(src: Uint8Array, qhOff: number, qsOff: number, q: Int32Array): void {
  const h = qh32(src, qhOff);
  for (let j = 0; j < QK / 2; j++) {
    const b = src[qsOff + j]!;
    q[j] = (b & 0xf) | (((h >>> j) & 1) << 4);
    q[j + QK / 2] = (b >> 4) | (((h >>> (j + 16)) & 1) << 4);
  }
}

/** Packs 32 quants (0..31) into a qh word at `qhOff` and nibbles at `qsOff`. */
export function pack5(q: ArrayLike<number>, dst: Uint8Array, qhOff: number, qsOff: number): void {
  let h = 0;
  for (let j = 0; j < QK / 2; j++) {
    const a = q[j]!;
    const c = q[j + QK / 2]!;
    dst[qsOff + j] = (a & 0xf) | ((c & 0xf) << 4);
    h |= ((a >> 4) & 1) << j;
    h |= ((c >> 4) & 1) << (j + 16);
  }
  dst[qhOff] = h & 0xff;
  dst[qhOff + 1] = (h >>> 8) & 0xff;
  dst[qhOff + 2] = (h >>> 16) & 0xff;
  dst[qhOff + 3] = (h >>> 24) & 0xff;
}

const tmp = new Int32Array(QK);

export const Q5_0: QuantFormat = {
  dtype: 'q5_0', blockSize: QK, blockBytes: BYTES,

  quantize(x, xo, n, dst, o) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, xo += QK, o += BYTES) {
      const max = signedAbsMax(x, xo, QK);
      const d = f(max / -16);
      const id = d ? f(1 / d) : 0;
      wrF16(dst, o, d);
      for (let j = 0; j < QK; j++) tmp[j] = Math.min(31, Math.trunc(f(f(x[xo + j]! * id) + 16.5)));
      pack5(tmp, dst, o + 2, o + 6);
    }
  },

  dequantize(src, o, n, out, oo) {
    checkBlocks(this, n);
    for (let b = 0; b < n / QK; b++, o += BYTES, oo += QK) {
      const d = rdF16(src, o);
      unpack5(src, o + 2, o + 6, tmp);
      for (let j = 0; j < QK; j++) out[oo + j] = (tmp[j]! - 16) * d;
    }
  },

  dot(x, xo, src, o, n) {
    checkBlocks(this, n);
    let sum = 0;
    for (let b = 0; b < n / QK; b++, o += BYTES, xo += QK) {
      unpack5(src, o + 2, o + 6, tmp);
      let s = 0;
      for (let j = 0; j < QK; j++) s += x[xo + j]! * (tmp[j]! - 16);
      sum += rdF16(src, o) * s;
    }
    return sum;
  },
};
